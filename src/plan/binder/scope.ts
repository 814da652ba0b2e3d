/**
 * The names visible to an expression: the columns of the FROM clause, each with the
 * qualifier (table name or alias) it can be reached by.
 */
import type { ColumnRef, Ident, Span } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import type { Schema, SqlType } from '../../types.js';
import { closest } from './suggest.js';

export interface ScopeColumn {
  readonly qualifier: string | undefined;
  readonly name: string;
  readonly type: SqlType;
  /** Position in the input plan's schema. */
  readonly index: number;
  readonly timeAttr: boolean;
  /** Hidden from `*` (the right-hand copy of a USING column). */
  readonly hidden: boolean;
}

export class Scope {
  constructor(readonly columns: readonly ScopeColumn[]) {}

  static of(schema: Schema, qualifier: string | undefined): Scope {
    return new Scope(
      schema.map((c, index) => ({ qualifier, name: c.name, type: c.type, index, timeAttr: c.timeAttr === true, hidden: false })),
    );
  }

  /** The columns of `left` followed by those of `right`, shifted past left's width. */
  static concat(left: Scope, right: Scope, leftWidth: number): Scope {
    return new Scope([...left.columns, ...right.columns.map((c) => ({ ...c, index: c.index + leftWidth }))]);
  }

  withQualifier(qualifier: string | undefined): Scope {
    return new Scope(this.columns.map((c) => ({ ...c, qualifier })));
  }

  /** Resolves a column reference, or throws BIND naming the column (with a suggestion). */
  resolve(ref: ColumnRef): ScopeColumn {
    const name = ref.name.name;
    const q = ref.qualifier?.name;
    if (q !== undefined && !this.columns.some((c) => c.qualifier === q)) {
      const quals = [...new Set(this.columns.map((c) => c.qualifier).filter((x): x is string => x !== undefined))];
      const hint = closest(q, quals);
      throw new SluiceError(
        'BIND',
        `unknown table '${q}' in '${q}.${name}'${hint ? `: did you mean '${hint}'?` : quals.length ? ` (tables here: ${quals.join(', ')})` : ''}`,
        { span: ref.qualifier!.span },
      );
    }
    const matches = this.columns.filter((c) => c.name === name && (q === undefined || c.qualifier === q));
    const visible = matches.filter((c) => !c.hidden);
    const found = visible.length > 0 ? visible : matches;
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      const where = found.map((c) => (c.qualifier ? `${c.qualifier}.${c.name}` : c.name));
      throw new SluiceError('BIND', `column '${name}' is ambiguous: it could be ${where.join(' or ')}`, { span: ref.span });
    }
    const candidates = this.columns.filter((c) => q === undefined || c.qualifier === q).map((c) => c.name);
    const hint = closest(name, candidates);
    const label = q ?? describeTables(this);
    throw new SluiceError(
      'BIND',
      `column '${name}' not found in ${label}${hint ? `: did you mean '${hint}'?` : candidates.length ? ` (columns: ${[...new Set(candidates)].join(', ')})` : ''}`,
      { span: ref.name.span },
    );
  }

  /** Whether another column of this scope, from another table, has `c`'s name (a join). */
  isAmbiguous(c: ScopeColumn): boolean {
    return this.columns.some((o) => o.index !== c.index && o.name === c.name && o.qualifier !== c.qualifier);
  }

  /** The columns `*` or `q.*` expands to. */
  star(qualifier: Ident | undefined, span: Span): ScopeColumn[] {
    const q = qualifier?.name;
    const cols = this.columns.filter((c) => !c.hidden && (q === undefined || c.qualifier === q));
    if (q !== undefined && cols.length === 0) {
      throw new SluiceError('BIND', `unknown table '${q}' in '${q}.*'`, { span: qualifier!.span });
    }
    if (cols.length === 0) throw new SluiceError('BIND', 'SELECT * needs a FROM clause', { span });
    return cols;
  }
}

function describeTables(scope: Scope): string {
  const quals = [...new Set(scope.columns.map((c) => c.qualifier).filter((x): x is string => x !== undefined))];
  if (quals.length === 0) return 'the FROM clause';
  return quals.length === 1 ? quals[0]! : quals.join(', ');
}
