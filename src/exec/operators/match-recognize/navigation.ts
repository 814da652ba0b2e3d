/**
 * Reading a navigation (FIRST, LAST, PREV, an aggregate over a variable's rows, MATCH_NUMBER,
 * CLASSIFIER) from a partition's rows and a (partial) match, and compiling a DEFINE or
 * MEASURES expression once so that it runs columnar over one navigation column per slot:
 * the rows of the columns are the threads (DEFINE) or the matches (MEASURES) being evaluated.
 */
import type { Data } from 'apache-arrow';
import type { Navigation, NavExpr } from '../../../plan/match-recognize-node.js';
import type { SqlType, Value } from '../../../types.js';
import { MAX_UNSCALED, overflowError, pow10 } from '../../../decimal.js';
import { ColumnBuilder } from '../../batch.js';
import { beats } from '../../../sql-order.js';
import { boolColumn, float64Column, int32Column, physicalKindOf } from '../../vector/columns.js';
import { compileExpr, compilePredicate, type CompiledExpr, type CompiledPredicate } from '../../expr/compile.js';
import type { Hist } from './nfa.js';

/** The rows of one partition that a match can still reach: row `i` is `rows[i - base]`. */
export interface RowStore {
  readonly rows: readonly { readonly values: readonly Value[] }[];
  readonly base: number;
}

/**
 * What a navigation reads: the match so far (`hist`), plus, in DEFINE, the row being tested
 * (`row`, counted as a row of `variable`); `row` is -1 in MEASURES.
 */
export interface NavContext {
  store: RowStore;
  hist: Hist | null;
  row: number;
  variable: number;
  matchNumber: number;
}

function valueAt(store: RowStore, row: number, column: number): Value {
  const r = store.rows[row - store.base];
  return r === undefined ? null : r.values[column]!;
}

export function navValue(nav: Navigation, c: NavContext, variables: readonly string[]): Value {
  switch (nav.kind) {
    case 'prev': {
      const r = c.row - nav.offset;
      return r < 0 ? null : valueAt(c.store, r, nav.column);
    }
    case 'last': {
      let k = nav.offset;
      if (c.row >= 0 && (nav.variable === null || nav.variable === c.variable)) {
        if (k === 0) return valueAt(c.store, c.row, nav.column);
        k--;
      }
      for (let h = c.hist; h !== null; h = h.prev) {
        if (nav.variable !== null && h.v !== nav.variable) continue;
        if (k === 0) return valueAt(c.store, h.row, nav.column);
        k--;
      }
      return null;
    }
    case 'first': {
      const rows = rowsOf(nav.variable, c);
      const r = rows[rows.length - 1 - nav.offset];
      return r === undefined ? null : valueAt(c.store, r, nav.column);
    }
    case 'agg':
      return aggregate(nav, rowsOf(nav.variable, c), c.store);
    case 'matchNumber':
      return c.matchNumber;
    case 'classifier':
      return c.hist === null ? null : variables[c.hist.v]!;
  }
}

/** The rows of `variable` (null: all) in the match, newest first. */
function rowsOf(variable: number | null, c: NavContext): number[] {
  const out: number[] = [];
  if (c.row >= 0 && (variable === null || variable === c.variable)) out.push(c.row);
  for (let h = c.hist; h !== null; h = h.prev) if (variable === null || h.v === variable) out.push(h.row);
  return out;
}

function aggregate(nav: Extract<Navigation, { kind: 'agg' }>, rows: readonly number[], store: RowStore): Value {
  if (nav.column === null) return rows.length;
  let count = 0;
  let acc: Value = null;
  for (const r of rows) {
    const x = valueAt(store, r, nav.column);
    if (x === null) continue;
    count++;
    switch (nav.fn) {
      case 'SUM':
      case 'AVG':
        acc = ((acc as number | null) ?? 0) + (x as number);
        // A DECIMAL's unscaled partial sums must stay exact (within 2^53), as in GROUP BY.
        if (nav.scale !== undefined && Math.abs(acc) > MAX_UNSCALED) throw overflowError(`${nav.fn} inside MATCH_RECOGNIZE over a DECIMAL`, nav.type);
        break;
      case 'MIN':
        if (acc === null || beats(x, acc, false)) acc = x;
        break;
      case 'MAX':
        if (acc === null || beats(x, acc, true)) acc = x;
        break;
      case 'COUNT':
        break;
    }
  }
  if (nav.fn === 'COUNT') return count;
  if (nav.fn === 'AVG') return count === 0 ? null : (acc as number) / (count * pow10(nav.scale ?? 0));
  return acc;
}

/**
 * `n` values as a column. Evaluations are many and small (one per step of a partial match),
 * so numbers go straight into a typed array of the exact size.
 */
function columnOf(type: SqlType, values: readonly Value[], n: number): Data {
  const kind = physicalKindOf(type);
  if (kind !== 'f64' && kind !== 'i32' && kind !== 'bool') {
    const b = new ColumnBuilder(type, n);
    for (let i = 0; i < n; i++) b.append(values[i]!);
    return b.finish();
  }
  let validity: Uint8Array | null = null;
  let nulls = 0;
  const data = kind === 'f64' ? new Float64Array(n) : kind === 'i32' ? new Int32Array(n) : new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === null) {
      validity ??= new Uint8Array((n + 7) >> 3).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
      nulls++;
    } else if (kind === 'bool') {
      if (v === true) data[i >> 3]! |= 1 << (i & 7);
    } else data[i] = v as number;
  }
  if (kind === 'f64') return float64Column(data as Float64Array, validity, nulls);
  if (kind === 'i32') return int32Column(data as Int32Array, validity, nulls);
  return boolColumn(data as Uint8Array, n, validity, nulls);
}

/** A DEFINE condition or measure compiled once; the caller fills its navigation columns row by row. */
export class NavEvaluator {
  /** The values added since the last test/evaluate, one reused list per navigation. */
  private readonly values: Value[][];
  private readonly value: CompiledExpr | null;
  private readonly predicate: CompiledPredicate | null;
  /** True when only PREV and the tested row are read: the result does not depend on the match. */
  readonly rowLocal: boolean;

  constructor(
    readonly nav: NavExpr,
    asPredicate: boolean,
    private readonly variables: readonly string[],
    private readonly params: readonly Value[],
  ) {
    this.values = nav.navs.map(() => []);
    this.value = asPredicate ? null : compileExpr(nav.expr);
    this.predicate = asPredicate ? compilePredicate(nav.expr) : null;
    this.rowLocal = nav.navs.every((n) => n.kind === 'prev');
  }

  /** Rows added since the last test/evaluate (a measure may read no navigation at all). */
  private pending = 0;

  /** Adds one row: the value of every navigation in context `c`. */
  add(c: NavContext): void {
    const navs = this.nav.navs;
    for (let j = 0; j < navs.length; j++) this.values[j]!.push(navValue(navs[j]!, c, this.variables));
    this.pending++;
  }

  private take(): { cols: Data[]; n: number } {
    const n = this.pending;
    const cols = this.nav.navs.map((x, j) => columnOf(x.type, this.values[j]!, n));
    for (const v of this.values) v.length = 0;
    this.pending = 0;
    return { cols, n };
  }

  /** The rows added since the last call for which the condition is TRUE, as a 0/1 flag per row. */
  test(): Uint8Array {
    const { cols, n } = this.take();
    const out = new Uint8Array(n);
    if (n === 0) return out;
    const { sel, count } = this.predicate!.select(cols, n, this.params);
    for (let i = 0; i < count; i++) out[sel[i]!] = 1;
    return out;
  }

  /** The measure for the rows added since the last call. */
  evaluate(): Data {
    const { cols, n } = this.take();
    return this.value!.evaluate(cols, n, this.params);
  }
}
