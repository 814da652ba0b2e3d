/**
 * A row that comes within a gap of a closed session is late (SPEC 2.5: it merges first, and
 * the merged session has closed), however long ago that session closed — also when it
 * reaches the closed session by merging into an open one. The operators used to forget a
 * partition's closed session a gap after it closed unless an open session started near it,
 * checked once per batch: a row arriving later that moved an open session's start down
 * near it let the next row bridge the two, so the result depended on the batch cuts (found
 * by the batch-size property test, seed 364276311); the operator over a changelog forgot a
 * partition with no open session a gap after its last session closed. Through a join, the
 * rows of one input batch all carried the join's watermark from before the batch, so in one
 * batch no row reached the session late.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { T0 } from './over-harness.js';

/** Source `s` is the stream; `t` holds one row far ahead (its watermark past every row of `s`) for the join. */
const SOURCES = `CREATE SOURCE s (id BIGINT, k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND);
  CREATE SOURCE t (id BIGINT, k BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts)`;
const GAP = `INTERVAL '1500' MILLISECOND`;
/** [name, view]: every view sees a watermark 2 s behind the largest time of `s`. */
const FORMS: [string, string][] = [
  ['EMIT CHANGES', `SELECT window_start, window_end, k, COUNT(*) AS c FROM SESSION(s PARTITION BY k, ts, ${GAP}) GROUP BY window_start, window_end, k`],
  ['EMIT ON WINDOW CLOSE', `SELECT window_start, window_end, k, COUNT(*) AS c FROM SESSION(s PARTITION BY k, ts, ${GAP}) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE`],
  [
    // A LEFT interval join that never matches pads each row of s at once, under s's watermark
    // row by row (t's is far ahead): a changelog, with the same lateness as s.
    'over a join (a changelog)',
    `WITH j AS (SELECT a.id, a.k, a.ts FROM s a LEFT JOIN t b ON a.k = b.k AND b.ts > a.ts AND b.ts <= a.ts + INTERVAL '1' SECOND)
     SELECT window_start, window_end, k, COUNT(*) AS c FROM SESSION(j PARTITION BY k, ts, ${GAP}) GROUP BY window_start, window_end, k`,
  ],
];

/**
 * Rows in arrival order (ms after T0, of partition 1, or [ms, partition]), and partition 1's
 * sessions [start, end, rows] they make; the last row is late.
 */
const SCENARIOS: [string, (number | [number, number])[], [number, number, number][]][] = [
  [
    // 36000 joins the open session at 37000 after the one at 33595 closed; 35000 then touches both.
    'an on-time row moves an open session near the closed one',
    [33_595, 37_000, 39_232, 36_000, 35_000],
    [
      [33_595, 35_095, 1],
      [36_000, 38_500, 2],
      [39_232, 40_732, 1],
    ],
  ],
  [
    // After the session at 0 closes, rows each within a gap of the next walk the open session
    // down from 10 s to 2 s (all but the first late for their own window); 1 s touches both.
    'a chain of rows walks an open session down to the closed one',
    [0, 10_000, 9_000, 7_600, 6_200, 4_800, 3_400, 2_000, 1_000],
    [
      [0, 1_500, 1],
      [2_000, 11_500, 7],
    ],
  ],
  [
    // Partition 2 moves the watermark past the closed session's end plus a gap while partition
    // 1 has no open session; 1.6 s then opens one on time, and 1 s touches both.
    'a new session opens near the closed one in an idle partition',
    [0, [5_000, 2], 1_600, 1_000],
    [
      [0, 1_500, 1],
      [1_600, 3_100, 1],
    ],
  ],
];

/**
 * Feeds the rows in batches of `batch` and reads partition 1's sessions and the late rows;
 * with `reopenAfter`, checkpoints, closes and reopens the engine (a file) after that many rows.
 */
async function run(
  view: string,
  times: readonly (number | [number, number])[],
  batch: number,
  reopenAfter?: number,
): Promise<{ sessions: number[][]; late: number[] }> {
  const dir = reopenAfter === undefined ? null : mkdtempSync(join(tmpdir(), 'sluice-session-mark-'));
  const path = dir === null ? undefined : join(dir, 'db.duckdb');
  let engine = await Engine.open(path === undefined ? {} : { path });
  try {
    await engine.execute(SOURCES);
    await engine.insert('t', [{ id: 0, k: 0, ts: new Date(T0 + 1_000_000) }]);
    await engine.execute(`CREATE MATERIALIZED VIEW v AS ${view}`);
    const rows = times.map((r, i) => ({ id: i, k: typeof r === 'number' ? 1 : r[1], ts: new Date(T0 + (typeof r === 'number' ? r : r[0])) }));
    for (let i = 0; i < rows.length; i += batch) {
      if (i === reopenAfter) {
        await engine.checkpoint();
        await engine.close();
        engine = await Engine.open({ path: path! });
      }
      await engine.insert('s', rows.slice(i, i + batch));
    }
    await engine.endOfStream('s');
    const sessions = ((await engine.query('SELECT window_start, window_end, c FROM v WHERE k = 1 ORDER BY window_start')) as Row[]).map((r) => [
      (r['window_start'] as Date).getTime() - T0,
      (r['window_end'] as Date).getTime() - T0,
      Number(r['c']),
    ]);
    const late = ((await engine.query(`SELECT event_time FROM sluice_late_events WHERE view = 'v' ORDER BY "offset"`)) as Row[]).map(
      (r) => (r['event_time'] as Date).getTime() - T0,
    );
    return { sessions, late };
  } finally {
    await engine.close();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

describe('a row within a gap of a closed session is late, whatever the batch cuts', () => {
  for (const [form, view] of FORMS) {
    for (const [scenario, times, sessions] of SCENARIOS) {
      it(`${form}: ${scenario}`, async () => {
        const want = { sessions, late: [times[times.length - 1] as number] };
        expect(await run(view, times, 1), 'row by row').toEqual(want);
        // Through the join too: its output rows carry the watermarks of the rows they came from.
        expect(await run(view, times, times.length), 'in one batch').toEqual(want);
        // The mark is part of the checkpoint: a reopen just before the bridging rows keeps it.
        expect(await run(view, times, 1, times.length - 2), 'reopened').toEqual(want);
      });
    }
  }
});
