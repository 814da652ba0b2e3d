/**
 * The order a live result is shown in. A change stream has no order of its own, so the
 * REPL sorts the folded rows by the query's ORDER BY when it names output columns (by name
 * or position), as a Top-N query's table should read; otherwise rows stay in arrival order.
 */
import type { Statement } from '../grammar/ast.js';
import type { Row } from '../src/engine/rows.js';

export interface SortColumn {
  readonly name: string;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

/**
 * The ORDER BY of a query statement as output columns, or undefined when there is none or
 * an item is an expression the REPL cannot evaluate (then arrival order is kept).
 */
export function sortColumns(statement: Statement, columns: readonly { name: string }[]): SortColumn[] | undefined {
  if (statement.kind !== 'QueryStatement' || statement.query.orderBy.length === 0) return undefined;
  const out: SortColumn[] = [];
  for (const item of statement.query.orderBy) {
    let name: string | undefined;
    const e = item.expr;
    if (e.kind === 'ColumnRef') {
      const n = e.name.name;
      name = columns.find((c) => c.name === n)?.name ?? (e.name.quoted ? undefined : columns.find((c) => c.name.toLowerCase() === n.toLowerCase())?.name);
    } else if (e.kind === 'NumberLit' && e.isInteger && e.value >= 1 && e.value <= columns.length) {
      name = columns[e.value - 1]!.name;
    }
    if (name === undefined) return undefined;
    out.push({ name, desc: item.desc, nullsFirst: item.nulls === 'FIRST' });
  }
  return out;
}

function comparable(v: unknown): unknown {
  return v instanceof Date ? v.getTime() : v;
}

/** A comparator for rows under SQL ordering (NULLS LAST unless NULLS FIRST is written, as the engine's Top-N). */
export function rowComparator(keys: readonly SortColumn[]): (a: Row, b: Row) => number {
  return (ra, rb) => {
    for (const k of keys) {
      const a = comparable(ra[k.name] ?? null);
      const b = comparable(rb[k.name] ?? null);
      if (a === b) continue;
      if (a === null) return k.nullsFirst ? -1 : 1;
      if (b === null) return k.nullsFirst ? 1 : -1;
      const c = (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
}
