/**
 * Bound expressions: typed, name-resolved expressions over the columns of one plan node's
 * input. The binder produces them from AST expressions; the executor compiles each one once
 * per query into a loop over column vectors (src/exec/expr).
 */
import type { SqlType, Value } from '../types.js';
import type { MoreFn } from './more-functions.js';

/**
 * Scalar functions and operators. Semantics follow DuckDB (the test oracle) unless noted:
 * - arithmetic `add sub mul div mod neg`: on numbers; `div` always gives DOUBLE and x/0 is
 *   NULL; `mod` by 0 is NULL; INT arithmetic is widened to BIGINT. TIMESTAMP ± INTERVAL,
 *   TIMESTAMP - TIMESTAMP (→ INTERVAL), INTERVAL ± INTERVAL, DATE ± INT (days) are `add`/`sub`
 *   over the numeric representations (the binder casts DATE to TIMESTAMP where units differ).
 * - comparisons `eq ne lt le gt ge` on two values of one type (numbers, strings by code
 *   point, booleans false < true); NULL in → NULL out.
 * - `and or not` with three-valued logic; `is_null is_not_null` never NULL;
 *   `is_distinct`/`is_not_distinct` compare with NULL = NULL.
 * - `in`: args[0] IN (args[1..]); NULL if no match and any side is NULL.
 * - `like`: SQL LIKE with % and _ (no escape character), case-sensitive.
 * - `concat_op` is `||` (NULL if any arg is NULL); `concat` is CONCAT() (NULLs skipped).
 * - strings: `lower upper length substring(s, start[, len]) trim ltrim rtrim`; 1-based
 *   SUBSTRING as in DuckDB; LENGTH counts code points.
 * - numbers: `abs round(x[, digits]) floor ceil` (ROUND half away from zero, as DuckDB).
 * - time: `extract(field, x)` with field a VARCHAR literal (YEAR … EPOCH) over TIMESTAMP or DATE
 *   (EPOCH in seconds as DOUBLE, SECOND with fraction as DOUBLE, others BIGINT);
 *   `date_trunc(unit, ts)` with unit a VARCHAR literal (millisecond … year) → TIMESTAMP.
 * - `coalesce(…)`, `nullif(a, b)`.
 */
export type ScalarFn =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'mod'
  | 'neg'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'is_distinct'
  | 'is_not_distinct'
  | 'and'
  | 'or'
  | 'not'
  | 'is_null'
  | 'is_not_null'
  | 'in'
  | 'like'
  | 'concat_op'
  | 'concat'
  | 'lower'
  | 'upper'
  | 'length'
  | 'substring'
  | 'trim'
  | 'ltrim'
  | 'rtrim'
  | 'abs'
  | 'round'
  | 'floor'
  | 'ceil'
  | 'extract'
  | 'date_trunc'
  | 'coalesce'
  | 'nullif'
  | MoreFn;

export type BoundExpr = ColumnExpr | LiteralExpr | ParamExpr | CallExpr | CaseExpr | CastExpr;

/** A column of the input, by position. */
export interface ColumnExpr {
  readonly kind: 'Column';
  readonly index: number;
  readonly name: string;
  readonly type: SqlType;
  /**
   * The table or alias that EXPLAIN prints before the name: the one the query wrote, or the
   * one that tells two columns of one name apart in a join. Not part of the column's identity.
   */
  readonly qualifier?: string;
}

/** A constant, in the representation of its type (TIMESTAMP as epoch ms, DATE as days…). */
export interface LiteralExpr {
  readonly kind: 'Literal';
  readonly value: Value;
  readonly type: SqlType;
}

/** A `?` parameter, bound when the query runs. */
export interface ParamExpr {
  readonly kind: 'Param';
  readonly index: number;
  readonly type: SqlType;
}

/** A scalar function or operator; its args already have the types the function expects. */
export interface CallExpr {
  readonly kind: 'Call';
  readonly fn: ScalarFn;
  readonly args: readonly BoundExpr[];
  readonly type: SqlType;
}

/** Searched CASE (a CASE with an operand is rewritten to comparisons by the binder). */
export interface CaseExpr {
  readonly kind: 'Case';
  readonly whens: readonly { readonly when: BoundExpr; readonly then: BoundExpr }[];
  readonly else: BoundExpr | null;
  readonly type: SqlType;
}

/**
 * A conversion between types. VARCHAR → number/TIMESTAMP/DATE/BOOLEAN parses (NULL when the
 * text does not parse; DuckDB would raise, sluice keeps the stream going); DOUBLE → INT/BIGINT
 * rounds half away from zero; anything → VARCHAR prints as DuckDB does (TIMESTAMP as
 * `2024-01-01 00:00:10`, with `.123` when it has milliseconds).
 */
export interface CastExpr {
  readonly kind: 'Cast';
  readonly expr: BoundExpr;
  readonly type: SqlType;
}

export function col(index: number, name: string, type: SqlType): ColumnExpr {
  return { kind: 'Column', index, name, type };
}

export function lit(value: Value, type: SqlType): LiteralExpr {
  return { kind: 'Literal', value, type };
}

export function call(fn: ScalarFn, args: readonly BoundExpr[], type: SqlType): CallExpr {
  return { kind: 'Call', fn, args, type };
}

/** Structural equality of bound expressions (used to match GROUP BY expressions). */
export function exprEquals(a: BoundExpr, b: BoundExpr): boolean {
  if (a.kind !== b.kind || a.type !== b.type) return false;
  switch (a.kind) {
    case 'Column':
      return a.index === (b as ColumnExpr).index;
    case 'Literal':
      return a.value === (b as LiteralExpr).value;
    case 'Param':
      return a.index === (b as ParamExpr).index;
    case 'Call': {
      const o = b as CallExpr;
      return a.fn === o.fn && a.args.length === o.args.length && a.args.every((x, i) => exprEquals(x, o.args[i]!));
    }
    case 'Case': {
      const o = b as CaseExpr;
      if (a.whens.length !== o.whens.length) return false;
      if (!a.whens.every((w, i) => exprEquals(w.when, o.whens[i]!.when) && exprEquals(w.then, o.whens[i]!.then))) return false;
      return a.else === null ? o.else === null : o.else !== null && exprEquals(a.else, o.else);
    }
    case 'Cast':
      return exprEquals(a.expr, (b as CastExpr).expr);
  }
}

/** Every input column index an expression reads. */
export function columnsUsed(e: BoundExpr, into: Set<number> = new Set()): Set<number> {
  switch (e.kind) {
    case 'Column':
      into.add(e.index);
      break;
    case 'Call':
      for (const a of e.args) columnsUsed(a, into);
      break;
    case 'Case':
      for (const w of e.whens) {
        columnsUsed(w.when, into);
        columnsUsed(w.then, into);
      }
      if (e.else) columnsUsed(e.else, into);
      break;
    case 'Cast':
      columnsUsed(e.expr, into);
      break;
    case 'Literal':
    case 'Param':
      break;
  }
  return into;
}

/** Rewrites column references with `f` (used when pushing expressions through nodes). */
export function mapColumns(e: BoundExpr, f: (c: ColumnExpr) => BoundExpr): BoundExpr {
  switch (e.kind) {
    case 'Column':
      return f(e);
    case 'Call':
      return { ...e, args: e.args.map((a) => mapColumns(a, f)) };
    case 'Case':
      return {
        ...e,
        whens: e.whens.map((w) => ({ when: mapColumns(w.when, f), then: mapColumns(w.then, f) })),
        else: e.else ? mapColumns(e.else, f) : null,
      };
    case 'Cast':
      return { ...e, expr: mapColumns(e.expr, f) };
    case 'Literal':
    case 'Param':
      return e;
  }
}
