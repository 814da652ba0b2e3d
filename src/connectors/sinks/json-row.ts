/**
 * A row as sluice writes it to jsonl (file and NATS sinks, the CLI): TIMESTAMP as ISO-8601
 * UTC, DATE as `YYYY-MM-DD`, DECIMAL as its exact digits at the column's scale, written as a
 * JSON number (`1234.50`) — JSON.stringify of a double could not keep the trailing zero, and
 * would print the float a value happens to round to.
 */
import { formatDate, formatIsoTimestamp } from '../../plan/functions.js';
import { formatDecimal, isDecimal, scaleOf } from '../../decimal.js';
import type { Schema, SqlType, Value } from '../../types.js';

/** A value as a JSON value (a DECIMAL as its digits in a string: {@link jsonRowText} writes them unquoted). */
export function jsonValue(v: Value, t: SqlType): unknown {
  if (v === null) return null;
  if (t === 'TIMESTAMP') return formatIsoTimestamp(v as number);
  if (t === 'DATE') return formatDate(v as number);
  if (isDecimal(t)) return formatDecimal(v as number, scaleOf(t));
  return v;
}

/** One JSON object line (without the newline): `op` first when given, then the columns in order. */
export function jsonRowText(schema: Schema, values: readonly Value[], op: string | null): string {
  let out = op === null ? '{' : `{"op":${JSON.stringify(op)}`;
  for (let j = 0; j < schema.length; j++) {
    const c = schema[j]!;
    const v = values[j] ?? null;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(c.name)}:`;
    out += v !== null && isDecimal(c.type) ? formatDecimal(v as number, scaleOf(c.type)) : (JSON.stringify(jsonValue(v, c.type)) ?? 'null');
  }
  return `${out}}`;
}
