/**
 * The expression compiler's entry points: compile a bound expression once per query, run
 * it per batch. Compilation folds constants, then generates (lazily, and once per shape of
 * input nullability) a fused loop with `new Function`: a batch whose columns have no NULLs
 * runs code with no null checks at all.
 */
import type { Data } from 'apache-arrow';
import type { BoundExpr } from '../../plan/expr.js';
import type { SqlType, Value } from '../../types.js';
import { SluiceError } from '../../errors.js';
import {
  allNullColumn,
  boolColumn,
  constantColumn,
  float64Column,
  int32Column,
  kindOfData,
  normalizeColumn,
  nullColumn,
  physicalKindOf,
  selectAll,
} from '../vector/columns.js';
import { Utf8Builder } from '../vector/utf8-builder.js';
import { ExprGen, type Emitted, type Val } from './codegen.js';
import { foldConstants } from './fold.js';
import { RUNTIME } from './runtime.js';

/** An expression compiled for one query, run once per batch. */
export interface CompiledExpr {
  readonly type: SqlType;
  /** n rows of the input columns (Arrow Data, layout of batch.ts) → a new column of `type` with n rows. */
  evaluate(columns: readonly Data[], n: number, params?: readonly Value[]): Data;
}

/** Rows where the predicate is TRUE (NULL and FALSE drop): writes their indices into a selection vector. */
export interface CompiledPredicate {
  select(columns: readonly Data[], n: number, params?: readonly Value[]): { sel: Int32Array; count: number };
}

type ValueRunner = (
  cols: readonly Data[],
  n: number,
  params: readonly Value[],
  out: Float64Array | Int32Array | Uint8Array | null,
  validity: Uint8Array | null,
  sb: Utf8Builder | null,
) => number;

type PredicateRunner = (cols: readonly Data[], n: number, params: readonly Value[], sel: Int32Array) => number;

interface Variant<R> {
  readonly run: R;
  /** Whether the result can be NULL (a validity bitmap is needed). */
  readonly nullable: boolean;
  /** The generated source, for debugging (`compiled.source()`). */
  readonly source: string;
}

const NO_PARAMS: readonly Value[] = [];

/** What every compiled form shares: the folded tree, the columns it reads, their checks. */
class Prepared {
  readonly expr: BoundExpr;
  /** Column index → SQL type, for every column the expression reads. */
  readonly columns: ReadonlyMap<number, SqlType>;
  readonly maxParam: number;

  constructor(e: BoundExpr) {
    this.expr = foldConstants(e);
    const columns = new Map<number, SqlType>();
    let maxParam = -1;
    const walk = (x: BoundExpr): void => {
      switch (x.kind) {
        case 'Column': {
          const seen = columns.get(x.index);
          if (seen !== undefined && seen !== x.type) {
            throw new SluiceError('INTERNAL', `column ${x.index} referenced as ${seen} and ${x.type}`);
          }
          columns.set(x.index, x.type);
          break;
        }
        case 'Param':
          maxParam = Math.max(maxParam, x.index);
          break;
        case 'Call':
          x.args.forEach(walk);
          break;
        case 'Case':
          x.whens.forEach((w) => {
            walk(w.when);
            walk(w.then);
          });
          if (x.else) walk(x.else);
          break;
        case 'Cast':
          walk(x.expr);
          break;
        case 'Literal':
          break;
      }
    };
    walk(this.expr);
    this.columns = columns;
    this.maxParam = maxParam;
  }

  /**
   * Checks the input columns against the types the expression expects and returns them
   * ready for generated code (offset 0; a NULL-typed stand-in replaced by a typed one),
   * plus the nullability key of this batch.
   */
  inputs(columns: readonly Data[], n: number, params: readonly Value[]): { cols: readonly Data[]; key: string } {
    if (params.length <= this.maxParam) {
      throw new SluiceError('ARGUMENT', `no value given for parameter ${this.maxParam + 1} (got ${params.length})`);
    }
    let cols: Data[] | null = null;
    let key = '';
    for (const [j, type] of this.columns) {
      let d = columns[j];
      if (d === undefined) throw new SluiceError('INTERNAL', `expression reads column ${j} of a ${columns.length}-column input`);
      const kind = kindOfData(d);
      const want = physicalKindOf(type);
      if (kind !== want) {
        if (kind !== 'null') throw new SluiceError('INTERNAL', `column ${j} holds ${kind} data, expected ${type}`);
        d = allNullColumn(type, Math.max(n, d.length));
        (cols ??= [...columns])[j] = d;
      } else if (d.offset !== 0) {
        d = normalizeColumn(d);
        (cols ??= [...columns])[j] = d;
      }
      key += d.nullCount > 0 ? '1' : '0';
    }
    return { cols: cols ?? columns, key };
  }

  /** Which columns may be null for a nullability key. */
  nullableFn(key: string): (j: number) => boolean {
    const order = [...this.columns.keys()];
    return (j) => key[order.indexOf(j)] === '1';
  }
}

function assemble(em: Emitted, head: string, loop: readonly string[], tail: string): string {
  return [
    `return function ${head} {`,
    '  const E = EMPTY;',
    ...em.pre.map((l) => `  ${l}`),
    ...em.decls.map((l) => `  ${l}`),
    '  let nc = 0, count = 0;',
    '  for (let i = 0; i < n; i++) {',
    ...em.body.map((l) => `    ${l}`),
    ...loop.map((l) => `    ${l}`),
    '  }',
    `  ${tail}`,
    '};',
  ].join('\n');
}

/**
 * The compiled factory of each generated source. Loops made by one factory share their
 * optimized code (V8 keeps it per closure site), so the same expression in a new query or
 * engine runs at full speed at once instead of warming up again.
 */
const factories = new Map<string, (h: typeof RUNTIME, k: readonly unknown[], empty: Uint8Array) => unknown>();
const MAX_FACTORIES = 4096;
const EMPTY_BYTES = new Uint8Array(0);

function instantiate<R>(source: string, consts: readonly unknown[]): R {
  let f = factories.get(source);
  if (f === undefined) {
    if (factories.size >= MAX_FACTORIES) factories.clear();
    f = new Function('H', 'K', 'EMPTY', source) as (h: typeof RUNTIME, k: readonly unknown[], empty: Uint8Array) => unknown;
    factories.set(source, f);
  }
  return f(RUNTIME, consts, EMPTY_BYTES) as R;
}

function writeValue(root: Val, type: SqlType): string[] {
  const nul = root.nul;
  const setValid = 'vb[i >> 3] |= 1 << (i & 7);';
  if (type === 'VARCHAR') {
    const put = root.kind === 'ref' ? `sb.appendRef(${root.buf}, ${root.s}, ${root.e});` : `sb.appendStr(${root.v});`;
    return nul === 'false' ? [put] : [`if (${nul}) sb.appendNull(); else ${put}`];
  }
  const put = type === 'BOOLEAN' ? `if (${root.v}) out[i >> 3] |= 1 << (i & 7);` : `out[i] = ${root.v};`;
  return nul === 'false' ? [put] : [`if (${nul}) nc++; else { ${setValid} ${put} }`];
}

class CompiledValue implements CompiledExpr {
  readonly type: SqlType;
  private readonly prep: Prepared;
  private readonly variants = new Map<string, Variant<ValueRunner>>();

  constructor(e: BoundExpr) {
    this.type = e.type;
    this.prep = new Prepared(e);
    // Generate the no-NULL variant now, so that a malformed tree fails at planning time.
    if (this.prep.expr.kind !== 'Literal' && this.type !== 'NULL') this.variant('0'.repeat(this.prep.columns.size));
  }

  evaluate(columns: readonly Data[], n: number, params: readonly Value[] = NO_PARAMS): Data {
    const e = this.prep.expr;
    if (e.kind === 'Literal') return constantColumn(this.type, e.value, n);
    if (this.type === 'NULL') return nullColumn(n);
    const { cols, key } = this.prep.inputs(columns, n, params);
    if (e.kind === 'Column' && e.type === this.type && cols[e.index]!.length === n) return cols[e.index]!;
    const v = this.variant(key);
    const validity = v.nullable ? new Uint8Array((n + 7) >> 3) : null;
    switch (physicalKindOf(this.type)) {
      case 'f64': {
        const out = new Float64Array(n);
        const nc = v.run(cols, n, params, out, validity, null);
        return float64Column(out, validity, nc);
      }
      case 'i32': {
        const out = new Int32Array(n);
        const nc = v.run(cols, n, params, out, validity, null);
        return int32Column(out, validity, nc);
      }
      case 'bool': {
        const out = new Uint8Array((n + 7) >> 3);
        const nc = v.run(cols, n, params, out, validity, null);
        return boolColumn(out, n, validity, nc);
      }
      default: {
        const sb = new Utf8Builder(n);
        v.run(cols, n, params, null, null, sb);
        return sb.finish();
      }
    }
  }

  /** The generated source for a nullability key (debugging aid). */
  source(key = ''): string {
    return this.variant(key.padEnd(this.prep.columns.size, '0')).source;
  }

  private variant(key: string): Variant<ValueRunner> {
    let v = this.variants.get(key);
    if (v === undefined) {
      const gen = new ExprGen(this.prep.nullableFn(key));
      const root = gen.root(this.prep.expr);
      const em = gen.finish();
      const source = assemble(em, 'run(cols, n, params, out, vb, sb)', writeValue(root, this.type), 'return nc;');
      v = { run: instantiate<ValueRunner>(source, em.consts), nullable: root.nul !== 'false', source };
      this.variants.set(key, v);
    }
    return v;
  }
}

class CompiledFilter implements CompiledPredicate {
  private readonly prep: Prepared;
  private readonly variants = new Map<string, Variant<PredicateRunner>>();

  constructor(e: BoundExpr) {
    if (e.type !== 'BOOLEAN' && e.type !== 'NULL') throw new SluiceError('INTERNAL', `a predicate of type ${e.type}`);
    this.prep = new Prepared(e);
    if (this.prep.expr.kind !== 'Literal') this.variant('0'.repeat(this.prep.columns.size));
  }

  select(columns: readonly Data[], n: number, params: readonly Value[] = NO_PARAMS): { sel: Int32Array; count: number } {
    const e = this.prep.expr;
    if (e.kind === 'Literal') return e.value === true ? { sel: selectAll(n), count: n } : { sel: new Int32Array(0), count: 0 };
    const { cols, key } = this.prep.inputs(columns, n, params);
    const sel = new Int32Array(n);
    const count = this.variant(key).run(cols, n, params, sel);
    return { sel, count };
  }

  source(key = ''): string {
    return this.variant(key.padEnd(this.prep.columns.size, '0')).source;
  }

  private variant(key: string): Variant<PredicateRunner> {
    let v = this.variants.get(key);
    if (v === undefined) {
      const gen = new ExprGen(this.prep.nullableFn(key));
      const root = gen.root(this.prep.expr);
      const em = gen.finish();
      const test = root.nul === 'false' ? root.v : `!(${root.nul}) && ${root.v}`;
      const source = assemble(em, 'select(cols, n, params, sel)', [`if (${test}) sel[count++] = i;`], 'return count;');
      v = { run: instantiate<PredicateRunner>(source, em.consts), nullable: false, source };
      this.variants.set(key, v);
    }
    return v;
  }
}

/**
 * Compiles a bound expression into a per-batch evaluator. Compile once per query; every
 * `evaluate` call runs a generated loop over the batch's columns.
 *
 * @example
 * const f = compileExpr(call('mul', [col(0, 'price', 'DOUBLE'), lit(0.908, 'DOUBLE')], 'DOUBLE'));
 * const out = f.evaluate(columnsOf(batch), batch.numRows);
 */
export function compileExpr(e: BoundExpr): CompiledExpr & { source(key?: string): string } {
  return new CompiledValue(e);
}

/** Compiles a BOOLEAN expression into a filter producing the selection vector of TRUE rows. */
export function compilePredicate(e: BoundExpr): CompiledPredicate & { source(key?: string): string } {
  return new CompiledFilter(e);
}
