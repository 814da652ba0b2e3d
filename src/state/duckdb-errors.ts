/**
 * DuckDB's errors on user SQL (pull queries) as SluiceErrors. The connection reports them as
 * JSON while a user's query runs (`errors_as_json`), which gives the category, the message
 * without DuckDB's own `LINE 1:` rendering, and the byte position of the offending token in
 * the text DuckDB was given. The position is mapped back to the user's text, so the error is
 * rendered once, by sluice, at the line and column of the user's file.
 */
import { SluiceError, spanAt, type ErrorCode, type TextOrigin } from '../errors.js';

/** DuckDB's exception types, by the code sluice gives them. */
const CODES: Record<string, ErrorCode> = {
  Parser: 'PARSE',
  Binder: 'BIND',
  // A missing table or function in a query is a name the query cannot resolve, as in sluice's binder.
  Catalog: 'BIND',
  Conversion: 'TYPE',
  'Mismatch Type': 'TYPE',
  'Not implemented': 'UNSUPPORTED',
};

interface DuckdbErrorJson {
  readonly exception_type?: string;
  readonly exception_message?: string;
  readonly position?: string;
}

/** Converts an error DuckDB raised on `text` (a user's query) into a SluiceError. */
export function duckdbQueryError(e: unknown, text: string, origin?: TextOrigin): SluiceError {
  const raw = (e instanceof Error ? e.message : String(e)).replace(/^Failed to extract statements:\s*/, '');
  const parsed = parseJson(raw);
  const type = parsed?.exception_type ?? /^([A-Za-z ]+) Error:/.exec(raw)?.[1];
  const code = (type !== undefined ? CODES[type] : undefined) ?? 'EXECUTION';
  const message = oneLine(parsed?.exception_message ?? raw.replace(/^[A-Za-z ]+ Error:\s*/, '').split(/\n\s*\nLINE \d+:/)[0]!);
  const bytePos = parsed?.position !== undefined ? Number(parsed.position) : NaN;
  if (!Number.isInteger(bytePos) || bytePos < 0) {
    return new SluiceError(code, message, origin ? { sql: origin.sql } : {});
  }
  // DuckDB counts bytes of UTF-8; sluice's spans count UTF-16 characters.
  const pos = Buffer.from(text, 'utf8').subarray(0, bytePos).toString('utf8').length;
  const user = origin ?? { sql: text, offsetOf: (p: number) => p };
  const start = user.offsetOf(pos);
  return new SluiceError(code, message, { span: spanAt(user.sql, start, start + tokenLength(user.sql, start)), sql: user.sql });
}

/** The JSON object of an error raised with `errors_as_json`, after any `… Error: ` prefix. */
function parseJson(raw: string): DuckdbErrorJson | undefined {
  const at = raw.indexOf('{');
  if (at < 0 || !/^([A-Za-z ]+ Error:\s*)?$/.test(raw.slice(0, at))) return undefined;
  try {
    return JSON.parse(raw.slice(at)) as DuckdbErrorJson;
  } catch {
    return undefined;
  }
}

/**
 * DuckDB's message on one line: its lines joined, without the tab-indented lists it appends
 * (every overload of a function), which would bury the message.
 */
function oneLine(message: string): string {
  return message
    .split('\n')
    .filter((l) => !l.startsWith('\t'))
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
}

/** The length of the token at `start` (a word, a quoted name or string, or one character), for the caret. */
function tokenLength(sql: string, start: number): number {
  const m = /^(?:[\p{L}\p{N}_$]+|"(?:[^"]|"")*"|'(?:[^']|'')*')/u.exec(sql.slice(start));
  return m ? m[0].length : 1;
}
