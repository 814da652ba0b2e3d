/**
 * The `sluice_late_events` record of a row a window operator dropped: the row as JSON (times
 * as ISO text), with the bounds of the window it missed when there is one.
 */
import type { Schema } from '../../types.js';
import { formatIsoTimestamp } from '../../plan/functions.js';
import { columnsOf, readValue, type ChangeBatch } from '../batch.js';
import type { LateRecord } from '../operator.js';

export function lateRecord(
  batch: ChangeBatch,
  i: number,
  schema: Schema,
  timeCol: number,
  watermark: number,
  window?: { readonly start: number; readonly end: number },
): LateRecord {
  const cols = columnsOf(batch);
  const row: Record<string, unknown> = {};
  schema.forEach((c, j) => {
    const v = readValue(cols[j]!, i, c.type);
    row[c.name] = c.type === 'TIMESTAMP' && typeof v === 'number' ? formatIsoTimestamp(v) : v;
  });
  if (window) {
    row['window_start'] = formatIsoTimestamp(window.start);
    row['window_end'] = formatIsoTimestamp(window.end);
  }
  return {
    source: batch.origin?.source ?? null,
    offset: batch.origin ? batch.origin.offsets[i]! : null,
    eventTime: (cols[timeCol]!.values as Float64Array)[i]!,
    watermark,
    row: JSON.stringify(row),
  };
}
