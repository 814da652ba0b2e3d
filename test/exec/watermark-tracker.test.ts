import { describe, expect, it } from 'vitest';
import { float64Column } from '../../src/exec/vector/columns.js';
import { WatermarkTracker } from '../../src/exec/watermark-tracker.js';
import { Engine } from '../../src/index.js';

const col = (xs: number[]) => float64Column(Float64Array.from(xs));

describe('watermarks (SPEC 2.5)', () => {
  it('stamps each row with the watermark set by the rows before it, whatever the batch cuts', () => {
    const ts = [10, 14, 12, 20, 18, 25];
    const whole = new WatermarkTracker(3);
    const a = Array.from(whole.observe(col(ts), ts.length, 0)!);
    expect(a).toEqual([-Infinity, 7, 11, 11, 17, 17]);
    expect(whole.current).toBe(22);
    const cut = new WatermarkTracker(3);
    const b = [...cut.observe(col(ts.slice(0, 2)), 2, 0)!, ...cut.observe(col(ts.slice(2, 5)), 3, 0)!, ...cut.observe(col(ts.slice(5)), 1, 0)!];
    expect(b).toEqual(a);
    expect(cut.current).toBe(22);
  });

  it('is the minimum over partitions, and never goes back', () => {
    const w = new WatermarkTracker(0);
    w.observe(col([100]), 1, 0, 'a');
    expect(w.current).toBe(100);
    // A new partition holds the minimum back from its first event on; the watermark does not regress.
    w.observe(col([50]), 1, 0, 'b');
    expect(w.current).toBe(100);
    w.observe(col([200]), 1, 0, 'a');
    expect(w.current).toBe(100);
    w.observe(col([150]), 1, 0, 'b');
    expect(w.current).toBe(150);
  });

  it('lets idle partitions go, then follows the wall clock when all are idle', () => {
    const w = new WatermarkTracker(10, 1000);
    w.observe(col([100]), 1, 0, 'a');
    w.observe(col([500]), 1, 500, 'b');
    expect(w.current).toBe(90);
    // a has been quiet for 1 s: b alone decides.
    expect(w.tick(1000)).toBe(true);
    expect(w.current).toBe(490);
    // Both quiet: event time moves on with the wall clock from the last event (b at 500 ms).
    expect(w.tick(2000)).toBe(true);
    expect(w.current).toBe(500 - 10 + 1500);
    // a comes back below the watermark: its rows are stamped with it (and judged late).
    const stamped = w.observe(col([200]), 1, 2100, 'a');
    expect(stamped![0]).toBe(1990);
    expect(w.current).toBe(1990);
  });
});

describe('partitioned API sources', () => {
  it('a window closes only when every partition has passed its end', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE clicks (page VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    await e.execute(`CREATE MATERIALIZED VIEW w AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(clicks, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
    await e.insert('clicks', [{ page: 'a', ts: at(1) }], { partition: 'eu' });
    await e.insert('clicks', [{ page: 'b', ts: at(2) }], { partition: 'us' });
    await e.insert('clicks', [{ page: 'c', ts: at(15) }], { partition: 'eu' });
    expect(await e.query('SELECT count(*)::INT AS c FROM w')).toEqual([{ c: 0 }]);
    await e.insert('clicks', [{ page: 'd', ts: at(12) }], { partition: 'us' });
    expect(await e.query('SELECT n FROM w')).toEqual([{ n: 2 }]);
    // A view created later replays the log with its partitions and gets the same answer.
    await e.execute(`CREATE MATERIALIZED VIEW w2 AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(clicks, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`);
    expect(await e.query('SELECT n FROM w2')).toEqual([{ n: 2 }]);
    await e.close();
  });
});
