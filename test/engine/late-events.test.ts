/**
 * Late rows (SPEC 2.5, 3). A reference computation in this file runs the watermark row by
 * row and decides, for every (row, window) pair, whether the window had closed when the row
 * arrived. The view must equal DuckDB's result over the pairs that were on time, and
 * `sluice_late_events` must hold exactly the others — one record per dropped (row, window)
 * with the row's offset, event time and the watermark it arrived under. Sessions follow the
 * rule documented in src/exec/operators/session-aggregate.ts.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import {
  assertSameRows,
  cutsArb,
  lateEvents,
  oracleSessions,
  Oracle,
  runs,
  runSluice,
  sessionLate,
  sortRows,
  sourceSql,
  streamArb,
  T0,
  tvfSql,
  watermarksBefore,
  windowsOf,
  type Ev,
  type WindowSpec,
} from './oracle.js';

let oracle: Oracle;
beforeAll(async () => {
  oracle = await Oracle.create();
});
afterAll(() => oracle.close());

const S = 1000;
const DELAY = 2 * S;
const RUNS = runs(5);

interface WindowView {
  readonly name: string;
  readonly w: WindowSpec;
  readonly emit: string;
}

const WINDOW_VIEWS: WindowView[] = [
  { name: 'l_tumble', w: { kind: 'TUMBLE', size: 10 * S }, emit: '' },
  { name: 'l_tumble_close', w: { kind: 'TUMBLE', size: 5 * S, offset: 2 * S }, emit: 'EMIT ON WINDOW CLOSE' },
  { name: 'l_hop', w: { kind: 'HOP', size: 9 * S, slide: 3 * S }, emit: 'EMIT ON WINDOW CLOSE' },
  { name: 'l_hop_changes', w: { kind: 'HOP', size: 8 * S, slide: 2 * S }, emit: '' },
  { name: 'l_cumulate', w: { kind: 'CUMULATE', size: 12 * S, slide: 4 * S, offset: S }, emit: '' },
  { name: 'l_cumulate_close', w: { kind: 'CUMULATE', size: 10 * S, slide: 2 * S }, emit: 'EMIT ON WINDOW CLOSE' },
];

const windowViewSql = (v: WindowView) =>
  `SELECT window_start, window_end, k, COUNT(*) AS n, SUM(x) AS sx, MAX(v) AS mv FROM ${tvfSql(v.w)} GROUP BY window_start, window_end, k ${v.emit}`;

interface SessionView {
  readonly name: string;
  readonly gap: number;
  readonly partition: 'k' | null;
  readonly emit: string;
}

const SESSION_VIEWS: SessionView[] = [
  { name: 'l_session', gap: 3 * S, partition: 'k', emit: 'EMIT ON WINDOW CLOSE' },
  { name: 'l_session_changes', gap: 2 * S, partition: 'k', emit: '' },
  { name: 'l_session_global', gap: 1500, partition: null, emit: '' },
];

const sessionViewSql = (v: SessionView) =>
  `SELECT window_start, window_end, ${v.partition ? 'k, ' : ''}COUNT(*) AS n, SUM(x) AS sx
   FROM SESSION(s${v.partition ? ' PARTITION BY k' : ''}, ts, INTERVAL '${v.gap}' MILLISECOND)
   GROUP BY window_start, window_end${v.partition ? ', k' : ''} ${v.emit}`;

/** Views that take late rows like any other row: a non-windowed aggregate and a window TVF without aggregation. */
const TAKERS = [
  { name: 'l_group', sql: `SELECT k, COUNT(*) AS n, SUM(x) AS sx FROM s GROUP BY k`, oracle: `SELECT k, COUNT(*), SUM(x)::BIGINT FROM t GROUP BY k` },
  {
    name: 'l_rows',
    sql: `SELECT k, ts, window_start FROM TUMBLE(s, ts, INTERVAL '10' SECOND)`,
    oracle: `SELECT k, ts, ts - ts % 10000 FROM t`,
  },
];

/** A late record as [offset, event_time, watermark, window_start, window_end] (the window from the row JSON). */
function recordTuple(r: Record<string, unknown>, events: readonly Ev[]): unknown[] {
  const row = JSON.parse(r['row'] as string) as Record<string, unknown>;
  const e = events[r['offset'] as number]!;
  // The JSON holds the row as the window saw it.
  expect(row['ts']).toBe(new Date(e.ts).toISOString());
  if ('k' in row) expect(row['k']).toBe(e.k);
  if ('x' in row) expect(row['x']).toBe(e.x);
  expect(r['source']).toBe('s');
  const w = 'window_start' in row ? [Date.parse(row['window_start'] as string), Date.parse(row['window_end'] as string)] : [];
  return [r['offset'], r['event_time'], r['watermark'], ...w];
}

describe('late rows: counted where their window was open, recorded where it had closed', () => {
  it('TUMBLE, HOP, CUMULATE and SESSION views against a row-by-row reference and DuckDB', async () => {
    let runsWithLateRows = 0;
    await fc.assert(
      fc.asyncProperty(
        streamArb({ delayMs: DELAY, spanMs: 60_000, minLength: 20, maxLength: 70, lateShare: 0.3, nullKeys: true }),
        cutsArb(),
        async (events, batches) => {
          const views = [
            ...WINDOW_VIEWS.map((v) => ({ name: v.name, sql: windowViewSql(v) })),
            ...SESSION_VIEWS.map((v) => ({ name: v.name, sql: sessionViewSql(v) })),
            ...TAKERS,
          ];
          const run = await runSluice(events, views, { delayMs: DELAY, batches });
          try {
            const wms = watermarksBefore(events, DELAY);
            await oracle.load(events);
            let lateTotal = 0;
            for (const v of WINDOW_VIEWS) {
              const onTime: [number, number, number][] = [];
              const late: unknown[][] = [];
              events.forEach((e, i) => {
                for (const [start, end] of windowsOf(v.w, e.ts)) {
                  if (wms[i]! >= end) late.push([i, e.ts, wms[i], start, end]);
                  else onTime.push([i, start, end]);
                }
              });
              await oracle.loadPairs(onTime, 'ok');
              const expected = await oracle.rows(
                `SELECT window_start, window_end, k, COUNT(*), SUM(x)::BIGINT, MAX(v) FROM t JOIN ok USING (off) GROUP BY window_start, window_end, k`,
              );
              assertSameRows(run.rows.get(v.name)!, expected, v.name);
              const recorded = (await lateEvents(run.engine, v.name)).map((r) => recordTuple(r, events));
              expect(sortRows(recorded), `${v.name}: sluice_late_events`).toEqual(sortRows(late));
              lateTotal += late.length;
            }
            for (const v of SESSION_VIEWS) {
              const isLate = sessionLate(events, wms, v.gap, (e) => (v.partition ? e.k : 0));
              await oracle.load(
                events.filter((_, i) => !isLate[i]),
                'u',
              );
              const part = v.partition ? 'k, ' : '';
              const expected = await oracle.rows(
                `SELECT session_start, session_end, ${part}COUNT(*), SUM(x)::BIGINT FROM ${oracleSessions(v.gap, v.partition, 'u')}
                 GROUP BY ${part}sid, session_start, session_end`,
              );
              assertSameRows(run.rows.get(v.name)!, expected, v.name);
              // A late session row names its own session window [ts, ts + gap).
              const late = events.flatMap((e, i) => (isLate[i] ? [[i, e.ts, wms[i], e.ts, e.ts + v.gap]] : []));
              const recorded = (await lateEvents(run.engine, v.name)).map((r) => recordTuple(r, events));
              expect(sortRows(recorded), `${v.name}: sluice_late_events`).toEqual(sortRows(late));
              lateTotal += late.length;
            }
            for (const v of TAKERS) {
              assertSameRows(run.rows.get(v.name)!, await oracle.rows(v.oracle), v.name);
              expect(await lateEvents(run.engine, v.name)).toEqual([]);
            }
            expect(run.engine.metrics().lateEvents).toBe(lateTotal);
            if (lateTotal > 0) runsWithLateRows++;
          } finally {
            await run.engine.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
    // The generator does produce late rows (else this test would prove little).
    expect(runsWithLateRows).toBeGreaterThan(0);
  });
});

describe('late rows, by example', () => {
  let engine: Engine;
  afterEach(async () => {
    await engine?.close();
  });
  const at = (s: number) => T0 + s * S;
  const ev = (k: string, s: number, x = 1): Ev => ({ k, x, b: null, d: null, v: null, ts: at(s) });

  it('a HOP row still counts in its windows that are open and is recorded for the one that closed', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW h AS SELECT window_start, COUNT(*) AS n FROM HOP(s, ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND)
      GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    // 12 moves the watermark to 10: [0, 10) closes; the row at 7 is late there but counts in [5, 15).
    await engine.insert('s', [ev('a', 1), ev('a', 12), ev('a', 7)]);
    await engine.endOfStream('s');
    expect(await engine.query('SELECT epoch_ms(window_start) - ? AS ws, n FROM h ORDER BY ws', [T0])).toEqual([
      { ws: -5000, n: 1 },
      { ws: 0, n: 1 },
      { ws: 5000, n: 2 },
      { ws: 10000, n: 1 },
    ]);
    const late = await lateEvents(engine, 'h');
    expect(late.map((r) => [r['offset'], r['event_time'], r['watermark']])).toEqual([[2, at(7), at(10)]]);
    expect(JSON.parse(late[0]!['row'] as string)).toEqual({ ts: '2024-01-01T00:00:07.000Z', window_start: '2024-01-01T00:00:00.000Z', window_end: '2024-01-01T00:00:10.000Z' });
  });

  it('a HOP row late for a window no earlier row reached is kept out of it', async () => {
    // Found by the property above: the first row opens no window ending at 10, so nothing
    // closed there when the watermark passed 10; the row at 8 must still not count in [1, 10).
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW h AS SELECT window_start, COUNT(*) AS n FROM HOP(s, ts, INTERVAL '3' SECOND, INTERVAL '9' SECOND)
      GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    await engine.insert('s', [ev('a', 13), ev('a', 8)]);
    await engine.endOfStream('s');
    expect(await engine.query('SELECT epoch_ms(window_start) - ? AS ws, n FROM h ORDER BY ws', [T0])).toEqual([
      { ws: 3000, n: 1 },
      { ws: 6000, n: 2 },
      { ws: 9000, n: 1 },
      { ws: 12000, n: 1 },
    ]);
    expect((await lateEvents(engine, 'h')).map((r) => [r['offset'], r['watermark']])).toEqual([[1, at(11)]]);
  });

  it('a row exactly at the watermark is on time; a row at window_end - 1 after the window closed is late', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW w AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end`);
    // After 11.999 the watermark is 9.999: [0, 10) is open, so 9.999 counts; after 12 it is 10 and [0, 10) has closed.
    await engine.insert('s', [
      { k: 'a', ts: at(11.999) },
      { k: 'a', ts: at(9.999) },
      { k: 'a', ts: at(12) },
      { k: 'a', ts: at(9.999) },
      { k: 'a', ts: at(10) },
    ]);
    await engine.endOfStream('s');
    expect(await engine.query('SELECT epoch_ms(window_start) - ? AS ws, n FROM w ORDER BY ws', [T0])).toEqual([
      { ws: 0, n: 1 },
      { ws: 10000, n: 3 },
    ]);
    expect((await lateEvents(engine, 'w')).map((r) => r['offset'])).toEqual([3]);
  });

  it('a window over a UNION ALL of two sources closes when the slower source\'s watermark passes it', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(S, 's1'));
    await engine.execute(sourceSql(S, 's2'));
    await engine.execute(`CREATE MATERIALIZED VIEW u AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(
      (SELECT k, ts FROM s1 UNION ALL SELECT k, ts FROM s2), ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    const windows = () => engine.query('SELECT epoch_ms(window_start) - ? AS ws, n FROM u ORDER BY ws', [T0]);
    await engine.insert('s1', [ev('a', 1), ev('a', 25)]);
    // s2 has no watermark yet: nothing closes, and its row at 5 counts.
    expect(await windows()).toEqual([]);
    await engine.insert('s2', [ev('b', 5), ev('b', 31)]);
    // Now the watermark is min(24, 30) = 24: [0, 10) and [10, 20) close.
    expect(await windows()).toEqual([{ ws: 0, n: 2 }]);
    await engine.insert('s1', [ev('a', 8), ev('a', 22)]);
    await engine.endOfStream('s1');
    await engine.endOfStream('s2');
    expect(await windows()).toEqual([
      { ws: 0, n: 2 },
      { ws: 20000, n: 2 },
      { ws: 30000, n: 1 },
    ]);
    const late = await lateEvents(engine, 'u');
    expect(late.map((r) => [r['source'], r['offset'], r['event_time'], r['watermark']])).toEqual([['s1', 2, at(8), at(24)]]);
  });

  it('a view created after its upstream view emitted takes the rows so far as on time', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(3 * S));
    await engine.execute(`CREATE MATERIALIZED VIEW inner_w AS SELECT window_time AS wt, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '5' SECOND)
      GROUP BY window_start, window_end, window_time EMIT ON WINDOW CLOSE`);
    // 13.001 moves the watermark to 10.001: inner [0, 5) is emitted with wt = 4.999.
    await engine.insert('s', [ev('a', 0), ev('a', 13.001)]);
    await engine.execute(`CREATE MATERIALIZED VIEW outer_w AS SELECT window_end, SUM(n) AS n FROM CUMULATE(inner_w, wt, INTERVAL '10' SECOND, INTERVAL '30' SECOND)
      GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    await engine.endOfStream('s');
    // [0, 10) had not closed when inner [0, 5) was emitted: it counts there.
    expect(await engine.query('SELECT epoch_ms(window_end) - ? AS we, n::INT AS n FROM outer_w ORDER BY we', [T0])).toEqual([
      { we: 10000, n: 1 },
      { we: 20000, n: 2 },
      { we: 30000, n: 2 },
    ]);
    expect(await lateEvents(engine)).toEqual([]);
  });

  it('sessions: a row bridging two open sessions merges them; a row reaching a closed session is late', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW ss AS SELECT window_start, window_end, k, COUNT(*) AS n
      FROM SESSION(s PARTITION BY k, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k`);
    const rows = async () => (await engine.query('SELECT epoch_ms(window_start) - ? AS s, epoch_ms(window_end) - ? AS e, k, n FROM ss ORDER BY k, s', [T0, T0]));
    await engine.insert('s', [ev('a', 10), ev('a', 14)]);
    expect(await rows()).toEqual([
      { s: 10000, e: 13000, k: 'a', n: 1 },
      { s: 14000, e: 17000, k: 'a', n: 1 },
    ]);
    // 11 joins [10, 13); 12.5 comes closer than the gap to both sessions and bridges them.
    await engine.insert('s', [ev('a', 11)]);
    expect(await rows()).toEqual([
      { s: 10000, e: 14000, k: 'a', n: 2 },
      { s: 14000, e: 17000, k: 'a', n: 1 },
    ]);
    await engine.insert('s', [ev('a', 12.5)]);
    expect(await rows()).toEqual([{ s: 10000, e: 17000, k: 'a', n: 4 }]);
    // 17 is exactly the gap after 14: a session of its own.
    await engine.insert('s', [ev('a', 17)]);
    expect(await rows()).toEqual([
      { s: 10000, e: 17000, k: 'a', n: 4 },
      { s: 17000, e: 20000, k: 'a', n: 1 },
    ]);
    // 24 moves the watermark to 22: both sessions close. 19.5 would extend [17, 20): late.
    // 21.5 reaches only the open session of 24.
    await engine.insert('s', [ev('a', 24), ev('a', 19.5), ev('a', 21.5), ev('b', 20)]);
    await engine.endOfStream('s');
    expect(await rows()).toEqual([
      { s: 10000, e: 17000, k: 'a', n: 4 },
      { s: 17000, e: 20000, k: 'a', n: 1 },
      { s: 21500, e: 27000, k: 'a', n: 2 },
      { s: 20000, e: 23000, k: 'b', n: 1 },
    ]);
    const late = await lateEvents(engine, 'ss');
    expect(late.map((r) => [r['offset'], r['event_time'], r['watermark']])).toEqual([[6, at(19.5), at(22)]]);
    expect(JSON.parse(late[0]!['row'] as string)).toEqual({
      k: 'a',
      ts: '2024-01-01T00:00:19.500Z',
      window_start: '2024-01-01T00:00:19.500Z',
      window_end: '2024-01-01T00:00:22.500Z',
    });
  });

  it('sessions: a row whose own window has closed still merges into an open session (SPEC 2.5)', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW ss2 AS SELECT window_start, window_end, COUNT(*) AS n
      FROM SESSION(s PARTITION BY k, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k`);
    // One session [30, 39) still open at watermark 34.
    await engine.insert('s', [ev('a', 30), ev('a', 32), ev('a', 34), ev('a', 36)]);
    // 31's own window [31, 34) has closed, but it lies inside the open session: it merges.
    // 20's own window has closed and it reaches no session: late.
    await engine.insert('s', [ev('a', 31), ev('a', 20)]);
    await engine.endOfStream('s');
    expect(await engine.query('SELECT epoch_ms(window_start) - ? AS s, n FROM ss2', [T0])).toEqual([{ s: 30000, n: 5 }]);
    const late = await lateEvents(engine, 'ss2');
    expect(late.map((r) => r['event_time'])).toEqual([at(20)]);
  });
});
