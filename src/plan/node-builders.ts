/**
 * Constructors for plan nodes: each derives the node's schema, append-only mark and unique
 * key from its inputs, so the binder and the rewrite rules build nodes the same way.
 */
import { joinRetention } from './join-retention.js';
import { deduplication } from './deduplicate.js';
import type { Column, Schema, SqlType } from '../types.js';
import { isDecimal, scaleOf } from '../decimal.js';
import { col, type BoundExpr } from './expr.js';
import type {
  AggCall,
  AggregateNode,
  EmitMode,
  FilterNode,
  JoinNode,
  JoinType,
  LogicalPlan,
  OverCall,
  OverFrame,
  OverNode,
  ProjectNode,
  ReplayLimit,
  ScanNode,
  SetOpNode,
  SemiJoinNode,
  SortKey,
  TemporalJoinNode,
  TopNNode,
  UnionAllNode,
  ValuesNode,
  ViewScanNode,
  WindowAggregateNode,
  WindowDef,
  WindowTvfNode,
} from './logical-plan.js';

export const WINDOW_COLUMNS = ['window_start', 'window_end', 'window_time'] as const;

function windowColumns(): Column[] {
  return [
    { name: 'window_start', type: 'TIMESTAMP', timeAttr: true },
    { name: 'window_end', type: 'TIMESTAMP', timeAttr: true },
    { name: 'window_time', type: 'TIMESTAMP', timeAttr: true },
  ];
}

export function scanNode(
  source: string,
  sourceSchema: Schema,
  columns: readonly number[],
  watermark: { column: number; delayMs: number } | null,
  until?: ReplayLimit,
): ScanNode {
  return {
    kind: 'Scan',
    source,
    columns,
    watermark,
    ...(until ? { until } : {}),
    schema: columns.map((i) => sourceSchema[i]!),
    appendOnly: true,
    uniqueKey: null,
  };
}

export function viewScanNode(view: string, viewPlan: { schema: Schema; appendOnly: boolean; uniqueKey: readonly number[] | null }, columns: readonly number[]): ViewScanNode {
  return {
    kind: 'ViewScan',
    view,
    columns,
    schema: columns.map((i) => viewPlan.schema[i]!),
    appendOnly: viewPlan.appendOnly,
    uniqueKey: remapKey(viewPlan.uniqueKey, columns),
  };
}

export function valuesNode(rows: readonly (readonly BoundExpr[])[], schema: Schema): ValuesNode {
  return { kind: 'Values', rows, schema, appendOnly: true, uniqueKey: null };
}

export function filterNode(input: LogicalPlan, predicate: BoundExpr): FilterNode {
  return { kind: 'Filter', input, predicate, schema: input.schema, appendOnly: input.appendOnly, uniqueKey: input.uniqueKey };
}

/** `names` gives the output column names; time attributes survive plain column references. */
export function projectNode(input: LogicalPlan, exprs: readonly BoundExpr[], names: readonly string[]): ProjectNode {
  const schema = exprs.map((e, i) => ({
    name: names[i]!,
    type: e.type,
    timeAttr: e.kind === 'Column' && input.schema[e.index]!.timeAttr === true,
  }));
  const positions = exprs.map((e) => (e.kind === 'Column' ? e.index : -1));
  return {
    kind: 'Project',
    input,
    exprs,
    schema,
    appendOnly: input.appendOnly,
    uniqueKey: remapKey(input.uniqueKey, positions),
  };
}

/** `input` with `exprs` appended as columns named `names` (the input itself when there are none). */
export function withColumns(input: LogicalPlan, exprs: readonly BoundExpr[], names: readonly string[]): LogicalPlan {
  if (exprs.length === 0) return input;
  const cols = input.schema.map((c, i) => col(i, c.name, c.type));
  return projectNode(input, [...cols, ...exprs], [...input.schema.map((c) => c.name), ...names]);
}

/** Where each key column of the input ends up when the output picks `columns`, or null if one is lost. */
function remapKey(key: readonly number[] | null, columns: readonly number[]): number[] | null {
  if (key === null) return null;
  const out: number[] = [];
  for (const k of key) {
    const at = columns.indexOf(k);
    if (at < 0) return null;
    out.push(at);
  }
  return out;
}

export function windowTvfNode(input: LogicalPlan, window: WindowDef): WindowTvfNode {
  return {
    kind: 'WindowTvf',
    input,
    window,
    schema: [...input.schema, ...windowColumns()],
    appendOnly: input.appendOnly,
    uniqueKey: null,
  };
}

function aggColumns(input: LogicalPlan, keys: readonly number[], aggs: readonly AggCall[]): Column[] {
  return [
    ...keys.map((k) => ({ name: input.schema[k]!.name, type: input.schema[k]!.type })),
    ...aggs.map((a) => ({ name: a.name, type: a.type })),
  ];
}

/** `idleTtlMs` (a view's state_ttl) applies to groups of an append-only input only. */
export function aggregateNode(input: LogicalPlan, keys: readonly number[], aggs: readonly AggCall[], idleTtlMs?: number): AggregateNode {
  return {
    kind: 'Aggregate',
    input,
    keys,
    aggs,
    ...(idleTtlMs !== undefined && keys.length > 0 && input.appendOnly ? { idleTtlMs } : {}),
    schema: aggColumns(input, keys, aggs),
    appendOnly: false,
    uniqueKey: keys.map((_, i) => i),
  };
}

export function windowAggregateNode(
  input: LogicalPlan,
  window: WindowDef,
  keys: readonly number[],
  aggs: readonly AggCall[],
  emit: EmitMode,
): WindowAggregateNode {
  return {
    kind: 'WindowAggregate',
    input,
    window,
    keys,
    aggs,
    emit,
    schema: [...windowColumns(), ...aggColumns(input, keys, aggs)],
    appendOnly: emit === 'ON_WINDOW_CLOSE',
    uniqueKey: [0, 1, ...keys.map((_, i) => 3 + i)],
  };
}

/**
 * A semi or anti join (see SemiJoinNode). A semi join over append-only inputs only ever adds
 * rows (matches never go away); an anti join retracts a row when its first match arrives.
 */
export function semiJoinNode(
  left: LogicalPlan,
  right: LogicalPlan,
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  anti: boolean,
  nullAware: boolean,
  mark?: string,
): SemiJoinNode {
  return {
    kind: 'SemiJoin',
    anti,
    nullAware,
    ...(mark !== undefined ? { mark } : {}),
    left,
    right,
    leftKeys,
    rightKeys,
    schema: mark !== undefined ? [...left.schema, { name: mark, type: 'BOOLEAN' }] : left.schema,
    appendOnly: mark === undefined && !anti && left.appendOnly && right.appendOnly,
    uniqueKey: left.uniqueKey,
  };
}

/** INTERSECT / EXCEPT over an input `cols…, left count, right count` (see SetOpNode). */
export function setOpNode(op: SetOpNode['op'], all: boolean, input: LogicalPlan): SetOpNode {
  const schema = input.schema.slice(0, input.schema.length - 2);
  return { kind: 'SetOp', op, all, input, schema, appendOnly: false, uniqueKey: all ? null : schema.map((_, i) => i) };
}

export function unionAllNode(inputs: readonly LogicalPlan[], schema: Schema): UnionAllNode {
  return { kind: 'UnionAll', inputs, schema, appendOnly: inputs.every((i) => i.appendOnly), uniqueKey: null };
}

/**
 * A join's columns before it picks its output: the left ones then the right ones, those of
 * a side padded with NULLs (an outer join's other side) no longer event time.
 */
export function joinedSchema(joinType: JoinType, left: Schema, right: Schema): Schema {
  const nullable = (s: Schema): Column[] => s.map((c) => ({ name: c.name, type: c.type }));
  return [
    ...(joinType === 'RIGHT' || joinType === 'FULL' ? nullable(left) : left),
    ...(joinType === 'LEFT' || joinType === 'FULL' ? nullable(right) : right),
  ];
}

export function joinNode(
  joinType: JoinType,
  left: LogicalPlan,
  right: LogicalPlan,
  leftKeys: readonly number[],
  rightKeys: readonly number[],
  condition: BoundExpr | null,
  stateTtlMs: number | null = null,
  emit: EmitMode = 'CHANGES',
  output: readonly number[] | null = null,
): JoinNode {
  const joined = joinedSchema(joinType, left.schema, right.schema);
  // Every column in order is the default: left out, so such a plan is as it always was.
  const picked = output === null || (output.length === joined.length && output.every((j, i) => j === i)) ? null : output;
  return {
    kind: 'Join',
    joinType,
    left,
    right,
    leftKeys,
    rightKeys,
    condition,
    retention: joinRetention(condition, left.schema, right.schema, left.appendOnly && right.appendOnly, stateTtlMs),
    stateTtlMs,
    emit,
    ...(picked ? { output: picked } : {}),
    schema: picked ? picked.map((j) => joined[j]!) : joined,
    // Under EMIT ON WINDOW CLOSE an outer row is padded once, when final, never retracted.
    appendOnly: joinType === 'INNER' || joinType === 'CROSS' || emit === 'ON_WINDOW_CLOSE' ? left.appendOnly && right.appendOnly : false,
    uniqueKey: null,
  };
}

export function temporalJoinNode(
  joinType: 'INNER' | 'LEFT',
  left: LogicalPlan,
  right: LogicalPlan,
  keys: { readonly left: readonly number[]; readonly right: readonly number[] },
  leftTime: number,
  rightTime: number,
  condition: BoundExpr | null,
): TemporalJoinNode {
  // A version's time may lie far below the watermark: only the left time stays an event-time column.
  const rightCols = right.schema.map((c) => ({ name: c.name, type: c.type }));
  return {
    kind: 'TemporalJoin',
    joinType,
    left,
    right,
    leftKeys: keys.left,
    rightKeys: keys.right,
    leftTime,
    rightTime,
    condition,
    schema: [...left.schema.map((c, i) => (i === leftTime ? c : { name: c.name, type: c.type })), ...rightCols],
    appendOnly: true,
    uniqueKey: null,
  };
}

export function overNode(
  input: LogicalPlan,
  partitionBy: readonly number[],
  orderBy: readonly SortKey[],
  frame: OverFrame,
  calls: readonly OverCall[],
): OverNode {
  return {
    kind: 'Over',
    input,
    partitionBy,
    orderBy,
    frame,
    calls,
    schema: [...input.schema, ...calls.map((c) => ({ name: c.name, type: c.type }))],
    // Aggregates over rows ordered by event time are final once the watermark passes a row.
    appendOnly:
      input.appendOnly &&
      orderBy.length === 1 &&
      !orderBy[0]!.desc &&
      input.schema[orderBy[0]!.column]!.timeAttr === true &&
      calls.every((c) => c.fn !== 'ROW_NUMBER' && c.fn !== 'RANK' && c.fn !== 'DENSE_RANK'),
    uniqueKey: null,
  };
}

export function topNNode(
  input: LogicalPlan,
  orderBy: readonly SortKey[],
  limit: number | null,
  partitionBy: readonly number[] = [],
  rowNumber: string | null = null,
  offset = 0,
  rank?: 'RANK' | 'DENSE_RANK',
): TopNNode {
  const width = input.schema.length;
  const dedup = deduplication({ input, orderBy, limit, offset, partitionBy, rank });
  return {
    kind: 'TopN',
    input,
    orderBy,
    limit,
    offset,
    partitionBy,
    rowNumber,
    ...(rank !== undefined ? { rank } : {}),
    schema: rowNumber === null ? input.schema : [...input.schema, { name: rowNumber, type: 'BIGINT' }],
    // A first row per key is emitted once, when the watermark has passed it (src/plan/deduplicate.ts).
    appendOnly: dedup === 'first' || (limit === null && offset === 0 && partitionBy.length === 0 ? input.appendOnly : false),
    // Peers share a rank: only the input's own key still identifies a row.
    uniqueKey: rank !== undefined ? input.uniqueKey : dedup !== null ? partitionBy : rowNumber === null ? input.uniqueKey : [...partitionBy, width],
  };
}

/** The result type of an aggregate over an argument type (AVG is always DOUBLE; SUM of integers is BIGINT). */
export function aggregateType(fn: AggCall['fn'], argType: SqlType | null): SqlType {
  switch (fn) {
    case 'COUNT':
      return 'BIGINT';
    case 'AVG':
      return 'DOUBLE';
    case 'SUM':
      // DECIMAL(p,s) sums to DECIMAL(38,s), as in DuckDB.
      if (argType !== null && isDecimal(argType)) return `DECIMAL(38,${scaleOf(argType)})`;
      return argType === 'INT' || argType === 'BIGINT' ? 'BIGINT' : argType === 'INTERVAL' ? 'INTERVAL' : 'DOUBLE';
    case 'MIN':
    case 'MAX':
      return argType ?? 'NULL';
  }
}
