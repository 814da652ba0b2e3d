/**
 * Timestamp formatting and parsing with a pattern: DuckDB's STRFTIME / STRPTIME codes
 * (`%Y-%m-%d %H:%M:%S.%g`) and Flink's DATE_FORMAT / TO_TIMESTAMP letters
 * (`yyyy-MM-dd HH:mm:ss.SSS`). Both dialects compile to one list of parts, so printing and
 * parsing are written once. Compiled patterns are cached: the format is nearly always a
 * constant, and the expression compiler calls these per row.
 */
import { MS_PER_DAY } from '../types.js';
import { daysFromCivil, extractFieldFn } from './functions.js';

type Field =
  | 'year' // 4 digits (at least)
  | 'year2' // 2 digits
  | 'month'
  | 'day'
  | 'hour'
  | 'hour12'
  | 'minute'
  | 'second'
  | 'ms' // 3 digits
  | 'us' // 6 digits
  | 'ns' // 9 digits
  | 'doy'
  | 'dow' // 0 = Sunday
  | 'isodow' // 1 = Monday
  | 'ampm'
  | 'monthShort'
  | 'monthLong'
  | 'dayShort'
  | 'dayLong';

/** A literal text, or a field printed zero-padded to `width` (0: no padding). */
type Part = string | { readonly field: Field; readonly width: number };

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const STRFTIME: Record<string, Part> = {
  Y: { field: 'year', width: 4 },
  y: { field: 'year2', width: 2 },
  m: { field: 'month', width: 2 },
  d: { field: 'day', width: 2 },
  H: { field: 'hour', width: 2 },
  I: { field: 'hour12', width: 2 },
  M: { field: 'minute', width: 2 },
  S: { field: 'second', width: 2 },
  g: { field: 'ms', width: 3 },
  f: { field: 'us', width: 6 },
  n: { field: 'ns', width: 9 },
  j: { field: 'doy', width: 3 },
  w: { field: 'dow', width: 0 },
  u: { field: 'isodow', width: 0 },
  p: { field: 'ampm', width: 0 },
  b: { field: 'monthShort', width: 0 },
  h: { field: 'monthShort', width: 0 },
  B: { field: 'monthLong', width: 0 },
  a: { field: 'dayShort', width: 0 },
  A: { field: 'dayLong', width: 0 },
};

const UNPADDED = new Set(['y', 'm', 'd', 'H', 'I', 'M', 'S', 'j']);

const cache = new Map<string, Part[] | string>();

function cached(key: string, compile: () => Part[] | string): Part[] | string {
  let c = cache.get(key);
  if (c === undefined) {
    c = compile();
    if (cache.size > 500) cache.clear();
    cache.set(key, c);
  }
  return c;
}

/** Compiles DuckDB strftime codes; a string is the reason the pattern is refused. */
export function compileStrftime(pattern: string): Part[] | string {
  return cached(`%${pattern}`, () => {
    const parts: Part[] = [];
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c !== '%') {
        parts.push(c);
        continue;
      }
      let code = pattern[++i];
      if (code === '%') {
        parts.push('%');
        continue;
      }
      let unpadded = false;
      if (code === '-') {
        unpadded = true;
        code = pattern[++i];
      }
      const part = code === undefined ? undefined : STRFTIME[code];
      if (part === undefined || (unpadded && !UNPADDED.has(code!))) {
        return `unsupported format code %${unpadded ? '-' : ''}${code ?? ''} in '${pattern}'`;
      }
      parts.push(unpadded && typeof part !== 'string' ? { field: part.field, width: 0 } : part);
    }
    return parts;
  });
}

/** Compiles Flink's (Java's) pattern letters; text in single quotes is literal, `''` is a quote. */
export function compileJavaPattern(pattern: string): Part[] | string {
  return cached(`J${pattern}`, () => {
    const parts: Part[] = [];
    for (let i = 0; i < pattern.length; ) {
      const c = pattern[i]!;
      if (c === "'") {
        const end = pattern.indexOf("'", i + 1);
        if (end === i + 1) parts.push("'");
        else if (end < 0) return `unclosed quote in '${pattern}'`;
        else parts.push(pattern.slice(i + 1, end));
        i = end + 1;
        continue;
      }
      if (!/[A-Za-z]/.test(c)) {
        parts.push(c);
        i++;
        continue;
      }
      let n = 1;
      while (pattern[i + n] === c) n++;
      i += n;
      const part = javaLetter(c, n);
      if (part === undefined) return `unsupported pattern letter ${c.repeat(n)} in '${pattern}'`;
      parts.push(part);
    }
    return parts;
  });
}

function javaLetter(c: string, n: number): Part | undefined {
  switch (c) {
    case 'y':
      return n === 2 ? { field: 'year2', width: 2 } : { field: 'year', width: n };
    case 'M':
      return n >= 4 ? { field: 'monthLong', width: 0 } : n === 3 ? { field: 'monthShort', width: 0 } : { field: 'month', width: n };
    case 'd':
      return n <= 2 ? { field: 'day', width: n } : undefined;
    case 'H':
      return n <= 2 ? { field: 'hour', width: n } : undefined;
    case 'h':
      return n <= 2 ? { field: 'hour12', width: n } : undefined;
    case 'm':
      return n <= 2 ? { field: 'minute', width: n } : undefined;
    case 's':
      return n <= 2 ? { field: 'second', width: n } : undefined;
    case 'S':
      return n <= 3 ? { field: 'ms', width: -n } : n === 6 ? { field: 'us', width: 6 } : n === 9 ? { field: 'ns', width: 9 } : undefined;
    case 'D':
      return n <= 3 ? { field: 'doy', width: n } : undefined;
    case 'a':
      return n === 1 ? { field: 'ampm', width: 0 } : undefined;
    case 'E':
      return n >= 4 ? { field: 'dayLong', width: 0 } : { field: 'dayShort', width: 0 };
    default:
      return undefined;
  }
}

// Looked up on first use: functions.ts and this module import each other.
let fields: Record<'year' | 'month' | 'day' | 'doy' | 'dow', (ms: number) => number> | undefined;

function fieldFns(): NonNullable<typeof fields> {
  fields ??= {
    year: extractFieldFn('year')!,
    month: extractFieldFn('month')!,
    day: extractFieldFn('day')!,
    doy: extractFieldFn('doy')!,
    dow: extractFieldFn('dow')!,
  };
  return fields;
}

function padded(v: number, width: number): string {
  const s = String(Math.abs(v));
  return (v < 0 ? '-' : '') + (s.length < width ? '0'.repeat(width - s.length) + s : s);
}

/** Prints epoch ms with compiled parts. */
export function formatWith(parts: readonly Part[], ms: number): string {
  const f = fieldFns();
  let out = '';
  const tod = ms - Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const hour = Math.floor(tod / 3_600_000);
    switch (p.field) {
      case 'year':
        out += padded(f.year(ms), p.width);
        break;
      case 'year2':
        out += padded(((f.year(ms) % 100) + 100) % 100, p.width);
        break;
      case 'month':
        out += padded(f.month(ms), p.width);
        break;
      case 'day':
        out += padded(f.day(ms), p.width);
        break;
      case 'hour':
        out += padded(hour, p.width);
        break;
      case 'hour12':
        out += padded(hour % 12 === 0 ? 12 : hour % 12, p.width);
        break;
      case 'minute':
        out += padded(Math.floor(tod / 60_000) % 60, p.width);
        break;
      case 'second':
        out += padded(Math.floor(tod / 1000) % 60, p.width);
        break;
      case 'ms': {
        // Java's S, SS, SSS print that many leading digits of the fraction.
        const s = padded(tod % 1000, 3);
        out += p.width < 0 ? s.slice(0, -p.width) : s;
        break;
      }
      case 'us':
        out += `${padded(tod % 1000, 3)}000`;
        break;
      case 'ns':
        out += `${padded(tod % 1000, 3)}000000`;
        break;
      case 'doy':
        out += padded(f.doy(ms), p.width);
        break;
      case 'dow':
        out += String(f.dow(ms));
        break;
      case 'isodow':
        out += String(f.dow(ms) || 7);
        break;
      case 'ampm':
        out += hour < 12 ? 'AM' : 'PM';
        break;
      case 'monthShort':
        out += MONTHS[f.month(ms) - 1]!.slice(0, 3);
        break;
      case 'monthLong':
        out += MONTHS[f.month(ms) - 1]!;
        break;
      case 'dayShort':
        out += DAYS[f.dow(ms)]!.slice(0, 3);
        break;
      case 'dayLong':
        out += DAYS[f.dow(ms)]!;
        break;
    }
  }
  return out;
}

function matchName(text: string, at: number, names: readonly string[], short: boolean): [number, number] | undefined {
  for (let k = 0; k < names.length; k++) {
    const n = short ? names[k]!.slice(0, 3) : names[k]!;
    if (text.slice(at, at + n.length).toLowerCase() === n.toLowerCase()) return [k, at + n.length];
  }
  return undefined;
}

/**
 * Parses text with compiled parts into epoch ms, or null when the text does not match or
 * names an impossible date. Numbers take up to their field's width in digits (any number of
 * digits for an unpadded field); names match case-insensitively.
 */
export function parseWith(parts: readonly Part[], text: string): number | null {
  let y = 1900;
  let mo = 1;
  let d = 1;
  let h = 0;
  let mi = 0;
  let s = 0;
  let ms = 0;
  let pm: boolean | undefined;
  let h12 = false;
  let pos = 0;
  for (const p of parts) {
    if (typeof p === 'string') {
      if (!text.startsWith(p, pos)) return null;
      pos += p.length;
      continue;
    }
    if (p.field === 'ampm') {
      const t = text.slice(pos, pos + 2).toUpperCase();
      if (t !== 'AM' && t !== 'PM') return null;
      pm = t === 'PM';
      pos += 2;
      continue;
    }
    if (p.field === 'monthShort' || p.field === 'monthLong' || p.field === 'dayShort' || p.field === 'dayLong') {
      const isMonth = p.field === 'monthShort' || p.field === 'monthLong';
      const m = matchName(text, pos, isMonth ? MONTHS : DAYS, p.field === 'monthShort' || p.field === 'dayShort');
      if (m === undefined) return null;
      if (isMonth) mo = m[0] + 1;
      pos = m[1];
      continue;
    }
    const maxDigits =
      p.field === 'ms' ? (p.width < 0 ? -p.width : 3) : p.field === 'us' ? 6 : p.field === 'ns' ? 9 : p.field === 'year' ? 9 : p.width <= 0 ? 9 : Math.max(p.width, 2);
    let v = 0;
    let k = 0;
    while (k < maxDigits && pos < text.length) {
      const c = text.charCodeAt(pos) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      pos++;
      k++;
    }
    if (k === 0) return null;
    switch (p.field) {
      case 'year':
        y = v;
        break;
      case 'year2':
        y = v < 69 ? 2000 + v : 1900 + v;
        break;
      case 'month':
        mo = v;
        break;
      case 'day':
        d = v;
        break;
      case 'hour':
        h = v;
        break;
      case 'hour12':
        h = v;
        h12 = true;
        break;
      case 'minute':
        mi = v;
        break;
      case 'second':
        s = v;
        break;
      case 'ms':
        ms = v * 10 ** (3 - k);
        break;
      case 'us':
        ms = Math.floor(v / 10 ** (k - 3 > 0 ? k - 3 : 0)) * 10 ** (k < 3 ? 3 - k : 0);
        break;
      case 'ns':
        ms = Math.floor(v / 10 ** (k - 3 > 0 ? k - 3 : 0)) * 10 ** (k < 3 ? 3 - k : 0);
        break;
      case 'doy':
      case 'dow':
      case 'isodow':
        break;
    }
  }
  if (pos !== text.length) return null;
  if (h12) {
    if (h < 1 || h > 12) return null;
    h = (h % 12) + (pm ? 12 : 0);
  } else if (pm !== undefined && h <= 12) h = (h % 12) + (pm ? 12 : 0);
  const dim = new Date(Date.UTC(2000, mo, 0)).getUTCDate();
  const leapOk = mo !== 2 || d <= 28 || (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
  if (mo < 1 || mo > 12 || d < 1 || d > dim || !leapOk || h > 23 || mi > 59 || s > 59) return null;
  return daysFromCivil(y, mo, d) * MS_PER_DAY + h * 3_600_000 + mi * 60_000 + s * 1000 + ms;
}
