/**
 * Deduplication (Flink's form): a ROW_NUMBER Top-N that keeps one row per partition, ordered
 * by the event time of an append-only input (`ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts
 * [DESC]) AS rn … WHERE rn = 1`). It needs no sorted rows: ASC keeps each key's first row and
 * emits it once, when the watermark passes it (append-only output); DESC keeps the last row
 * and replaces it (-U/+U) when a later one comes. Either way the state is one row per key.
 */
import type { LogicalPlan, SortKey } from './logical-plan.js';

/** The TopN fields that decide whether it is a deduplication. */
export interface DedupShape {
  readonly input: LogicalPlan;
  readonly orderBy: readonly SortKey[];
  readonly limit: number | null;
  readonly offset: number;
  readonly partitionBy: readonly number[];
  readonly rank?: 'RANK' | 'DENSE_RANK';
}

/** 'first' or 'last' when a TopN keeps one row per key by event time, else null. */
export function deduplication(p: DedupShape): 'first' | 'last' | null {
  // Without PARTITION BY it is `ORDER BY ts LIMIT 1`, which must answer before the watermark moves.
  if (p.partitionBy.length === 0 || p.rank !== undefined || p.limit !== 1 || p.offset !== 0 || p.orderBy.length !== 1 || !p.input.appendOnly) return null;
  const k = p.orderBy[0]!;
  // NULLS FIRST would make a NULL time the kept row; only the default order is specialized.
  if (k.nullsFirst || p.input.schema[k.column]!.timeAttr !== true) return null;
  return k.desc ? 'last' : 'first';
}
