/**
 * The one error type of sluice. Every mistake a user can make (SQL, events, files, API
 * arguments) surfaces as a SluiceError with a stable `code`; SQL errors also carry the
 * 1-based `line` and `column` of the offending text and its `length`, so the CLI and the
 * REPL can point at it with a caret.
 */
export type ErrorCode =
  | 'PARSE'
  | 'BIND'
  | 'TYPE'
  | 'UNSUPPORTED'
  | 'CONNECTOR'
  | 'STATE'
  | 'CATALOG'
  | 'ARGUMENT'
  | 'EXECUTION'
  | 'IMMUTABLE'
  /** An append whose stream was not at the expected version (optimistic concurrency, SPEC 2.7). */
  | 'CONFLICT'
  /** A wait ran out of time (a read-your-writes query whose offsets were not consumed in time). */
  | 'TIMEOUT'
  /** A value beyond what its type holds exactly (a DECIMAL past its digits or ±2^53 unscaled). */
  | 'OVERFLOW'
  | 'INTERNAL';

/** Where in the SQL text something stands: 0-based offsets, 1-based line and column. */
export interface Span {
  readonly start: number;
  /** Exclusive end offset. */
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

/**
 * Where a text handed to another engine (DuckDB) came from: the text the user wrote and how
 * a position in the handed text maps back to it, so errors point at the user's own line.
 */
export interface TextOrigin {
  /** The text the user wrote (a whole script, or one query). */
  readonly sql: string;
  /** The offset in `sql` of the character at `pos` of the handed text. */
  offsetOf(pos: number): number;
}

export class SluiceError extends Error {
  override readonly name = 'SluiceError';
  readonly code: ErrorCode;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly length: number | undefined;
  /** The SQL text the position refers to, when known; used by {@link renderError}. */
  sql: string | undefined;

  constructor(code: ErrorCode, message: string, where?: { span?: Span | undefined; sql?: string | undefined }) {
    super(message);
    this.code = code;
    const span = where?.span;
    this.line = span?.line;
    this.column = span?.column;
    this.length = span ? Math.max(1, span.end - span.start) : undefined;
    this.sql = where?.sql;
  }

  /** Attaches the SQL text (if not yet known) so the error can be rendered with a caret. */
  withSql(sql: string): this {
    if (this.sql === undefined) this.sql = sql;
    return this;
  }
}

const LABELS: Record<ErrorCode, string> = {
  PARSE: 'Parser Error',
  BIND: 'Binder Error',
  TYPE: 'Type Error',
  UNSUPPORTED: 'Not Supported',
  CONNECTOR: 'Connector Error',
  STATE: 'State Error',
  CATALOG: 'Catalog Error',
  ARGUMENT: 'Invalid Argument',
  EXECUTION: 'Execution Error',
  IMMUTABLE: 'Immutable Error',
  CONFLICT: 'Conflict Error',
  TIMEOUT: 'Timeout Error',
  OVERFLOW: 'Overflow Error',
  INTERNAL: 'Internal Error (this is a bug in sluice, please report it)',
};

/**
 * Renders an error as the CLI and REPL print it: a category label, the message and, for
 * SQL errors, the offending line with a caret under the column, as the DuckDB shell does.
 */
export function renderError(err: unknown, sql?: string): string {
  const e = toSluiceError(err);
  const text = e.sql ?? sql;
  const label = LABELS[e.code];
  // A message that already starts with its category (words taken from DuckDB) says it once.
  const message = e.message.startsWith(`${label}: `) ? e.message.slice(label.length + 2) : e.message;
  let out = `${label}: ${message}`;
  if (e.line !== undefined && e.column !== undefined) {
    out += ` (line ${e.line}, column ${e.column})`;
    if (text !== undefined) {
      const lines = text.split(/\r\n|\r|\n/);
      const src = lines[e.line - 1];
      if (src !== undefined) {
        const prefix = `LINE ${e.line}: `;
        const shown = src.replace(/\t/g, ' ');
        const caretLen = Math.max(1, Math.min(e.length ?? 1, Math.max(1, shown.length - e.column + 1)));
        out += `\n${prefix}${shown}\n${' '.repeat(prefix.length + e.column - 1)}${'^'.repeat(caretLen)}`;
      }
    }
  }
  return out;
}

/**
 * The span of `text[start, end)` with its 1-based line and column, for errors found by
 * something that reports offsets rather than tokens (DuckDB).
 */
export function spanAt(text: string, start: number, end = start): Span {
  const before = text.slice(0, Math.max(0, Math.min(start, text.length)));
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  const line = (before.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
  return { start, end: Math.max(start, end), line, column: before.length - lineStart + 1 };
}

/** Wraps anything thrown into a SluiceError; a non-sluice error is an internal bug. */
export function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new SluiceError('INTERNAL', msg);
}
