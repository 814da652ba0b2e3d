/**
 * Built-in word lists of the sluice dialect (SPEC section 2) for highlighting and
 * completion. They are defaults only: the app can pass the parser's own keyword list
 * instead once grammar/ exports one, so the editing aids never drift from the parser.
 */

/** Reserved and non-reserved keywords of the dialect, upper case. */
export const DEFAULT_KEYWORDS: readonly string[] = [
  'ADD', 'ALL', 'ALTER', 'AND', 'AS', 'ASC', 'BETWEEN', 'BIGINT', 'BOOLEAN', 'BY', 'CASE', 'CAST',
  'CHANGES', 'CHECKPOINT', 'CLOSE', 'COLUMN', 'CREATE', 'CROSS', 'CURRENT', 'DATE', 'DAY', 'DAYS',
  'DECIMAL', 'DEFAULT', 'DELETE', 'DESC', 'DESCRIBE', 'DESCRIPTOR', 'DISTINCT', 'DOUBLE', 'DROP',
  'ELSE', 'EMIT', 'END', 'EXISTS', 'EXPLAIN', 'EXTRACT', 'FALSE', 'FLOAT', 'FOLLOWING', 'FOR',
  'FROM', 'FULL', 'GROUP', 'HAVING', 'HOUR', 'HOURS', 'IF', 'IN', 'INNER', 'INSERT', 'INT',
  'INTEGER', 'INTERVAL', 'INTO', 'IS', 'JOIN', 'LEFT', 'LIKE', 'LIMIT', 'MATERIALIZED',
  'MILLISECOND', 'MILLISECONDS', 'MINUTE', 'MINUTES', 'NOT', 'NULL', 'OF', 'OFFSET', 'ON', 'OR',
  'ORDER', 'OUTER', 'OVER', 'PARTITION', 'PRECEDING', 'RANGE', 'REAL', 'REBUILD', 'REPLACE',
  'RIGHT', 'ROW', 'ROWS', 'SECOND', 'SECONDS', 'SELECT', 'SET', 'SHOW', 'SINK', 'SINKS', 'SOURCE',
  'SOURCES', 'STRING', 'SUBSCRIBE', 'TABLE', 'TEXT', 'THEN', 'TIMESTAMP', 'TRUE', 'TYPE',
  'UNBOUNDED', 'UNION', 'UPDATE', 'VALUES', 'VARCHAR', 'VIEW', 'VIEWS', 'WATERMARK', 'WHEN',
  'WHERE', 'WINDOW', 'WITH',
];

/** Scalar, aggregate, window and table-valued functions of the dialect, upper case. */
export const DEFAULT_FUNCTIONS: readonly string[] = [
  'ABS', 'AVG', 'CEIL', 'COALESCE', 'CONCAT', 'COUNT', 'CUMULATE', 'DATE_TRUNC', 'FLOOR', 'HOP',
  'HOP_END', 'HOP_START', 'LENGTH', 'LOWER', 'MAX', 'MIN', 'NULLIF', 'ROUND', 'ROW_NUMBER',
  'SESSION', 'SESSION_END', 'SESSION_START', 'SUBSTRING', 'SUM', 'TRIM', 'TUMBLE', 'TUMBLE_END',
  'TUMBLE_START', 'UPPER',
];

/** Table-valued functions that may stand where a table name does (`FROM TUMBLE(…)`). */
export const TABLE_FUNCTIONS: readonly string[] = ['CHANGES', 'CUMULATE', 'HOP', 'SESSION', 'TABLE', 'TUMBLE'];
