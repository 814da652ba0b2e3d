/**
 * Reading WITH options: each accessor checks one option's value and throws
 * SluiceError('CONNECTOR') naming the option when it is wrong, so CREATE SOURCE fails with
 * a message the user can act on instead of a reader failing later.
 */
import { SluiceError } from '../errors.js';
import { parseTimestamp } from './parse-value.js';
import type { SourceOptions } from './source-reader.js';

/**
 * Options every source accepts whatever its connector, handled by the engine rather than
 * the reader: the connector name itself and the watermark's idle timeout.
 */
export const GENERIC_SOURCE_OPTIONS: ReadonlySet<string> = new Set(['connector', 'idle_timeout']);

function bad(message: string): SluiceError {
  return new SluiceError('CONNECTOR', message);
}

/** Rejects options outside `allowed` (plus the generic ones every source takes). */
export function checkKnownOptions(options: SourceOptions, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (GENERIC_SOURCE_OPTIONS.has(key) || allowed.includes(key)) continue;
    throw bad(`unknown option '${key}' for ${where} (expected one of: ${allowed.join(', ')})`);
  }
}

export function stringOption(options: SourceOptions, key: string): string | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(`option '${key}' must be a string, got ${String(v)}`);
  return v;
}

export function requiredString(options: SourceOptions, key: string, where: string): string {
  const v = stringOption(options, key);
  if (v === undefined || v === '') throw bad(`missing option '${key}' for ${where}`);
  return v;
}

export function booleanOption(options: SourceOptions, key: string, dflt: boolean): boolean {
  const v = options[key];
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  const t = String(v).trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw bad(`option '${key}' must be true or false, got '${String(v)}'`);
}

/** A text option that must be one of `allowed` (case-insensitive); `dflt` when absent. */
export function enumOption<T extends string>(options: SourceOptions, key: string, allowed: readonly T[], dflt: T): T {
  const v = options[key];
  if (v === undefined) return dflt;
  const t = String(v).trim().toLowerCase();
  const hit = allowed.find((a) => a === t);
  if (hit === undefined) throw bad(`option '${key}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${String(v)}'`);
  return hit;
}

/** A finite number option (numbers may come quoted); `check` names what else it must satisfy. */
export function numberOption(
  options: SourceOptions,
  key: string,
  check: { integer?: boolean; min?: number; positive?: boolean } = {},
): number | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const want = check.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(n)) throw bad(`option '${key}' must be ${want}, got '${String(v)}'`);
  if (check.integer && !Number.isSafeInteger(n)) throw bad(`option '${key}' must be ${want}, got '${String(v)}'`);
  if (check.positive && !(n > 0)) throw bad(`option '${key}' must be positive, got ${n}`);
  if (check.min !== undefined && n < check.min) throw bad(`option '${key}' must be at least ${check.min}, got ${n}`);
  return n;
}

/** A timestamp option: ISO-8601 text or epoch milliseconds. */
export function timestampOption(options: SourceOptions, key: string): number | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseTimestamp(v) : NaN;
  if (!Number.isFinite(ms)) throw bad(`option '${key}' must be a timestamp ('2024-01-01T00:00:00Z' or epoch ms), got '${String(v)}'`);
  return Math.floor(ms);
}
