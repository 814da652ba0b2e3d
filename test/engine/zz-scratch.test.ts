import { it } from 'vitest';
import fc from 'fast-check';
import { Engine } from '../../src/index.js';
import { Database } from '../../src/state/database.js';
import { streamArb, sourceSql, cut } from './oracle.js';
it('scratch', async () => {
  const stats = new Map<string, { n: number; ms: number }>();
  for (const m of ['run', 'query', 'append', 'queryReadOnly'] as const) {
    const orig = (Database.prototype as any)[m];
    (Database.prototype as any)[m] = async function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      try { return await orig.apply(this, args); } finally {
        const key = m + ' ' + String(args[0]).slice(0, 60).replace(/\s+/g, ' ');
        const s = stats.get(key) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t; stats.set(key, s);
      }
    };
  }
  const events = fc.sample(streamArb({ delayMs: 3000, spanMs: 90_000 }), { numRuns: 1, seed: 5 })[0]!;
  let t = Date.now();
  const e = await Engine.open();
  await e.execute(sourceSql(3000));
  for (let i = 0; i < 20; i++) await e.execute(`CREATE MATERIALIZED VIEW v${i} AS SELECT window_start, window_end, k, COUNT(*) AS n, SUM(x) AS sx FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k`);
  for (const b of cut(events, [5])) await e.insert('s', b);
  await e.endOfStream('s');
  for (let i = 0; i < 20; i++) await e.query(`SELECT * FROM v${i}`);
  console.log('total', Date.now() - t);
  console.log([...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15).map(([k, s]) => `${s.ms.toFixed(0)}ms ${s.n}x ${k}`).join('\n'));
  await e.close();
});
