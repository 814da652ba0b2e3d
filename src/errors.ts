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
  | 'INTERNAL';

/** Where in the SQL text something stands: 0-based offsets, 1-based line and column. */
export interface Span {
  readonly start: number;
  /** Exclusive end offset. */
  readonly end: number;
  readonly line: number;
  readonly column: number;
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
  INTERNAL: 'Internal Error (this is a bug in sluice, please report it)',
};

/**
 * Renders an error as the CLI and REPL print it: a category label, the message and, for
 * SQL errors, the offending line with a caret under the column, as the DuckDB shell does.
 */
export function renderError(err: unknown, sql?: string): string {
  const e = toSluiceError(err);
  const text = e.sql ?? sql;
  let out = `${LABELS[e.code]}: ${e.message}`;
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

/** Wraps anything thrown into a SluiceError; a non-sluice error is an internal bug. */
export function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new SluiceError('INTERNAL', msg);
}
