/**
 * NaN in ORDER BY keys, MIN, MAX, LEAST and GREATEST, as DuckDB has it: above every number
 * (+Infinity included) and equal to itself. Before, a comparison with NaN was false either
 * way: a Top-N or an OVER took NaN as a tie with everything, and MIN/MAX kept or dropped it
 * depending on where it came in the stream. Each query runs over random streams of doubles
 * with NaN, ±Infinity, -0 and NULL, cut into random batches, against DuckDB over the same rows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../src/index.js';
import { beats, compareSql, compareText } from '../src/sql-order.js';
import { useDuck } from './exec/operators/duck.js';
import { cutsArb, nonFiniteCheck, rowsOf, streamArb } from './exec/operators/non-finite.js';

const duck = useDuck();
const check = nonFiniteCheck(duck);

describe('compareSql and beats', () => {
  it('order NaN above every number and equal to itself, as DuckDB does', () => {
    const xs = [Number.NEGATIVE_INFINITY, -1, 0, 2.5, Number.POSITIVE_INFINITY, Number.NaN];
    for (let i = 0; i < xs.length; i++) {
      for (let j = 0; j < xs.length; j++) expect(compareSql(xs[i]!, xs[j]!)).toBe(Math.sign(i - j));
    }
    expect(beats(Number.NaN, Number.POSITIVE_INFINITY, true)).toBe(true);
    expect(beats(1, Number.NaN, true)).toBe(false);
    expect(beats(1, Number.NaN, false)).toBe(true);
    expect(beats(Number.NaN, 1, false)).toBe(false);
    expect(beats(Number.NaN, Number.NaN, true)).toBe(false);
    expect(compareSql('a', 'b')).toBe(-1);
  });

  it('order text by code point, as DuckDB orders UTF-8 bytes (JavaScript puts an emoji below U+E000)', () => {
    const unit = fc.constantFrom('a', 'z', 'é', '\u00ff', '\u07ff', '\ud7ff', '\ue000', '\ufffd', '\uffff', '😀', '𝄞', '\u{10ffff}');
    const text = fc.oneof(fc.string({ unit }), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(text, text, (a, b) => {
        const bytes = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        expect(compareText(a, b)).toBe(bytes);
        expect(compareSql(a, b)).toBe(bytes);
        expect(beats(a, b, true)).toBe(bytes > 0);
        expect(beats(a, b, false)).toBe(bytes < 0);
      }),
      { numRuns: 2000 },
    );
  });
});

const minMax = 'MIN(x) AS lo, MAX(x) AS hi';
const over = `OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)`;
/** Sessions (of the whole stream) with a 3-second gap in DuckDB: a row the gap or more after the last one starts a new one. */
const duckSessions = `WITH t AS (SELECT *, CASE WHEN ts - LAG(ts) OVER (ORDER BY ts) < INTERVAL '3 seconds' THEN 0 ELSE 1 END AS fresh FROM s),
  g AS (SELECT *, SUM(fresh) OVER (ORDER BY ts) AS sid FROM t)
  SELECT k, MIN(MIN(ts)) OVER (PARTITION BY sid) AS window_start, ${minMax} FROM g GROUP BY k, sid`;

const latest = `SELECT id, x, ts FROM (SELECT id, x, ts, ROW_NUMBER() OVER (PARTITION BY id % 4 ORDER BY ts DESC) AS r FROM s) WHERE r = 1`;

/** [name, sluice SQL, DuckDB SQL (the same when absent)] */
const cases: [string, string, string?][] = [
  ['MIN and MAX per group (append-only)', `SELECT k, ${minMax} FROM s GROUP BY k`],
  [
    'MIN and MAX over a changelog (a GROUP BY whose rows change)',
    `SELECT k % 2 AS g, MIN(hi) AS lo, MAX(hi) AS hi FROM (SELECT k, MAX(x) AS hi FROM s GROUP BY k) GROUP BY k % 2`,
  ],
  [
    'MIN and MAX per tumbling window',
    `SELECT k, window_start, ${minMax} FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY k, window_start, window_end`,
    `SELECT k, time_bucket(INTERVAL '10 seconds', ts) AS window_start, ${minMax} FROM s GROUP BY ALL`,
  ],
  ['MIN and MAX per session', `SELECT k, window_start, ${minMax} FROM SESSION(s, ts, INTERVAL '3' SECOND) GROUP BY k, window_start, window_end`, duckSessions],
  [
    'MIN and MAX per session over a changelog (the latest row of each id % 4)',
    `SELECT window_start, ${minMax} FROM SESSION((${latest}), ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end`,
    `WITH latest AS (${latest}), t AS (SELECT *, CASE WHEN ts - LAG(ts) OVER (ORDER BY ts) < INTERVAL '3 seconds' THEN 0 ELSE 1 END AS fresh FROM latest),
      g AS (SELECT *, SUM(fresh) OVER (ORDER BY ts) AS sid FROM t)
      SELECT MIN(ts) AS window_start, ${minMax} FROM g GROUP BY sid`,
  ],
  [
    'MIN and MAX in MATCH_RECOGNIZE measures (runs of three rows per key)',
    `SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts MEASURES MIN(A.x) AS lo, MAX(A.x) AS hi ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW PATTERN (A{3}) DEFINE A AS TRUE)`,
    `SELECT k, ${minMax} FROM (SELECT *, (row_number() OVER (PARTITION BY k ORDER BY ts) - 1) // 3 AS run FROM s) GROUP BY k, run HAVING COUNT(*) = 3`,
  ],
  ['Top-N by a descending double', `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC, id) AS r FROM s) WHERE r <= 2`],
  ['Top-N by an ascending double, NULLS FIRST', `SELECT * FROM (SELECT id, x, ROW_NUMBER() OVER (ORDER BY x NULLS FIRST, id) AS r FROM s) WHERE r <= 3`],
  ['OVER ordered by a double (rows land among rows emitted)', `SELECT id, x, SUM(id) OVER (PARTITION BY k ORDER BY x, id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS t FROM s`],
  ['OVER MIN and MAX by event time', `SELECT id, MIN(x) ${over} AS lo, MAX(x) ${over} AS hi FROM s`],
  ['LEAST and GREATEST', `SELECT id, LEAST(x, 1.5) AS l, GREATEST(x, 1.5) AS g FROM s`],
];

describe('NaN orders as in DuckDB', () => {
  for (const [name, sql, duckSql] of cases) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(streamArb, cutsArb, (ev, cuts) => check(sql, duckSql ?? sql, ev, cuts)), { numRuns: 15 });
    }, 120_000);
  }
});

/** Text whose UTF-16 and code point orders differ: an emoji against U+E000–U+FFFF. */
const textArb = fc
  .array(fc.record({ k: fc.integer({ min: 0, max: 2 }), s: fc.option(fc.constantFrom('\ufffd', '😀', '\ue000x', '😀a', 'z', '', '\uffff'), { nil: null, freq: 7 }) }), { minLength: 1, maxLength: 20 })
  .map((rows) => rows.map((r, i) => ({ id: i, k: r.k, s: r.s })));

describe('text orders by code point, as in DuckDB', () => {
  const textCases: [string, string][] = [
    ['MIN and MAX per group', `SELECT k, MIN(s) AS lo, MAX(s) AS hi FROM t GROUP BY k`],
    ['MIN and MAX over a changelog', `SELECT k % 2 AS g, MIN(hi) AS lo, MAX(hi) AS hi FROM (SELECT k, MAX(s) AS hi FROM t GROUP BY k) GROUP BY k % 2`],
    ['Top-N by text', `SELECT * FROM (SELECT id, s, ROW_NUMBER() OVER (PARTITION BY k ORDER BY s DESC, id) AS r FROM t) WHERE r <= 2`],
    ['OVER ordered by text', `SELECT id, s, SUM(id) OVER (PARTITION BY k ORDER BY s, id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS n FROM t`],
    ['LEAST and GREATEST', `SELECT id, LEAST(s, '\ufffd') AS l, GREATEST(s, '\ufffd') AS g FROM t`],
  ];
  for (const [name, sql] of textCases) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(textArb, cutsArb, async (rows, cuts) => {
          const e = await Engine.open();
          try {
            await e.execute(`CREATE SOURCE t (id BIGINT, k BIGINT, s VARCHAR)`);
            await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
            for (let i = 0, c = 0; i < rows.length; c++) {
              const n = cuts[c % cuts.length]!;
              await e.insert('t', rows.slice(i, i + n));
              i += n;
            }
            const got = rowsOf((await e.query('SELECT * FROM v')) as Row[]);
            await duck().run('CREATE OR REPLACE TABLE t (id BIGINT, k BIGINT, s VARCHAR)');
            const lit = (x: string | null) => (x === null ? 'NULL' : `'${x}'`);
            await duck().run(`INSERT INTO t VALUES ${rows.map((r) => `(${r.id}, ${r.k}, ${lit(r.s)})`).join(', ')}`);
            expect(got).toEqual(rowsOf((await duck().runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]));
          } finally {
            await e.close();
          }
        }),
        { numRuns: 12 },
      );
    }, 120_000);
  }
});
