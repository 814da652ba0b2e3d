/**
 * Reading literal text: strings and quoted names with their doubled quotes, interval
 * amounts and units, EXTRACT fields. Every function reports a mistake by returning an
 * error message (the visitor wraps it in a PARSE error at the right span).
 */
import type { ExtractField, IntervalUnit } from './ast.js';

/** `'it''s'` → `it's`. */
export function unquoteString(image: string): string {
  return image.slice(1, -1).replace(/''/g, "'");
}

/** `"My ""Col"""` → `My "Col"`. */
export function unquoteIdentifier(image: string): string {
  return image.slice(1, -1).replace(/""/g, '"');
}

const UNIT_MS: Readonly<Record<IntervalUnit, number>> = {
  MILLISECOND: 1,
  SECOND: 1_000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** The valid interval units, as error messages list them. */
export const INTERVAL_UNITS_TEXT = 'MILLISECOND, SECOND, MINUTE, HOUR or DAY (singular or plural)';

/** `seconds` → SECOND; undefined for anything that is not an interval unit. */
export function intervalUnit(word: string): IntervalUnit | undefined {
  const upper = word.toUpperCase();
  const singular = upper.endsWith('S') ? upper.slice(0, -1) : upper;
  return Object.hasOwn(UNIT_MS, singular) ? (singular as IntervalUnit) : undefined;
}

const AMOUNT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** True when `text` is a bare number such as `10`, `1.5` or `-2`. */
export function isBareAmount(text: string): boolean {
  return AMOUNT.test(text.trim());
}

/**
 * An interval's milliseconds, or why it cannot be read; `dialect` marks text DuckDB reads
 * another way (a bare amount is seconds there), which must not be handed to DuckDB instead.
 */
export type IntervalReading = { readonly ms: number } | { readonly error: string; readonly dialect?: true };

/** `amount` of `unit`, rounded to whole milliseconds (TIMESTAMP has millisecond precision). */
export function intervalFromAmount(amount: string, unitWord: string): IntervalReading {
  const unit = intervalUnit(unitWord);
  if (unit === undefined) return { error: `unknown interval unit '${unitWord}': expected ${INTERVAL_UNITS_TEXT}` };
  return { ms: toMs(Number(amount.trim()), unit) };
}

/**
 * The text of `INTERVAL '10 seconds'`: one or more `amount unit` pairs (`'1 day 2 hours'`).
 * A bare amount has no unit and is an error here.
 */
export function intervalFromText(text: string): IntervalReading {
  if (isBareAmount(text)) {
    return { error: `INTERVAL '${text}' needs a unit: ${INTERVAL_UNITS_TEXT}`, dialect: true };
  }
  const part = /\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([A-Za-z]+)\s*/y;
  let ms = 0;
  let at = 0;
  let parts = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (m === null) break;
    const unit = intervalUnit(m[2]!);
    if (unit === undefined) {
      return { error: `unknown interval unit '${m[2]}' in INTERVAL '${text}': expected ${INTERVAL_UNITS_TEXT}` };
    }
    ms += toMs(Number(m[1]), unit);
    at = part.lastIndex;
    parts++;
  }
  if (parts === 0 || at < text.length) {
    return { error: `cannot read INTERVAL '${text}': expected an amount and a unit, such as '10 seconds'` };
  }
  return { ms };
}

function toMs(amount: number, unit: IntervalUnit): number {
  return Math.round(amount * UNIT_MS[unit]);
}

const EXTRACT_FIELDS: readonly ExtractField[] = [
  'YEAR',
  'QUARTER',
  'MONTH',
  'WEEK',
  'DAY',
  'DOW',
  'DOY',
  'HOUR',
  'MINUTE',
  'SECOND',
  'MILLISECOND',
  'EPOCH',
];

/** `year` / `YEARS` → YEAR; undefined for an unknown field. */
export function extractField(word: string): ExtractField | undefined {
  const upper = word.toUpperCase();
  const found = EXTRACT_FIELDS.find((f) => f === upper || `${f}S` === upper);
  return found;
}

export const EXTRACT_FIELDS_TEXT = `${EXTRACT_FIELDS.slice(0, -1).join(', ')} or ${EXTRACT_FIELDS.at(-1)}`;
