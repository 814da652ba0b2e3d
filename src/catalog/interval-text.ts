/**
 * Interval text as users write it in settings and options: '10 seconds', '1 minute',
 * '500 ms', '2.5 s'. Units MILLISECOND … DAY, singular or plural, with the usual abbreviations.
 */
const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  milliseconds: 1,
  ms: 1,
  second: 1000,
  seconds: 1000,
  s: 1000,
  sec: 1000,
  secs: 1000,
  minute: 60_000,
  minutes: 60_000,
  min: 60_000,
  mins: 60_000,
  m: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  h: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
  d: 86_400_000,
};

/** Milliseconds of an interval text, or undefined when it does not parse. */
export function parseIntervalText(text: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]+)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'ms').toLowerCase();
  const f = UNIT_MS[unit];
  return f === undefined ? undefined : Number(m[1]) * f;
}
