/** How EXPLAIN shows a window function call and when its Over node emits a row. */
import type { Schema } from '../types.js';
import { formatDuration } from './format-expr.js';
import type { OverCall, OverNode } from './logical-plan.js';

export function overCallText(c: OverCall, input: Schema): string {
  if (c.arg === null) return `${c.fn}()`;
  const args = [input[c.arg]!.name];
  if (c.fn === 'LAG' || c.fn === 'LEAD' || c.fn === 'NTH_VALUE') args.push(String(c.offset));
  if (c.defaultArg !== undefined && c.defaultArg !== null) args.push(input[c.defaultArg]!.name);
  return `${c.fn}(${args.join(', ')}${c.ignoreNulls === true ? ' IGNORE NULLS' : ''})`;
}

/**
 * The emission rule: on an append-only stream a row is emitted once the watermark passes it
 * and, when the frame or a LEAD looks ahead, once the rows or the watermark decide it.
 */
export function overEmitText(p: OverNode): string {
  if (!p.appendOnly) return ' emit=changes';
  const f = p.frame;
  const rows = Math.max(f.unit === 'ROWS' && f.following !== null && f.following > 0 ? f.following : 0, ...p.calls.map((c) => (c.fn === 'LEAD' && c.ignoreNulls !== true ? c.offset! : 0)));
  const values = Math.max(0, ...p.calls.map((c) => (c.fn === 'LEAD' && c.ignoreNulls === true ? c.offset! : 0)));
  const ms = f.unit === 'RANGE' && f.following !== null && f.following > 0 ? f.following : 0;
  const waits = [
    ...(rows > 0 ? [`${rows} later row${rows === 1 ? '' : 's'}`] : []),
    ...(values > 0 ? [`${values} later non-NULL value${values === 1 ? '' : 's'}`] : []),
    ...(ms > 0 ? [`watermark > time + ${formatDuration(ms)}`] : []),
  ];
  return ` emit=${waits.length ? `after ${waits.join(' and ')}` : 'at watermark'}`;
}
