import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, tokenize } from '../../grammar/index.js';
import { SluiceError } from '../../src/errors.js';

const VALID = [
  `CREATE SOURCE bids (auction BIGINT, price DOUBLE, date_time TIMESTAMP,
     WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (connector = 'file', path = 'b.jsonl')`,
  "CREATE MATERIALIZED VIEW v AS SELECT window_start, COUNT(*) FROM TUMBLE(bids, date_time, INTERVAL '10' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE",
  "SELECT * FROM TABLE(SESSION(TABLE bids PARTITION BY bidder, DESCRIPTOR(date_time), INTERVAL '30' SECOND)) s",
  "SELECT * FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) h JOIN p ON h.a = p.a",
  "INSERT INTO orders (id, note) VALUES (1, 'a'), (2, NULL)",
  'SELECT a, b + 1 AS c FROM t WHERE x > 1 AND NOT y = 2 OR z IS NOT NULL',
  "SELECT AVG(price) OVER (PARTITION BY auction ORDER BY ts RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW) FROM bids",
  "WITH c AS (SELECT a FROM t) SELECT * FROM c UNION ALL SELECT 1 ORDER BY 1 DESC LIMIT 3",
  "SELECT CASE WHEN a BETWEEN 1 AND 2 THEN 'x' ELSE 'y' END, CAST(b AS VARCHAR), c::INT, EXTRACT(YEAR FROM d) FROM t",
  "SELECT * FROM v AS OF TIMESTAMP '2024-01-01 00:00:10' x, CHANGES(w) c",
  'ALTER SOURCE s ADD COLUMN c INT DEFAULT 0; SHOW SOURCES; DESCRIBE s; CHECKPOINT',
  "SET checkpoint_interval = '1 second'; SUBSCRIBE v; DROP MATERIALIZED VIEW IF EXISTS v",
  "CREATE SINK s FROM v WITH (connector = 'file', path = 'out.jsonl'); REBUILD MATERIALIZED VIEW v",
  'EXPLAIN SELECT a FROM t LEFT JOIN u USING (k) WHERE a IN (?, ?) AND b LIKE ? /* c */',
  "SELECT a || 'x' FROM (SELECT * FROM t) q -- done",
];

const SOUP = [
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'LIMIT', 'EMIT', 'ON', 'WINDOW', 'CLOSE', 'CHANGES', 'UNION', 'ALL',
  'CREATE', 'SOURCE', 'MATERIALIZED', 'VIEW', 'SINK', 'WITH', 'AS', 'OF', 'TIMESTAMP', 'OFFSET', 'INSERT', 'INTO', 'VALUES',
  'JOIN', 'LEFT', 'CROSS', 'USING', 'TUMBLE', 'HOP', 'SESSION', 'TABLE', 'DESCRIPTOR', 'PARTITION', 'INTERVAL', 'SECOND',
  'OVER', 'ROWS', 'RANGE', 'BETWEEN', 'AND', 'OR', 'NOT', 'PRECEDING', 'CURRENT', 'ROW', 'UNBOUNDED', 'CASE', 'WHEN',
  'THEN', 'ELSE', 'END', 'CAST', 'INT', 'VARCHAR', 'IS', 'NULL', 'IN', 'LIKE', 'EXTRACT', 'WATERMARK', 'FOR', 'SET',
  'SHOW', 'DROP', 'EXPLAIN', 'SUBSCRIBE', 'CHECKPOINT', 'UPDATE', 'DELETE', 'IF', 'EXISTS', 'DISTINCT', 'COUNT',
  'a', 'b', 't', 'date', 'x1', '"Q"', "'s'", "'10'", "'10 seconds'", '1', '2.5', '?', '*', '+', '-', '/', '=', '<>',
  '<=', '::', '||', '(', ')', '(', ')', ',', '.', ';', '-- c\n', '/* c */', "'open", '"open', '/* open', '#', '~',
];

/** Chevrotain's vocabulary, which must never reach a user. */
const INTERNAL_WORDS = /-->|<\[|\bIdentifier\b|NonReserved|StringLiteral|NumberLiteral|LParen|RParen|\bEOF\b|Expecting|Redundant input/;

/** `parse` returns a Script or throws a PARSE SluiceError pointing inside the text, quickly. */
function checkParse(sql: string): void {
  const started = performance.now();
  try {
    expect(parse(sql).sql).toBe(sql);
  } catch (e) {
    if (!(e instanceof SluiceError)) throw new Error(`not a SluiceError for ${JSON.stringify(sql)}: ${String(e)}`);
    expect(e.code).toBe('PARSE');
    const lines = sql.split(/\r\n|\r|\n/);
    expect(Number.isInteger(e.line) && Number.isInteger(e.column)).toBe(true);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines.length);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeLessThanOrEqual(lines[e.line! - 1]!.length + 1);
    expect(e.message).not.toMatch(INTERNAL_WORDS);
  }
  const ms = performance.now() - started;
  // A guard against runaway (exponential) parsing, not a speed benchmark: generous enough
  // for a loaded 2-core CI machine, far below what a runaway parse would take.
  expect(ms).toBeLessThan(1000);
}

const tokensOf = (sql: string) => tokenize(sql).map((t) => t.text);

type Mutation =
  | { op: 'delete' | 'duplicate' | 'truncate'; at: number }
  | { op: 'swap'; at: number; other: number }
  | { op: 'insert'; at: number; token: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...SOUP) }),
);

function mutate(tokens: string[], m: Mutation): string[] {
  const out = [...tokens];
  const i = m.at % (out.length + 1);
  switch (m.op) {
    case 'delete':
      out.splice(i, 1);
      break;
    case 'duplicate':
      if (i < out.length) out.splice(i, 0, out[i]!);
      break;
    case 'truncate':
      out.length = i;
      break;
    case 'swap': {
      const j = m.other % (out.length + 1);
      if (i < out.length && j < out.length) [out[i], out[j]] = [out[j]!, out[i]!];
      break;
    }
    case 'insert':
      out.splice(i, 0, m.token);
      break;
  }
  return out;
}

describe('parse never crashes, hangs or leaks internals', () => {
  it('every base statement is valid', () => {
    for (const sql of VALID) expect(() => parse(sql)).not.toThrow();
  });

  it('on random token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SOUP), { maxLength: 40 }), (tokens) => checkParse(tokens.join(' '))),
      { numRuns: 300 },
    );
  });

  it('on one or two mutations of valid statements', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 2 }), (sql, ms) => {
        checkParse(ms.reduce(mutate, tokensOf(sql)).join(' '));
      }),
      { numRuns: 300 },
    );
  });

  it('on random characters', () => {
    const unit = fc.constantFrom(...'ab1 .,;()\'"-/*?\n\t=<>|:#éS'.split(''), 'SELECT ', 'FROM ', 'INTERVAL ');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (sql) => checkParse(sql)),
      { numRuns: 300 },
    );
  });
});

describe('tokenize never throws and covers the input', () => {
  function checkTokens(sql: string): void {
    const tokens = tokenize(sql);
    let at = 0;
    for (const t of tokens) {
      expect(t.start).toBeGreaterThanOrEqual(at);
      expect(t.end).toBeGreaterThan(t.start);
      expect(t.text).toBe(sql.slice(t.start, t.end));
      expect(sql.slice(at, t.start)).toMatch(/^\s*$/);
      at = t.end;
    }
    expect(sql.slice(at)).toMatch(/^\s*$/);
  }

  it('on random SQL-like text', () => {
    const unit = fc.constantFrom(...'ab1 .,;()\'"-/*?\n=<>|:#!$@'.split(''), '--', '/*', '*/', "''", 'SELECT', '😀');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 80 }), (sql) => checkTokens(sql)),
      { numRuns: 300 },
    );
  });

  it('on arbitrary Unicode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (sql) => checkTokens(sql)),
      { numRuns: 300 },
    );
  });
});
