/**
 * How long a join must hold each side's rows (interval joins). A condition such as
 * `b.ts BETWEEN a.ts AND a.expires` bounds the event time of the rows that can still match a
 * stored row: an auction row can only meet bids with `ts <= expires`. Every bid still to
 * come on time has `ts >= ` the bid side's watermark, so once that watermark passes
 * `expires` the auction row can match nothing more and is dropped. Bounds are read from the
 * condition's conjuncts of the form `other.t <= mine.c + k` (or `<`, `>=`, `>` mirrored),
 * where `other.t` is the other input's event-time column and `k` a constant interval.
 *
 * Rows that arrive late (behind their side's watermark) may miss rows already dropped; on
 * time they meet everything they would in batch SQL.
 */
import type { BoundExpr } from './expr.js';
import type { JoinNode, LogicalPlan } from './logical-plan.js';
import type { Schema } from '../types.js';

/** A row of this side can go once the other side's watermark is past row[column] + offsetMs. */
export interface RetentionBound {
  readonly column: number;
  readonly offsetMs: number;
  /** Set by the view's `state_ttl`, not by the condition: matches further apart may be missed. */
  readonly ttl?: true;
}

/** A column (by index into left ++ right) plus a constant number of ms, or null. */
function shifted(e: BoundExpr): { column: number; offset: number } | null {
  if (e.kind === 'Column') return { column: e.index, offset: 0 };
  if (e.kind === 'Call' && (e.fn === 'add' || e.fn === 'sub') && e.args.length === 2) {
    const [a, b] = e.args as [BoundExpr, BoundExpr];
    const k = (x: BoundExpr) => (x.kind === 'Literal' && typeof x.value === 'number' && x.type === 'INTERVAL' ? x.value : null);
    if (a.kind === 'Column' && k(b) !== null) return { column: a.index, offset: e.fn === 'add' ? k(b)! : -k(b)! };
    if (e.fn === 'add' && b.kind === 'Column' && k(a) !== null) return { column: b.index, offset: k(a)! };
  }
  return null;
}

function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'Call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e];
}

/**
 * The bounds of each side's rows (left, right) that a join condition implies; empty lists
 * when the condition bounds nothing or an input is a changelog (a retraction must still find
 * its row).
 */
export function joinRetention(
  condition: BoundExpr | null,
  left: Schema,
  right: Schema,
  appendOnly: boolean,
  stateTtlMs: number | null = null,
): [RetentionBound[], RetentionBound[]] {
  const out: [RetentionBound[], RetentionBound[]] = [[], []];
  if (!appendOnly) return out;
  if (condition) boundsOf(condition, left, right, out, (side, c) => (side === 0 ? left : right)[c]!.timeAttr === true);
  // A state TTL bounds what the condition leaves unbounded, by the side's own event time.
  if (stateTtlMs !== null) {
    [left, right].forEach((schema, side) => {
      const t = schema.findIndex((c) => c.timeAttr === true && c.type === 'TIMESTAMP');
      if (out[side]!.length === 0 && t >= 0) out[side]!.push({ column: t, offsetMs: stateTtlMs, ttl: true });
    });
  }
  return out;
}

/**
 * The bounds of the append-only side of a join whose other input is a changelog (none
 * for the changelog side; empty lists when the inputs are not one of each).
 *
 * A stored row may go once no row still to come can meet it, and with a changelog that
 * includes retractions: a retraction must take back exactly the pairs its insert made.
 * Both hold when the bound reads a changelog column that no row comes behind, insert or
 * retraction: `window_end` of a TUMBLE/HOP/CUMULATE aggregate (through plain projections
 * and filters), whose every change belongs to a window still open, so its window_end is
 * above the aggregate's watermark, which never leads its input's (see onTime). A row
 * `c` of the changelog then has `c.t >= ` the watermark `w` it arrives under, so it can
 * meet only stored rows whose bound is at or above `w`: every row dropped below `w` could
 * have met neither `c` nor (arriving earlier) the insert `c` retracts. The changelog
 * side keeps every row (its own retractions must find them).
 */
export function changelogRetention(node: JoinNode): [RetentionBound[], RetentionBound[]] {
  const out: [RetentionBound[], RetentionBound[]] = [[], []];
  const { left, right, condition } = node;
  // ON WINDOW CLOSE pads an outer row when final: kept to append-only inputs.
  if (left.appendOnly === right.appendOnly || condition === null || node.emit === 'ON_WINDOW_CLOSE') return out;
  const changelog = left.appendOnly ? 1 : 0;
  boundsOf(condition, left.schema, right.schema, out, (side, c) => side === changelog && onTime(side === 0 ? left : right, c));
  out[changelog] = [];
  return out;
}

/** True when no row of `plan` (insert or retraction) has column c below the watermark it arrives under. */
function onTime(plan: LogicalPlan, c: number): boolean {
  switch (plan.kind) {
    case 'Project': {
      const e = plan.exprs[c]!;
      return e.kind === 'Column' && onTime(plan.input, e.index);
    }
    case 'Filter':
      return onTime(plan.input, c);
    case 'WindowAggregate':
      // Columns window_start, window_end, window_time, keys…, aggregates…; a late row
      // changes no window (it is dropped), and the output watermark is held back to the
      // first open window's start.
      return c === 1 && plan.window.kind !== 'SESSION';
    default:
      return false;
  }
}

/**
 * Adds the bounds the condition's conjuncts imply to `out`; `usable(side, column)` says
 * whether the other side's column may bound (it must be event time, rows at or above the
 * watermark but late ones).
 */
function boundsOf(
  condition: BoundExpr,
  left: Schema,
  right: Schema,
  out: [RetentionBound[], RetentionBound[]],
  usable: (side: 0 | 1, column: number) => boolean,
): void {
  const all = [...left, ...right];
  const sideOf = (i: number): 0 | 1 => (i < left.length ? 0 : 1);
  const local = (i: number) => (i < left.length ? i : i - left.length);
  for (const c of conjuncts(condition)) {
    if (c.kind !== 'Call' || c.args.length !== 2) continue;
    // Read it as small <= big (or <).
    let small: BoundExpr;
    let big: BoundExpr;
    if (c.fn === 'le' || c.fn === 'lt') [small, big] = c.args as [BoundExpr, BoundExpr];
    else if (c.fn === 'ge' || c.fn === 'gt') [big, small] = c.args as [BoundExpr, BoundExpr];
    else continue;
    const s = shifted(small);
    const b = shifted(big);
    if (!s || !b) continue;
    const other = sideOf(s.column);
    const mine = sideOf(b.column);
    if (other === mine || !usable(other, local(s.column)) || all[s.column]!.type !== 'TIMESTAMP' || all[b.column]!.type !== 'TIMESTAMP') continue;
    // other.t + s.offset <= mine.c + b.offset  ⇒  other.t <= mine.c + (b.offset - s.offset)
    out[mine].push({ column: local(b.column), offsetMs: b.offset - s.offset });
  }
}
