/**
 * State of closed windows is freed (SPEC 2.5), in both emit modes: while a stream runs, a
 * TUMBLE/HOP/CUMULATE aggregate holds exactly the groups of windows the watermark has not
 * reached; a SESSION aggregate holds only open sessions (and, per partition, the end of the
 * last closed one until no row can reach it); once the bounded stream ends every window has
 * closed and the state is back to zero entries. One view per engine, read through
 * `metrics().stateSize`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { cut, cutsArb, runs, sessionLate, sourceSql, streamArb, tvfSql, watermarksBefore, windowsOf, type Ev, type WindowSpec } from '../../engine/oracle.js';

const DELAY = 2000;
const RUNS = runs(3);
const S = 1000;

const WINDOWS: WindowSpec[] = [
  { kind: 'TUMBLE', size: 5 * S },
  { kind: 'HOP', size: 6 * S, slide: 2 * S, offset: 500 },
  { kind: 'CUMULATE', size: 8 * S, slide: 2 * S },
];
const EMITS = ['', 'EMIT ON WINDOW CLOSE'];

/** The groups (window end, k) of on-time pairs whose window the watermark `wm` has not reached. */
function openGroups(w: WindowSpec, events: readonly Ev[], wms: readonly number[], upTo: number, wm: number): number {
  const groups = new Set<string>();
  for (let i = 0; i < upTo; i++) {
    for (const [, end] of windowsOf(w, events[i]!.ts)) if (wms[i]! < end && end > wm) groups.add(JSON.stringify([end, events[i]!.k]));
  }
  return groups.size;
}

/**
 * HOP … EMIT ON WINDOW CLOSE runs on panes (slide-sized slices): its state is the groups
 * (pane end, k) of rows still counting somewhere, whose pane's last window is open.
 */
function openPaneGroups(w: WindowSpec, events: readonly Ev[], wms: readonly number[], upTo: number, wm: number): number {
  const slide = w.slide!;
  const offset = w.offset ?? 0;
  const groups = new Set<string>();
  for (let i = 0; i < upTo; i++) {
    const t = events[i]!.ts;
    const pe = t - ((((t - offset) % slide) + slide) % slide) + slide;
    const last = pe + w.size - slide;
    if (wms[i]! < last && last > wm) groups.add(JSON.stringify([pe, events[i]!.k]));
  }
  return groups.size;
}

/** Open sessions per partition after the first `upTo` rows, under watermark `wm` (reference model). */
function openSessions(events: readonly Ev[], wms: readonly number[], upTo: number, gap: number, wm: number): number {
  const prefix = events.slice(0, upTo);
  const late = sessionLate(prefix, wms, gap, (e) => e.k);
  const byKey = new Map<unknown, number[]>();
  prefix.forEach((e, i) => {
    if (!late[i]) byKey.set(e.k, [...(byKey.get(e.k) ?? []), e.ts]);
  });
  let open = 0;
  for (const times of byKey.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      const last = i + 1 === times.length || times[i + 1]! - times[i]! >= gap;
      if (last && times[i]! + gap > wm) open++;
    }
  }
  return open;
}

async function withView(sql: string, f: (engine: Engine) => Promise<void>): Promise<void> {
  const engine = await Engine.open();
  try {
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
    await f(engine);
  } finally {
    await engine.close();
  }
}

const streams = fc.tuple(streamArb({ delayMs: DELAY, spanMs: 40_000, maxLength: 50, lateShare: 0.2, nullKeys: true }), cutsArb(15));

describe('window state is freed as windows close and is zero at the end of a bounded stream', () => {
  it('TUMBLE, HOP, CUMULATE in both emit modes hold exactly the groups of open windows', async () => {
    await fc.assert(
      fc.asyncProperty(streams, async ([events, batches]) => {
        const wms = watermarksBefore(events, DELAY);
        for (const w of WINDOWS) {
          for (const emit of EMITS) {
            const sql = `SELECT window_start, window_end, k, COUNT(*) AS n, MAX(v) AS mv, COUNT(DISTINCT x) AS dx FROM ${tvfSql(w)} GROUP BY window_start, window_end, k ${emit}`;
            await withView(sql, async (engine) => {
              let seen = 0;
              let maxTs = -Infinity;
              let peak = 0;
              for (const batch of cut(events, batches)) {
                await engine.insert('s', batch);
                seen += batch.length;
                for (const e of batch) maxTs = Math.max(maxTs, e.ts);
                const state = engine.metrics().stateSize;
                const panes = w.kind === 'HOP' && emit !== '';
                const expected = (panes ? openPaneGroups : openGroups)(w, events, wms, seen, maxTs - DELAY);
                expect(state, `${w.kind} ${emit} after ${seen} rows`).toBe(expected);
                peak = Math.max(peak, state);
              }
              expect(peak).toBeGreaterThan(0);
              await engine.endOfStream('s');
              expect(engine.metrics().stateSize, `${w.kind} ${emit} at the end`).toBe(0);
            });
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('SESSION in both emit modes holds open sessions only, and nothing at the end', async () => {
    const gap = 1500;
    await fc.assert(
      fc.asyncProperty(streams, async ([events, batches]) => {
        const wms = watermarksBefore(events, DELAY);
        const partitions = new Set(events.map((e) => e.k)).size;
        for (const emit of EMITS) {
          const sql = `SELECT window_start, window_end, k, COUNT(*) AS n, SUM(d) AS sd FROM SESSION(s PARTITION BY k, ts, INTERVAL '${gap}' MILLISECOND)
                       GROUP BY window_start, window_end, k ${emit}`;
          await withView(sql, async (engine) => {
            let seen = 0;
            let maxTs = -Infinity;
            for (const batch of cut(events, batches)) {
              await engine.insert('s', batch);
              seen += batch.length;
              for (const e of batch) maxTs = Math.max(maxTs, e.ts);
              const open = openSessions(events, wms, seen, gap, maxTs - DELAY);
              // A group and a session record per open session; per partition its key and at
              // most the end of its last closed session.
              const state = engine.metrics().stateSize;
              expect(state, `SESSION ${emit} after ${seen} rows`).toBeGreaterThanOrEqual(2 * open);
              expect(state, `SESSION ${emit} after ${seen} rows`).toBeLessThanOrEqual(2 * open + 2 * partitions);
            }
            await engine.endOfStream('s');
            expect(engine.metrics().stateSize, `SESSION ${emit} at the end`).toBe(0);
          });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('nested windows and a UNION of windowed aggregates end with zero state', async () => {
    const views = [
      `SELECT window_start, window_end, SUM(n) AS total FROM TUMBLE(
         (SELECT window_time AS wt, k, COUNT(*) AS n FROM HOP(s, ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND) GROUP BY window_start, window_end, window_time, k),
         wt, INTERVAL '10' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`,
      `SELECT window_start, window_end, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '4' SECOND) GROUP BY window_start, window_end
       UNION ALL SELECT window_start, window_end, COUNT(*) FROM SESSION(s, ts, INTERVAL '1' SECOND) GROUP BY window_start, window_end`,
    ];
    await fc.assert(
      fc.asyncProperty(streams, async ([events, batches]) => {
        for (const sql of views) {
          await withView(sql, async (engine) => {
            for (const batch of cut(events, batches)) await engine.insert('s', batch);
            await engine.endOfStream('s');
            expect(engine.metrics().stateSize).toBe(0);
          });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a session partition that only late rows named is not kept', async () => {
    await withView(`SELECT window_start, k, COUNT(*) AS n FROM SESSION(s PARTITION BY k, ts, INTERVAL '1' SECOND) GROUP BY window_start, window_end, k`, async (engine) => {
      const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
      await engine.insert('s', [{ k: 'a', ts: at(30) }]);
      const one = engine.metrics().stateSize;
      // Each of these keys comes only with a row whose session closed long ago.
      await engine.insert('s', Array.from({ length: 50 }, (_, i) => ({ k: `late${i}`, ts: at(1) })));
      expect(engine.metrics().lateEvents).toBe(50);
      expect(engine.metrics().stateSize).toBe(one);
      await engine.endOfStream('s');
      expect(engine.metrics().stateSize).toBe(0);
    });
  });

  it('a HOP row can fall in hundreds of windows', async () => {
    // 300 windows per row: more than a byte can count.
    await withView(`SELECT window_start, COUNT(*) AS n FROM HOP(s, ts, INTERVAL '1' SECOND, INTERVAL '300' SECOND) GROUP BY window_start, window_end`, async (engine) => {
      await engine.insert('s', [{ k: 'a', ts: new Date(Date.UTC(2024, 0, 1)) }]);
      expect(engine.metrics().stateSize).toBe(300);
      await engine.endOfStream('s');
      expect(engine.metrics().stateSize).toBe(0);
      expect(await engine.query('SELECT count(*)::INT AS windows, sum(n)::INT AS rows FROM v')).toEqual([{ windows: 300, rows: 300 }]);
    });
  });
});
