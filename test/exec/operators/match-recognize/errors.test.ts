/**
 * What MATCH_RECOGNIZE refuses, each with its code, a message naming the form and the
 * position of the fault; and how EXPLAIN shows the node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../../src/index.js';
import { rejection } from '../../../rejection.js';
import { TICKER } from './helpers.js';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open();
  await engine.execute(TICKER);
  await engine.execute(`CREATE SOURCE plain (symbol VARCHAR, rowtime TIMESTAMP, price BIGINT)`);
  await engine.execute(`CREATE MATERIALIZED VIEW totals AS SELECT symbol, SUM(price) AS s FROM ticker GROUP BY symbol`);
});
afterAll(async () => {
  await engine.close();
});

/** A query with one clause replaced; the rest is a valid MATCH_RECOGNIZE. */
function query(parts: { from?: string; order?: string; measures?: string; rows?: string; skip?: string; pattern?: string; define?: string } = {}): string {
  return `SELECT * FROM ${parts.from ?? 'ticker'} MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY ${parts.order ?? 'rowtime'}
  MEASURES ${parts.measures ?? 'LAST(B.price) AS p'}
  ${parts.rows ?? 'ONE ROW PER MATCH'} ${parts.skip ?? ''}
  PATTERN (${parts.pattern ?? 'A B+'})
  DEFINE ${parts.define ?? 'B AS B.price > PREV(B.price)'}
) AS m`;
}

let views = 0;

async function refusal(sql: string, code: string, message: string | RegExp, at?: string): Promise<void> {
  const name = `x${views++}`;
  const e = await rejection(engine.execute(`CREATE VIEW ${name} AS ${sql}`));
  expect(e.code, e.message).toBe(code);
  expect(e.message).toMatch(message);
  if (at !== undefined) {
    const full = `CREATE VIEW ${name} AS ${sql}`;
    const offset = full.indexOf(at);
    const line = full.slice(0, offset).split('\n').length;
    const column = offset - full.lastIndexOf('\n', offset - 1);
    expect([e.line, e.column]).toEqual([line, column]);
  }
}

describe('refused forms', () => {
  it('ALL ROWS PER MATCH', () => refusal(query({ rows: 'ALL ROWS PER MATCH' }), 'UNSUPPORTED', /ALL ROWS PER MATCH/, 'ALL ROWS'));
  it('PERMUTE', () => refusal(query({ pattern: 'PERMUTE(A, B)' }), 'UNSUPPORTED', /PERMUTE/, 'PERMUTE'));
  it('pattern exclusions {- … -}', () => refusal(query({ pattern: 'A {- B -} B' }), 'UNSUPPORTED', /exclusion \{- … -\}/, '{-'));
  it('anchors ^ and $', async () => {
    await refusal(query({ pattern: '^ A B' }), 'UNSUPPORTED', /anchor \^/, '^');
    await refusal(query({ pattern: 'A B $' }), 'UNSUPPORTED', /anchor \$/, '$');
  });
  it('patterns that can match no rows', async () => {
    await refusal(query({ pattern: 'A* B?', define: 'B AS TRUE' }), 'UNSUPPORTED', /can match no rows/, 'A* B?');
    await refusal(query({ pattern: '()', define: 'B AS TRUE' }), 'UNSUPPORTED', /empty pattern/);
  });
  it('NEXT, PREV of another variable, PREV in MEASURES, CLASSIFIER in DEFINE', async () => {
    await refusal(query({ define: 'B AS B.price > NEXT(B.price)' }), 'UNSUPPORTED', /NEXT/, 'NEXT');
    await refusal(query({ define: 'B AS B.price > PREV(A.price)' }), 'UNSUPPORTED', /PREV\(A\.price\)/, 'PREV(A');
    await refusal(query({ measures: 'PREV(price) AS p' }), 'UNSUPPORTED', /PREV in MEASURES/);
    await refusal(query({ define: `B AS CLASSIFIER() = 'A'` }), 'UNSUPPORTED', /CLASSIFIER\(\) in DEFINE/);
    await refusal(query({ measures: 'MATCH_PROCTIME() AS t' }), 'UNSUPPORTED', /MATCH_PROCTIME\(\) is not supported/, 'MATCH_PROCTIME');
  });
  it('DISTINCT aggregates and aggregates of expressions', async () => {
    await refusal(query({ measures: 'COUNT(DISTINCT B.price) AS n' }), 'UNSUPPORTED', /COUNT\(DISTINCT …\)/);
    await refusal(query({ measures: 'SUM(B.price * 2) AS n' }), 'UNSUPPORTED', /SUM in MEASURES takes a column/);
  });
  it('patterns too large to expand', async () => {
    await refusal(query({ pattern: 'A B{1001}' }), 'UNSUPPORTED', /above 1000/, 'B{1001}');
    await refusal(query({ pattern: 'A ((B{500}){500})' }), 'UNSUPPORTED', /more than 100000 states/);
    const many = Array.from({ length: 31 }, (_, i) => `V${i}`).join(' ');
    await refusal(query({ pattern: `A B ${many}` }), 'UNSUPPORTED', /more than 30 variables/);
  });
  it('a changelog input', () => refusal(query({ from: 'totals', order: 'symbol' }), 'UNSUPPORTED', /changelog input.*'totals'/, 'totals'));
});

describe('mistakes', () => {
  it('ordering by something else than event time, or descending', async () => {
    await refusal(query({ order: 'price' }), 'BIND', /ordered first by the event-time column.*not by 'price'/, 'price\n');
    await refusal(query({ order: 'rowtime DESC' }), 'UNSUPPORTED', /DESC/);
  });
  it('unknown variables and columns', async () => {
    await refusal(query({ define: 'C AS TRUE' }), 'BIND', /'c' is not a variable of the PATTERN \(variables: A, B\)/, 'C AS');
    await refusal(query({ measures: 'LAST(Z.price) AS p' }), 'BIND', /'z' is not a pattern variable/, 'Z.');
    await refusal(query({ measures: 'LAST(B.prise) AS p' }), 'BIND', /column 'prise' not found.*did you mean 'price'/);
    await refusal(query({ skip: 'AFTER MATCH SKIP TO LAST Q' }), 'BIND', /SKIP TO LAST q: not a variable/);
  });
  it('a DEFINE that is not a condition, a variable defined twice, a measure named like a partition column', async () => {
    await refusal(query({ define: 'B AS B.price + 1' }), 'TYPE', /DEFINE/);
    await refusal(query({ define: 'B AS TRUE, B AS FALSE' }), 'BIND', /defined twice/);
    await refusal(query({ measures: 'LAST(B.price) AS symbol' }), 'BIND', /already has a column named 'symbol'/);
  });
  it('COUNT(t.*) outside MATCH_RECOGNIZE', async () => {
    const e = await rejection(engine.execute(`CREATE VIEW y AS SELECT COUNT(ticker.*) AS n FROM ticker`));
    expect(e.code).not.toBe('INTERNAL');
    expect(e.line).toBe(1);
  });
  it('syntax: a quantifier whose maximum is below its minimum', () => refusal(query({ pattern: 'A B{3,2}' }), 'PARSE', /maximum is below the minimum/));
});

describe('EXPLAIN', () => {
  it('shows the MatchRecognize node with its clauses', async () => {
    const [r] = await engine.execute(`EXPLAIN ${query({ skip: 'AFTER MATCH SKIP TO LAST B', pattern: 'A B+? C{2,3}', define: 'B AS B.price > PREV(B.price), C AS SUM(C.price) < 10' })}`);
    const text = JSON.stringify(r);
    expect(text).toContain(
      'MatchRecognize: partition=[symbol] order=[rowtime] pattern=(A B+? C{2,3}) skip=TO LAST B define=[B AS (B.price > PREV(B.price)), C AS (SUM(C.price) < CAST(10 AS BIGINT))] measures=[LAST(B.price) AS p]  → (symbol VARCHAR, p BIGINT) append-only',
    );
    // The input keeps only the columns the node reads (tax is pruned).
    expect(text).toContain('Scan: ticker watermark=rowtime  → (symbol VARCHAR, rowtime TIMESTAMP*, price BIGINT) append-only');
  });

  it('shows WITHIN', async () => {
    const [r] = await engine.execute(`EXPLAIN ${query().replace('PATTERN (A B+)', `PATTERN (A B+) WITHIN INTERVAL '10' MINUTE`)}`);
    expect(JSON.stringify(r)).toContain('within=10m');
  });
});
