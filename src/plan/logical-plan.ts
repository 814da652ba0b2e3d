/**
 * The logical plan: what a query computes, as a tree of plain nodes. The binder builds it
 * from the AST, the rewrite rules (src/plan/rules) simplify it, EXPLAIN prints it and the
 * executor (src/exec) turns each node into a physical operator.
 *
 * Every node knows its output `schema`, whether its output is `appendOnly` (only inserts)
 * or a changelog with retractions, and `uniqueKey`: columns that identify one row of its
 * current result (used to upsert view contents), or null when rows have no key.
 */
import type { RetentionBound } from './join-retention.js';
import type { MatchRecognizeNode } from './match-recognize-node.js';
import type { BoundExpr } from './expr.js';
import type { Schema, SqlType } from '../types.js';

export type LogicalPlan =
  | ScanNode
  | ViewScanNode
  | ValuesNode
  | FilterNode
  | ProjectNode
  | WindowTvfNode
  | AggregateNode
  | WindowAggregateNode
  | UnionAllNode
  | JoinNode
  | TemporalJoinNode
  | OverNode
  | TopNNode
  | SetOpNode
  | MatchRecognizeNode
  | SemiJoinNode;

interface PlanBase {
  readonly schema: Schema;
  readonly appendOnly: boolean;
  readonly uniqueKey: readonly number[] | null;
}

/** Reads a source's events; `columns` picks source columns by position. */
export interface ScanNode extends PlanBase {
  readonly kind: 'Scan';
  readonly source: string;
  readonly columns: readonly number[];
  /** The source's watermark: which output column it follows and the allowed delay. */
  readonly watermark: { readonly column: number; readonly delayMs: number } | null;
  /** Time travel (AS OF): read only the events before this point, then stop. */
  readonly until?: ReplayLimit;
}

/**
 * Where a replay stops: before the first event whose event time passes `value` (TIMESTAMP),
 * or after the event at offset `value` (OFFSET).
 */
export interface ReplayLimit {
  readonly by: 'TIMESTAMP' | 'OFFSET';
  readonly value: number;
}

/** Reads a materialized view: its current contents as inserts, then its changes. */
export interface ViewScanNode extends PlanBase {
  readonly kind: 'ViewScan';
  readonly view: string;
  readonly columns: readonly number[];
}

/** Constant rows (a SELECT without FROM). */
export interface ValuesNode extends PlanBase {
  readonly kind: 'Values';
  readonly rows: readonly (readonly BoundExpr[])[];
}

/** Keeps the rows for which `predicate` is TRUE. */
export interface FilterNode extends PlanBase {
  readonly kind: 'Filter';
  readonly input: LogicalPlan;
  readonly predicate: BoundExpr;
}

/** Computes one output column per expression. */
export interface ProjectNode extends PlanBase {
  readonly kind: 'Project';
  readonly input: LogicalPlan;
  readonly exprs: readonly BoundExpr[];
}

export type WindowKind = 'TUMBLE' | 'HOP' | 'CUMULATE' | 'SESSION';

/**
 * A window assignment. TUMBLE: `size`; HOP: `slide`, `size`; CUMULATE: `slide` (the step),
 * `size` (the maximum); SESSION: `gap` per `partitionBy` key. All in ms; `offset` shifts the
 * epoch-aligned grid. `timeCol` is an input column index.
 */
export interface WindowDef {
  readonly kind: WindowKind;
  readonly timeCol: number;
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
  readonly gap: number;
  readonly partitionBy: readonly number[];
}

/** Assigns each row to its windows (one output row per window) and adds window_start, window_end, window_time. */
export interface WindowTvfNode extends PlanBase {
  readonly kind: 'WindowTvf';
  readonly input: LogicalPlan;
  readonly window: WindowDef;
}

export type AggFn = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** One aggregate call; `arg` is an input column (null for COUNT(*)). */
export interface AggCall {
  readonly fn: AggFn;
  readonly arg: number | null;
  readonly argType: SqlType | null;
  readonly distinct: boolean;
  readonly type: SqlType;
  readonly name: string;
  /**
   * `FILTER (WHERE …)` as written, for EXPLAIN only: the binder has already folded it into
   * `arg` (a CASE that is NULL where the condition is not TRUE).
   */
  readonly filter?: string;
}

/** GROUP BY without windows: output `keys…, aggs…`; always a changelog keyed by the group. */
export interface AggregateNode extends PlanBase {
  readonly kind: 'Aggregate';
  readonly input: LogicalPlan;
  readonly keys: readonly number[];
  readonly aggs: readonly AggCall[];
  /**
   * The view's `state_ttl` (ms), over an append-only input: a group that took no row while
   * the watermark moved this far is dropped, and a later row of its key starts it afresh.
   */
  readonly idleTtlMs?: number;
}

export type EmitMode = 'CHANGES' | 'ON_WINDOW_CLOSE';

/**
 * Aggregation per window and group, with window state freed once the watermark passes the
 * window's end. Output `window_start, window_end, window_time, keys…, aggs…`.
 */
export interface WindowAggregateNode extends PlanBase {
  readonly kind: 'WindowAggregate';
  readonly input: LogicalPlan;
  readonly window: WindowDef;
  readonly keys: readonly number[];
  readonly aggs: readonly AggCall[];
  readonly emit: EmitMode;
}

/** Concatenates inputs of one schema. */
export interface UnionAllNode extends PlanBase {
  readonly kind: 'UnionAll';
  readonly inputs: readonly LogicalPlan[];
}

export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';

/** Joins two inputs on equal keys plus a residual condition over the concatenated columns. */
export interface JoinNode extends PlanBase {
  readonly kind: 'Join';
  readonly joinType: JoinType;
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  readonly condition: BoundExpr | null;
  /** When each side's stored rows can be dropped (interval joins; see join-retention.ts). */
  readonly retention: readonly [readonly RetentionBound[], readonly RetentionBound[]];
  /** The view's `state_ttl` in ms (null: none): bounds a side the condition leaves unbounded. */
  readonly stateTtlMs: number | null;
  /**
   * ON_WINDOW_CLOSE (outer interval joins): an unmatched outer row is emitted padded once,
   * when the other side's watermark passes its bound, so the output is append-only.
   */
  readonly emit: EmitMode;
  /**
   * The columns it outputs, as indexes into left ++ right in output order (absent: all of
   * them); the rest are read only by the join itself (keys, condition, retention bounds).
   */
  readonly output?: readonly number[];
}

/**
 * Event-time temporal join (`JOIN r FOR SYSTEM_TIME AS OF l.t`): each left row meets the
 * version of the right row of its key valid at its `leftTime` (the latest `rightTime` at or
 * before it, ties to the later arrival), once both watermarks pass it; append-only output.
 */
export interface TemporalJoinNode extends PlanBase {
  readonly kind: 'TemporalJoin';
  readonly joinType: 'INNER' | 'LEFT';
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  /** Left columns equal to the right side's key columns, pairwise. */
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  readonly leftTime: number;
  /** The right column holding each version's event time. */
  readonly rightTime: number;
  /** The rest of ON over the concatenated columns, applied to the chosen version. */
  readonly condition: BoundExpr | null;
}

export interface SortKey {
  readonly column: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

export type OverFn = 'ROW_NUMBER' | 'RANK' | 'DENSE_RANK' | AnalyticFn | AggFn;

/** Window functions that read one row of the partition or frame (navigation). */
export type AnalyticFn = 'LAG' | 'LEAD' | 'FIRST_VALUE' | 'LAST_VALUE' | 'NTH_VALUE';

/** ROWS/RANGE frame; offsets in rows or ms; null = UNBOUNDED. */
export interface OverFrame {
  readonly unit: 'ROWS' | 'RANGE';
  readonly preceding: number | null;
  readonly following: number | null;
}

export interface OverCall {
  readonly fn: OverFn;
  readonly arg: number | null;
  readonly type: SqlType;
  readonly name: string;
  /** LAG/LEAD: rows back or ahead; NTH_VALUE: the 1-based row of the frame. */
  readonly offset?: number;
  /** LAG/LEAD: the column of the default value (null: NULL). */
  readonly defaultArg?: number | null;
  /** Navigation functions with IGNORE NULLS: rows whose value is NULL are passed over. */
  readonly ignoreNulls?: boolean;
}

/** Window functions (OVER): adds one column per call to each input row. */
export interface OverNode extends PlanBase {
  readonly kind: 'Over';
  readonly input: LogicalPlan;
  readonly partitionBy: readonly number[];
  readonly orderBy: readonly SortKey[];
  readonly frame: OverFrame;
  readonly calls: readonly OverCall[];
}

/**
 * ORDER BY with an optional LIMIT and OFFSET: skips the first `offset` rows in order and
 * keeps the next `limit` (all when null), per `partitionBy` group (ROW_NUMBER() … WHERE
 * rn <= N); `rowNumber` names an added column with each row's position (1-based) when the
 * query selects it.
 */
export interface TopNNode extends PlanBase {
  readonly kind: 'TopN';
  readonly input: LogicalPlan;
  readonly orderBy: readonly SortKey[];
  readonly limit: number | null;
  readonly offset: number;
  readonly partitionBy: readonly number[];
  readonly rowNumber: string | null;
  /**
   * Top-N with ties (RANK() / DENSE_RANK() … WHERE r <= N): keeps the rows ranked 1..limit,
   * peers sharing a rank, and `rowNumber` holds the rank. Absent: ROW_NUMBER.
   */
  readonly rank?: 'RANK' | 'DENSE_RANK';
}

/**
 * INTERSECT / EXCEPT [ALL] over the per-row counts of its input: an aggregate that keeps,
 * for every distinct row of both sides, how often each side holds it (`cols…, left, right`).
 * Each row is output as many times as the operation says (ALL: min(left, right) or
 * max(left - right, 0); otherwise 0 or 1), as changes of that number.
 */
export interface SetOpNode extends PlanBase {
  readonly kind: 'SetOp';
  readonly op: 'INTERSECT' | 'EXCEPT';
  readonly all: boolean;
  readonly input: LogicalPlan;
}

/**
 * A subquery predicate as a join that outputs left rows only: each left row while the right
 * side holds a row with equal keys (EXISTS, IN) or, when `anti`, none (NOT EXISTS). NULL keys
 * never match. `nullAware` (NOT IN, with `anti`): the last key is the IN probe, and a left
 * row is kept when its group (the other keys) is empty, or when its probe is not NULL and
 * the group holds neither it nor a NULL. With `mark` (a subquery predicate inside a larger
 * expression) every left row is output with one more BOOLEAN column of that name holding
 * the predicate's value: EXISTS, or with `nullAware` the three-valued `probe IN (group)`.
 */
export interface SemiJoinNode extends PlanBase {
  readonly kind: 'SemiJoin';
  readonly anti: boolean;
  readonly nullAware: boolean;
  readonly mark?: string;
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
}

/** The direct inputs of a node. */
export function inputsOf(p: LogicalPlan): readonly LogicalPlan[] {
  switch (p.kind) {
    case 'Scan':
    case 'ViewScan':
    case 'Values':
      return [];
    case 'Filter':
    case 'Project':
    case 'WindowTvf':
    case 'Aggregate':
    case 'WindowAggregate':
    case 'Over':
    case 'TopN':
    case 'SetOp':
    case 'MatchRecognize':
      return [p.input];
    case 'UnionAll':
      return p.inputs;
    case 'Join':
    case 'TemporalJoin':
    case 'SemiJoin':
      return [p.left, p.right];
  }
}

/** Visits every node of a plan, parents first. */
export function walkPlan(p: LogicalPlan, f: (node: LogicalPlan) => void): void {
  f(p);
  for (const i of inputsOf(p)) walkPlan(i, f);
}

/** The sources a plan reads (directly). */
export function sourcesOf(p: LogicalPlan): Set<string> {
  const out = new Set<string>();
  walkPlan(p, (n) => {
    if (n.kind === 'Scan') out.add(n.source);
  });
  return out;
}

/** The materialized views a plan reads. */
export function viewsOf(p: LogicalPlan): Set<string> {
  const out = new Set<string>();
  walkPlan(p, (n) => {
    if (n.kind === 'ViewScan') out.add(n.view);
  });
  return out;
}
