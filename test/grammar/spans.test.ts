import { describe, expect, it } from 'vitest';
import { parse, parseStatement } from '../../grammar/index.js';
import type { Span } from '../../grammar/ast.js';

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

const textOf = (sql: string, s: Span) => sql.slice(s.start, s.end);

describe('spans', () => {
  const sql = [
    'SELECT',
    '  a + 1 AS x,',
    '  COUNT(*) OVER (PARTITION BY k)',
    'FROM bids b',
    "  JOIN TUMBLE(t, ts, INTERVAL '1' SECOND) w ON b.k = w.k",
    'WHERE price > 10',
  ].join('\n');

  it('gives line, column and exact text of nested nodes in a multi-line statement', () => {
    const s = parseStatement(sql);
    if (s.kind !== 'QueryStatement' || s.query.body.kind !== 'Select') throw new Error('unexpected statement');
    const body = s.query.body;
    expect(s.span).toEqual({ start: 0, end: sql.length, line: 1, column: 1 });

    const first = body.items[0]!;
    expect(first.span).toMatchObject({ line: 2, column: 3 });
    expect(textOf(sql, first.span)).toBe('a + 1 AS x');
    if (first.kind !== 'ExprItem' || first.expr.kind !== 'Binary') throw new Error('unexpected item');
    expect(textOf(sql, first.expr.span)).toBe('a + 1');
    expect(first.expr.right.span).toMatchObject({ line: 2, column: 7 });
    expect(first.alias!.span).toMatchObject({ line: 2, column: 12, start: sql.indexOf('x,'), end: sql.indexOf('x,') + 1 });

    const second = body.items[1]!;
    if (second.kind !== 'ExprItem' || second.expr.kind !== 'FuncCall') throw new Error('unexpected item');
    expect(second.expr.nameSpan).toMatchObject({ line: 3, column: 3, end: second.expr.nameSpan.start + 5 });
    expect(textOf(sql, second.expr.span)).toBe('COUNT(*) OVER (PARTITION BY k)');
    expect(second.expr.over!.span).toMatchObject({ line: 3, column: 12 });

    const from = body.from!;
    if (from.kind !== 'Join' || from.left.kind !== 'TableRef' || from.right.kind !== 'WindowTvf') throw new Error('unexpected FROM');
    expect(from.left.span).toMatchObject({ line: 4, column: 6 });
    expect(textOf(sql, from.left.span)).toBe('bids b');
    expect(textOf(sql, from.span)).toBe("bids b\n  JOIN TUMBLE(t, ts, INTERVAL '1' SECOND) w ON b.k = w.k");
    expect(from.right.fnSpan).toMatchObject({ line: 5, column: 8 });
    expect(textOf(sql, from.right.span)).toBe("TUMBLE(t, ts, INTERVAL '1' SECOND) w");
    expect(from.right.args[0]!.span).toMatchObject({ line: 5, column: 22 });
    expect(from.on!.span).toMatchObject({ line: 5, column: 48 });

    expect(body.where!.span).toMatchObject({ line: 6, column: 7 });
    expect(textOf(sql, body.where!.span)).toBe('price > 10');
  });

  it('counts lines after \\r\\n, in later statements and after multi-line comments and strings', () => {
    const crlf = "SELECT 1;\r\n/* a\r\n b */ SELECT\r\n  'x\ny', bad";
    const script = parse(crlf);
    const last = script.statements[1]!;
    expect(last.span).toMatchObject({ line: 3, column: 7 });
    if (last.kind !== 'QueryStatement' || last.query.body.kind !== 'Select') throw new Error('unexpected statement');
    expect(last.query.body.items[1]!.span).toMatchObject({ line: 5, column: 5 });
  });

  it('widens a parenthesized expression to its parentheses', () => {
    const s = parseStatement('SELECT (a + b) * c');
    if (s.kind !== 'QueryStatement' || s.query.body.kind !== 'Select') throw new Error('unexpected statement');
    const item = s.query.body.items[0]!;
    if (item.kind !== 'ExprItem' || item.expr.kind !== 'Binary') throw new Error('unexpected item');
    expect(textOf('SELECT (a + b) * c', item.expr.span)).toBe('(a + b) * c');
    expect(textOf('SELECT (a + b) * c', item.expr.left.span)).toBe('(a + b)');
  });

  const statements = [
    sql,
    `CREATE SOURCE bids (auction BIGINT, date_time TIMESTAMP(3),
       WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (connector = 'file')`,
    `CREATE MATERIALIZED VIEW v AS WITH c AS (SELECT a FROM t) SELECT CASE WHEN a THEN CAST(b AS INT) END, EXTRACT(YEAR FROM ts)
       FROM TABLE(SESSION(TABLE bids PARTITION BY k, DESCRIPTOR(ts), INTERVAL '1' SECOND)) s, CHANGES(v) c
       WHERE a NOT BETWEEN 1 AND 2 AND b IN (1, 2) AND c IS NULL AND d LIKE 'x'
       UNION ALL (SELECT 1 LIMIT 1) ORDER BY 1 NULLS FIRST LIMIT 3 EMIT ON WINDOW CLOSE`,
    "INSERT INTO t (a) VALUES (?), (-?::BIGINT)",
    "SELECT f(x) OVER (ORDER BY t RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW) FROM v AS OF OFFSET 3 z",
    'EXPLAIN CREATE VIEW v AS (SELECT * FROM (a JOIN b USING (k)))',
    "ALTER SOURCE s ADD COLUMN c INT DEFAULT 1 + 2; SET x TO 'y'; SHOW SINKS",
  ];

  it.each(statements)('every node lies within its parent and its line/column match its offset: %s', (text) => {
    const script = parse(text);
    const check = (node: unknown, parent: Span | undefined): number => {
      if (Array.isArray(node)) return node.reduce((n: number, v) => n + check(v, parent), 0);
      if (node === null || typeof node !== 'object') return 0;
      let count = 0;
      let own = parent;
      for (const key of ['span', 'nameSpan', 'fnSpan'] as const) {
        const s = (node as Record<string, Span | undefined>)[key];
        if (s === undefined) continue;
        count++;
        expect(s.start).toBeLessThanOrEqual(s.end);
        expect({ line: s.line, column: s.column }).toEqual(lineColumn(text, s.start));
        if (parent) {
          expect(s.start).toBeGreaterThanOrEqual(parent.start);
          expect(s.end).toBeLessThanOrEqual(parent.end);
        }
        if (key === 'span') own = s;
      }
      for (const [k, v] of Object.entries(node)) if (!['span', 'nameSpan', 'fnSpan'].includes(k)) count += check(v, own);
      return count;
    };
    expect(check(script.statements, undefined)).toBeGreaterThan(3);
  });
});
