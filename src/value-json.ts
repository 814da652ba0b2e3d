/**
 * Values as JSON text that keeps every number apart: JSON has no NaN or ±Infinity and writes
 * them as null, yet a DOUBLE column carries them. As a map key, NaN would be the same group,
 * partition or row as NULL; in a checkpoint, a restored NaN would come back as NULL and no
 * longer match its own retraction. Such a number is written as {"~n": "NaN"} (an object of
 * that one key is never a value or operator state otherwise). Text without them is plain
 * JSON, as written before: keys and checkpoints of finite numbers are unchanged.
 */
const MARK = '~n';

function keepNonFinite(_k: string, x: unknown): unknown {
  return typeof x === 'number' && !Number.isFinite(x) ? { [MARK]: String(x) } : x;
}

/** `v` (values, keys, operator state) as JSON text, NaN and ±Infinity kept apart from NULL. */
export function valueJson(v: unknown): string {
  // (undefined for undefined, as JSON.stringify gives: callers kept that behaviour before.)
  const text = JSON.stringify(v) as string | undefined;
  // Every non-finite number came out as null: text without null had none.
  return text !== undefined && text.includes('null') ? JSON.stringify(v, keepNonFinite) : (text as string);
}

/** The value {@link valueJson} wrote (plain JSON reads as JSON). */
export function parseValueJson(text: string): unknown {
  if (!text.includes(`"${MARK}"`)) return JSON.parse(text);
  return JSON.parse(text, (_k, x: unknown) => {
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === MARK && typeof o[MARK] === 'string') return Number(o[MARK]);
    }
    return x;
  });
}
