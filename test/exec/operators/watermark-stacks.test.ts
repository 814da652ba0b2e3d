/**
 * Watermarks through stacked operators: every operator's output watermark must stay at or
 * below the event-time columns of the rows it may still emit, or an event-time operator
 * downstream finds them late and drops them. On random out-of-order streams with no late
 * row, stacks of two operators (interval join → TUMBLE or SESSION, window → window, OVER →
 * window, session → window, union → window, TVF → window, a closing outer join → window)
 * must give DuckDB's batch result. Watermarks that run ahead (an interval join stamping the
 * minimum of its inputs, a window forwarding its input's) lose rows and fail it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { duckRows, normRows, useDuck } from './duck.js';

const T0 = Date.UTC(2024, 0, 1);
const DELAY = 2000;

interface Ev {
  readonly k: number;
  readonly ts: number;
  readonly x: number;
}

/** Times go up by steps and back by less than the delay: every row is on time for its source. */
const streamArb = fc
  .array(
    fc.record({
      k: fc.integer({ min: 0, max: 2 }),
      x: fc.integer({ min: 0, max: 9 }),
      step: fc.integer({ min: 0, max: 1500 }),
      back: fc.oneof(fc.constant(DELAY - 1), fc.integer({ min: 0, max: DELAY - 1 })),
    }),
    { minLength: 5, maxLength: 30 },
  )
  .map((xs) => {
    let t = T0;
    return xs.map(({ k, x, step, back }): Ev => ({ k, x, ts: Math.max(T0, (t += step) - back) }));
  });

const SOURCES = `
  CREATE SOURCE a (k BIGINT, ts TIMESTAMP, x BIGINT, WATERMARK FOR ts AS ts - INTERVAL '${DELAY}' MILLISECOND);
  CREATE SOURCE b (k BIGINT, ts TIMESTAMP, x BIGINT, WATERMARK FOR ts AS ts - INTERVAL '${DELAY}' MILLISECOND);`;

/** Intermediate (inlined) views: the lower operator of each stack. */
const VIEWS = `
  CREATE VIEW j AS SELECT a.k, a.ts AS ats, b.ts AS bts FROM a JOIN b
    ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '3' SECOND;
  CREATE VIEW lj AS SELECT a.k, a.ts AS ats, b.ts AS bts FROM a LEFT JOIN b
    ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '3' SECOND EMIT ON WINDOW CLOSE;
  CREATE VIEW rj AS SELECT b.k, a.ts AS ats, b.ts AS bts FROM a RIGHT JOIN b
    ON a.k = b.k AND a.ts BETWEEN b.ts - INTERVAL '1' SECOND AND b.ts + INTERVAL '2' SECOND EMIT ON WINDOW CLOSE;
  CREATE VIEW w2 AS SELECT window_start AS ws, k, COUNT(*) AS n FROM TUMBLE(a, ts, INTERVAL '2' SECOND)
    GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE;
  CREATE VIEW h AS SELECT window_start AS ws, COUNT(*) AS n FROM HOP(a, ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND)
    GROUP BY window_start, window_end EMIT ON WINDOW CLOSE;
  CREATE VIEW c AS SELECT window_start AS ws, COUNT(*) AS n FROM CUMULATE(b, ts, INTERVAL '1' SECOND, INTERVAL '4' SECOND)
    GROUP BY window_start, window_end EMIT ON WINDOW CLOSE;
  CREATE VIEW wa AS SELECT k, window_start AS ws FROM HOP(a, ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND);
  CREATE VIEW o AS SELECT k, ats, bts,
    COUNT(*) OVER (PARTITION BY k ORDER BY bts RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND CURRENT ROW) AS c FROM j;
  CREATE VIEW se AS SELECT k, window_start AS ss, COUNT(*) AS n FROM SESSION(a PARTITION BY k, ts, INTERVAL '1' SECOND)
    GROUP BY k, window_start, window_end EMIT ON WINDOW CLOSE;
  CREATE VIEW u AS SELECT k, ts FROM a UNION ALL SELECT k, ts FROM b;`;

/** DuckDB over tables a, b (times in epoch ms): the join of view j, and the left and right joins. */
const J = `SELECT a.k, a.ts AS ats, b.ts AS bts FROM a JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + 3000`;
const LJ = `SELECT a.k, a.ts AS ats, b.ts AS bts FROM a LEFT JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + 3000`;
const RJ = `SELECT b.k, a.ts AS ats, b.ts AS bts FROM a RIGHT JOIN b ON a.k = b.k AND a.ts BETWEEN b.ts - 1000 AND b.ts + 2000`;
/** DuckDB: rows of a with session_start (SESSION gap 1 s per k), by gaps and islands. */
const SESSIONS = `(SELECT *, MIN(ts) OVER (PARTITION BY k, sid) AS session_start FROM (
  SELECT *, SUM(brk) OVER (PARTITION BY k ORDER BY ts, rn ROWS UNBOUNDED PRECEDING) AS sid FROM (
    SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY k ORDER BY ts, rn) < 1000 THEN 0 ELSE 1 END AS brk FROM (
      SELECT *, row_number() OVER () AS rn FROM %T))))`;
const bucket = (col: string, ms: number) => `(${col} // ${ms} * ${ms})`;

/** Each stack: a materialized view on top of one of the views above, and its DuckDB query. */
const STACKS: Record<string, { sql: string; duck: string }> = {
  join_tumble: {
    sql: `SELECT window_start, COUNT(*) AS n FROM TUMBLE(j, ats, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    duck: `SELECT ${bucket('ats', 2000)}, COUNT(*) FROM (${J}) GROUP BY 1`,
  },
  join_tumble_other_side: {
    sql: `SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(j, bts, INTERVAL '2' SECOND) GROUP BY window_start, window_end, k`,
    duck: `SELECT ${bucket('bts', 2000)}, k, COUNT(*) FROM (${J}) GROUP BY 1, 2`,
  },
  join_session: {
    sql: `SELECT k, window_start, COUNT(*) AS n FROM SESSION(j PARTITION BY k, ats, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end`,
    duck: `SELECT k, session_start, COUNT(*) FROM ${SESSIONS.replace('%T', `(SELECT k, ats AS ts FROM (${J}))`)} GROUP BY k, sid, session_start`,
  },
  left_join_tumble: {
    sql: `SELECT window_start, COUNT(*) AS n, COUNT(bts) AS matched FROM TUMBLE(lj, ats, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    duck: `SELECT ${bucket('ats', 2000)}, COUNT(*), COUNT(bts) FROM (${LJ}) GROUP BY 1`,
  },
  right_join_tumble: {
    sql: `SELECT window_start, COUNT(*) AS n, COUNT(ats) AS matched FROM TUMBLE(rj, bts, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    duck: `SELECT ${bucket('bts', 2000)}, COUNT(*), COUNT(ats) FROM (${RJ}) GROUP BY 1`,
  },
  tumble_tumble: {
    sql: `SELECT window_start, k, SUM(n) AS n FROM TUMBLE(w2, ws, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k`,
    duck: `SELECT ${bucket('ts', 2000)} // 3000 * 3000, k, COUNT(*) FROM a GROUP BY 1, 2`,
  },
  hop_tumble: {
    sql: `SELECT window_start, SUM(n) AS n FROM TUMBLE(h, ws, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    duck: `SELECT (${bucket('ts', 1000)} - o) // 2000 * 2000, COUNT(*) FROM a, (SELECT unnest([0, 1000, 2000]) AS o) GROUP BY 1`,
  },
  cumulate_tumble: {
    sql: `SELECT window_start, SUM(n) AS n FROM TUMBLE(c, ws, INTERVAL '3' SECOND) GROUP BY window_start, window_end`,
    // Each row counts in the windows of its 4 s cycle that end after it: 4 - (its second in the cycle).
    duck: `SELECT ${bucket('ts', 4000)} // 3000 * 3000, SUM(4 - (ts % 4000) // 1000)::BIGINT FROM b GROUP BY 1`,
  },
  tvf_tumble: {
    sql: `SELECT window_start, COUNT(*) AS n FROM TUMBLE(wa, ws, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    duck: `SELECT (${bucket('ts', 1000)} - o) // 2000 * 2000, COUNT(*) FROM a, (SELECT unnest([0, 1000, 2000]) AS o) GROUP BY 1`,
  },
  over_tumble: {
    sql: `SELECT window_start, COUNT(*) AS n, SUM(c) AS c FROM TUMBLE(o, ats, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    duck: `SELECT ${bucket('ats', 2000)}, COUNT(*), SUM(c)::BIGINT FROM (
      SELECT ats, COUNT(*) OVER (PARTITION BY k ORDER BY bts RANGE BETWEEN 1000 PRECEDING AND CURRENT ROW) AS c FROM (${J})) GROUP BY 1`,
  },
  session_tumble: {
    sql: `SELECT window_start, SUM(n) AS n FROM TUMBLE(se, ss, INTERVAL '2' SECOND) GROUP BY window_start, window_end`,
    duck: `SELECT ${bucket('session_start', 2000)}, COUNT(*) FROM ${SESSIONS.replace('%T', 'a')} GROUP BY 1`,
  },
  union_tumble: {
    sql: `SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(u, ts, INTERVAL '2' SECOND) GROUP BY window_start, window_end, k`,
    duck: `SELECT ${bucket('ts', 2000)}, k, COUNT(*) FROM (SELECT k, ts FROM a UNION ALL SELECT k, ts FROM b) GROUP BY 1, 2`,
  },
};

const duck = useDuck();

async function load(as: readonly Ev[], bs: readonly Ev[]): Promise<void> {
  for (const [name, evs] of [['a', as], ['b', bs]] as const) {
    await duck().run(`CREATE OR REPLACE TABLE ${name} (k BIGINT, ts BIGINT, x BIGINT)`);
    if (evs.length) await duck().run(`INSERT INTO ${name} VALUES ${evs.map((e) => `(${e.k}, ${e.ts}, ${e.x})`).join(', ')}`);
  }
}

/** Times as epoch ms, so both engines' rows compare as JSON. */
const norm = (rows: readonly object[]) => normRows(rows);

describe('watermarks through stacked operators: no on-time row is lost', () => {
  it('every stack equals DuckDB on random out-of-order streams without late rows', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, streamArb, fc.integer({ min: 1, max: 5 }), fc.nat(), async (as, bs, batch, seed) => {
        const e = await Engine.open();
        try {
          await e.execute(SOURCES);
          await e.execute(VIEWS);
          for (const [name, s] of Object.entries(STACKS)) await e.execute(`CREATE MATERIALIZED VIEW ${name} AS ${s.sql}`);
          // Interleave the two sources in an order the seed picks.
          for (let i = 0, ai = 0, bi = 0; ai < as.length || bi < bs.length; i++) {
            const takeA = bi >= bs.length || (ai < as.length && ((seed >> i % 30) & 1) === 1);
            if (takeA) await e.insert('a', as.slice(ai, (ai += batch)));
            else await e.insert('b', bs.slice(bi, (bi += batch)));
          }
          await e.endOfStream('a');
          await e.endOfStream('b');
          await load(as, bs);
          for (const [name, s] of Object.entries(STACKS)) {
            const got = norm(await e.query(`SELECT * FROM ${name}`));
            expect(got, name).toEqual(await duckRows(duck(), s.duck));
          }
        } finally {
          await e.close();
        }
      }),
      { numRuns: Number(process.env.WM_RUNS ?? 12), endOnFailure: true },
    );
  }, 60_000);
});
