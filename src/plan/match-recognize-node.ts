/**
 * The MATCH_RECOGNIZE plan node and what it holds: the bound row pattern, the DEFINE and
 * MEASURES expressions, and the navigations (FIRST, LAST, PREV, aggregates over a pattern
 * variable's rows) those expressions read. Each expression is bound over its own list of
 * navigations: `Column i` of the expression is the value of navigation `i`, which the
 * operator computes from the match (or the partial match) it evaluates the expression for.
 */
import type { BoundExpr } from './expr.js';
import type { AggFn, LogicalPlan, SortKey } from './logical-plan.js';
import type { Schema, SqlType } from '../types.js';

/** A row pattern over variable ids (indices into `MatchRecognizeNode.variables`). */
export type BoundPattern =
  | { readonly kind: 'var'; readonly v: number }
  | { readonly kind: 'seq'; readonly items: readonly BoundPattern[] }
  | { readonly kind: 'alt'; readonly items: readonly BoundPattern[] }
  | { readonly kind: 'quant'; readonly term: BoundPattern; readonly min: number; readonly max: number | null; readonly reluctant: boolean };

/**
 * A value read from the rows of a (partial) match. `variable` null means every row of the
 * match. In DEFINE the row being tested counts as a row of the variable being defined.
 * - prev: the row `offset` rows before the tested row in the partition (DEFINE only);
 * - first / last: the `offset`-th row from the first / last row of the variable;
 * - agg: an aggregate over the variable's rows (`column` null: COUNT(v.*));
 * - matchNumber, classifier: MATCH_NUMBER() and CLASSIFIER() (MEASURES only).
 */
export type Navigation =
  | { readonly kind: 'prev'; readonly column: number; readonly offset: number; readonly type: SqlType }
  | { readonly kind: 'first' | 'last'; readonly variable: number | null; readonly column: number; readonly offset: number; readonly type: SqlType }
  | {
      readonly kind: 'agg';
      readonly fn: AggFn;
      readonly variable: number | null;
      readonly column: number | null;
      readonly type: SqlType;
      /** A DECIMAL argument's scale: its values are unscaled integers (SUM checks the exact range, AVG divides by 10^scale). */
      readonly scale?: number;
    }
  | { readonly kind: 'matchNumber'; readonly type: SqlType }
  | { readonly kind: 'classifier'; readonly type: SqlType };

/** An expression over navigations (see the file comment). */
export interface NavExpr {
  readonly expr: BoundExpr;
  readonly navs: readonly Navigation[];
}

export type SkipMode =
  | { readonly kind: 'PAST_LAST_ROW' | 'TO_NEXT_ROW' }
  | { readonly kind: 'TO_FIRST' | 'TO_LAST'; readonly variable: number };

/**
 * Row pattern recognition (MATCH_RECOGNIZE, ONE ROW PER MATCH) per `partitionBy` key over
 * rows in event-time order: one output row per match, `partition columns…, measures…`,
 * append-only, emitted once the watermark decides the match.
 */
export interface MatchRecognizeNode {
  readonly kind: 'MatchRecognize';
  readonly schema: Schema;
  readonly appendOnly: true;
  readonly uniqueKey: null;
  readonly input: LogicalPlan;
  readonly partitionBy: readonly number[];
  /** The event-time column first, then tie-breakers. */
  readonly orderBy: readonly SortKey[];
  /** Variable names as first written in PATTERN (CLASSIFIER() returns them). */
  readonly variables: readonly string[];
  readonly pattern: BoundPattern;
  /** The PATTERN as written, for EXPLAIN. */
  readonly patternText: string;
  /** The DEFINE condition per variable; null: the variable matches any row. */
  readonly defines: readonly (NavExpr | null)[];
  /** `timeAttr`: the measure is the match's last event time (MATCH_ROWTIME()), an event-time column of the output. */
  readonly measures: readonly (NavExpr & { readonly name: string; readonly timeAttr: boolean })[];
  readonly skip: SkipMode;
  readonly withinMs: number | null;
}

/** The node with its output schema: partition columns, then one column per measure. */
export function matchRecognizeNode(
  input: LogicalPlan,
  fields: Omit<MatchRecognizeNode, 'kind' | 'schema' | 'appendOnly' | 'uniqueKey' | 'input'>,
): MatchRecognizeNode {
  const schema: Schema = [
    ...fields.partitionBy.map((i) => ({ name: input.schema[i]!.name, type: input.schema[i]!.type })),
    ...fields.measures.map((m) => ({ name: m.name, type: m.expr.type, ...(m.timeAttr ? { timeAttr: true } : {}) })),
  ];
  return { kind: 'MatchRecognize', schema, appendOnly: true, uniqueKey: null, input, ...fields };
}

/** The input columns the node reads. */
export function matchRecognizeColumns(p: MatchRecognizeNode): Set<number> {
  const need = new Set<number>([...p.partitionBy, ...p.orderBy.map((k) => k.column)]);
  for (const e of [...p.defines, ...p.measures]) {
    for (const n of e?.navs ?? []) if ('column' in n && n.column !== null) need.add(n.column);
  }
  return need;
}

/** The node over a new input whose column `i` is the old input's column `m[i]`-mapped. */
export function remapMatchRecognize(p: MatchRecognizeNode, input: LogicalPlan, m: readonly number[]): MatchRecognizeNode {
  const nav = (n: Navigation): Navigation => ('column' in n && n.column !== null ? { ...n, column: m[n.column]! } : n);
  const navExpr = <E extends NavExpr>(e: E): E => ({ ...e, navs: e.navs.map(nav) });
  return {
    ...p,
    input,
    partitionBy: p.partitionBy.map((i) => m[i]!),
    orderBy: p.orderBy.map((k) => ({ ...k, column: m[k.column]! })),
    defines: p.defines.map((d) => (d ? navExpr(d) : null)),
    measures: p.measures.map(navExpr),
  };
}
