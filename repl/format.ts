/**
 * Result formatting shared by the REPL and `sluice run`: a boxed table as the DuckDB shell
 * prints it, JSON lines and CSV. Output is deterministic (no locale, no terminal probing) so
 * tests and scripts can compare it byte for byte. No output ends with a line break; the
 * caller adds one.
 */
import type { OutputMode } from './dot-commands.js';

/** A result column: its name and SQL type as the engine reports it (`BIGINT`, `TIMESTAMP`, …). */
export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

export interface TableOptions {
  /** Most rows printed; beyond it the first and last rows are kept and a note says how many were left out. `Infinity` prints all. */
  readonly maxRows: number;
  /** Widest the table may be, in terminal cells (usually the terminal's width); cells are cut with `…` to fit. */
  readonly maxWidth?: number;
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|HUGEINT|UBIGINT|UINTEGER|DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC)\b/i;

/** Groups digits by thousands with commas; done by hand because toLocaleString depends on the ICU data and locale. */
export function groupThousands(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? '-' + grouped : grouped;
}

function isoOrInvalid(d: Date): string | undefined {
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** JSON.stringify that survives bigint, Date and cycles, for values the formats do not know. */
function jsonOf(v: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(v, (_k, x: unknown) => {
        if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
        if (typeof x === 'object' && x !== null) {
          if (seen.has(x)) return '[Circular]';
          seen.add(x);
        }
        return x;
      }) ?? String(v)
    );
  } catch {
    return String(v);
  }
}

/** Text of one cell value for the table and CSV: NULL as null, Date in ISO UTC, everything else plainly. */
function plainText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return isoOrInvalid(v) ?? 'Invalid Date';
  if (typeof v === 'object') {
    // Dates nested in lists or structs print as in JSON, i.e. as ISO strings.
    return jsonOf(v);
  }
  return String(v);
}

/** Control characters would break the box; show them escaped. */
function escapeControls(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
  });
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0x20d0 && cp <= 0x20ff)
  );
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  return isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
}

/** Terminal cells `s` takes: CJK and emoji count two, combining marks none (an approximation of wcwidth). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/** Cuts `s` to at most `width` cells, ending in `…` when anything was cut. */
function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  if (width <= 0) return '';
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

function padRight(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

function padLeft(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(s))) + s;
}

/** Centres `s`; an odd leftover space goes to the right. */
function center(s: string, width: number): string {
  const room = Math.max(0, width - displayWidth(s));
  const left = Math.floor(room / 2);
  return ' '.repeat(left) + s + ' '.repeat(room - left);
}

/** `n rows`, with thousands grouped and `1 row` in the singular. */
function rowCount(n: number): string {
  return `${groupThousands(n)} ${n === 1 ? 'row' : 'rows'}`;
}

/**
 * Shrinks the widest columns one cell at a time until the table fits `maxWidth`; no column
 * goes below 3 cells (one character and `…` still say something) or below its natural width.
 */
function fitWidths(natural: number[], maxWidth: number | undefined): number[] {
  const widths = [...natural];
  if (maxWidth === undefined || !Number.isFinite(maxWidth)) return widths;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + 3 * widths.length + 1;
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > Math.min(3, natural[i]!) && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest === -1) break;
    widths[widest]!--;
  }
  return widths;
}

/**
 * Renders rows as a box table in the DuckDB shell's style: a header with each column's name
 * and type, numbers right-aligned, NULL as `NULL`, timestamps in ISO UTC, a footer with the
 * row count. When there are more rows than `maxRows`, the first and last rows are shown with
 * a note in between saying how many were left out.
 */
export function formatTable(columns: readonly ResultColumn[], rows: readonly (readonly unknown[])[], options: TableOptions): string {
  const total = rows.length;
  const maxRows = Math.max(0, Math.floor(Number.isNaN(options.maxRows) ? 0 : Math.min(options.maxRows, total)));
  const head = Math.ceil(maxRows / 2);
  const tail = maxRows - head;
  const shown = [...rows.slice(0, head), ...rows.slice(total - tail)];
  const leftOut = total - shown.length;
  const footer = rowCount(total);
  if (columns.length === 0) return footer;

  const rightAligned = columns.map((c, i) => {
    if (NUMERIC_TYPE.test(c.type)) return true;
    const values = rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
    return values.length > 0 && values.every((v) => typeof v === 'number' || typeof v === 'bigint');
  });
  const cells = shown.map((r) => columns.map((_, i) => escapeControls(plainText(r[i]) ?? 'NULL')));
  const names = columns.map((c) => escapeControls(c.name));
  const types = columns.map((c) => escapeControls(c.type));
  const natural = columns.map((_, i) =>
    Math.max(1, displayWidth(names[i]!), displayWidth(types[i]!), ...cells.map((r) => displayWidth(r[i]!))),
  );
  const widths = fitWidths(natural, options.maxWidth);

  const note = leftOut > 0 ? `… ${rowCount(leftOut)} left out …` : '';
  // A narrow table is widened at its last column so the note fits on one line inside the box.
  const inner = (): number => widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1);
  if (note !== '') {
    const want = Math.min(displayWidth(note), options.maxWidth === undefined ? Infinity : options.maxWidth - 4);
    if (inner() < want) widths[widths.length - 1]! += want - inner();
  }

  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const line = (parts: string[]): string => '│ ' + parts.join(' │ ') + ' │';
  const out: string[] = [rule('┌', '┬', '┐')];
  out.push(line(names.map((n, i) => center(truncate(n, widths[i]!), widths[i]!))));
  out.push(line(types.map((t, i) => center(truncate(t, widths[i]!), widths[i]!))));
  out.push(rule('├', '┼', '┤'));
  const dataLine = (r: string[]): string =>
    line(r.map((c, i) => (rightAligned[i] ? padLeft : padRight)(truncate(c, widths[i]!), widths[i]!)));
  cells.slice(0, head).forEach((r) => out.push(dataLine(r)));
  if (leftOut > 0) {
    const width = inner();
    out.push(rule('├', '┴', '┤'));
    out.push('│ ' + center(truncate(note, width), width) + ' │');
    if (tail > 0) out.push(rule('├', '┬', '┤'));
  }
  cells.slice(head).forEach((r) => out.push(dataLine(r)));
  out.push(leftOut > 0 && tail === 0 ? '└' + '─'.repeat(inner() + 2) + '┘' : rule('└', '┴', '┘'));
  out.push(footer);
  return out.join('\n');
}

/** Unique keys for a JSON object: a repeated column name gets `_1`, `_2`, … so no value is lost. */
function uniqueNames(columns: readonly ResultColumn[]): string[] {
  const used = new Set<string>();
  return columns.map((c) => {
    let name = c.name;
    for (let k = 1; used.has(name); k++) name = `${c.name}_${k}`;
    used.add(name);
    return name;
  });
}

const DECIMAL_DIGITS = /^-?\d+(\.\d+)?$/;

/**
 * One value as JSON: Date as an ISO string, bigint as a number when safe (else a string, as
 * the API does), a DECIMAL (a string of digits from the API) as those exact digits, unquoted.
 */
function jsonValue(v: unknown, type = ''): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string' && type.startsWith('DECIMAL') && DECIMAL_DIGITS.test(v)) return v;
  if (v instanceof Date) {
    const iso = isoOrInvalid(v);
    return iso === undefined ? 'null' : JSON.stringify(iso);
  }
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  return jsonOf(v);
}

/** Renders rows as JSON lines: one object per row, keys in column order. */
export function formatJsonl(columns: readonly ResultColumn[], rows: readonly (readonly unknown[])[]): string {
  const keys = uniqueNames(columns).map((k) => JSON.stringify(k) + ':');
  // Built as text rather than through an object so a column named `__proto__` is an ordinary key.
  return rows.map((r) => '{' + keys.map((k, i) => k + jsonValue(r[i], columns[i]!.type)).join(',') + '}').join('\n');
}

/** One CSV field, quoted as RFC 4180 requires; NULL is an empty field and the empty string `""`. */
function csvField(v: unknown): string {
  const s = plainText(v);
  if (s === null) return '';
  if (s === '' || /[",\r\n]/.test(s)) return '"' + s.replaceAll('"', '""') + '"';
  return s;
}

/** Renders rows as CSV with a header line (RFC 4180 quoting, `\n` line breaks). */
export function formatCsv(columns: readonly ResultColumn[], rows: readonly (readonly unknown[])[]): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const r of rows) lines.push(columns.map((_, i) => csvField(r[i])).join(','));
  return lines.join('\n');
}

/** Renders rows in the REPL's current output mode (`maxRows`/`maxWidth` apply to tables only). */
export function formatResult(
  mode: OutputMode,
  columns: readonly ResultColumn[],
  rows: readonly (readonly unknown[])[],
  options: TableOptions,
): string {
  if (mode === 'jsonl') return formatJsonl(columns, rows);
  if (mode === 'csv') return formatCsv(columns, rows);
  return formatTable(columns, rows, options);
}
