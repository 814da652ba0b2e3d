import { it } from 'vitest';
import { Engine } from '../../src/index.js';
it('scratch', async () => {
const e = await Engine.open();
await e.execute(`CREATE SOURCE s (k VARCHAR, x INT, b BIGINT, d DOUBLE, v VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)`);
const qs = [
 `WITH i AS (SELECT window_time AS wt, k, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end, window_time, k EMIT ON WINDOW CLOSE) SELECT window_start, window_end, SUM(n) AS total FROM TUMBLE(i, wt, INTERVAL '20' SECOND) GROUP BY window_start, window_end`,
 `SELECT window_start, window_end, k, SUM(n) AS total FROM SESSION((SELECT window_time AS wt, k, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end, window_time, k EMIT ON WINDOW CLOSE) PARTITION BY k, wt, INTERVAL '7' SECOND) GROUP BY window_start, window_end, k`,
 `SELECT window_start, window_end, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' MILLISECOND) GROUP BY window_start, window_end`,
 `SELECT k, x * 2 AS y, UPPER(v) AS u, COALESCE(d, 0) AS dd, ts FROM s WHERE x > 0 OR d IS NULL`,
 `SELECT k, x AS val FROM s WHERE x > 10 UNION ALL SELECT v, b FROM s WHERE b > 0`,
];
for (const q of qs) {
  try { const r = await e.execute('EXPLAIN ' + q); console.log(r[0]!.rows!.map(r => r.plan).join('\n')); } catch (err) { console.log('ERR', q, (err as Error).message); }
  console.log('---');
}
await e.close();
});
