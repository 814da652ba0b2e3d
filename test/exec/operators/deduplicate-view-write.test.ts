/**
 * A deduplicated view written thousands of changes at a time: the view nets its changes by
 * the key ids the Deduplicate operator attaches (forwarded by the projection above it, see
 * src/exec/row-keys.ts), or by hashing where they cannot be forwarded (a key column cast or
 * computed). Pull queries between inserts make each write many changes (the column-wise net
 * delta, past 5000 changes): the first into an empty table, the later ones folded. The table
 * must equal DuckDB's query over the same rows after every write.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { rowKeysOf } from '../../../src/exec/row-keys.js';
import type { ChangeBatch } from '../../../src/exec/batch.js';
import type { EngineState } from '../../../src/engine/engine-state.js';
import { useDuck } from './duck.js';
import { assertViewWrites, xorshift } from './view-write-harness.js';

const duck = useDuck();
const T0 = Date.UTC(2026, 0, 1);

interface Ev {
  id: number;
  a: number;
  b: string | null;
  x: number;
  ts: number;
}

/** `n` events over about `keys` keys (a, b), times rising by 1–8 ms and back by up to 0.3 s (ties too). */
function events(seed: number, n: number, keys: number): Ev[] {
  const rnd = xorshift(seed);
  const out: Ev[] = [];
  let t = T0;
  for (let id = 0; id < n; id++) {
    t += 1 + rnd(8);
    const k = rnd(keys);
    out.push({ id, a: k % 97, b: k % 13 === 0 ? null : `k${k % 31}`, x: rnd(1000), ts: t - rnd(300) });
  }
  return out;
}

const cases: [string, string, string][] = [
  [
    'keys forwarded, reordered, row number dropped',
    `SELECT x, b, id, a, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY ts DESC) AS rn FROM s) WHERE rn = 1`,
    `SELECT x, b, id, a, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY ts DESC, id DESC) AS rn FROM s) WHERE rn = 1`,
  ],
  [
    'a key column computed above (ids not forwarded)',
    `SELECT a + 0 AS a, b, x, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY ts DESC) AS rn FROM s) WHERE rn = 1`,
    `SELECT a + 0 AS a, b, x, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY ts DESC, id DESC) AS rn FROM s) WHERE rn = 1`,
  ],
];

describe('a deduplicated view written many changes at a time equals DuckDB', () => {
  for (const [name, sql, oracle] of cases) {
    it(name, async () => {
      await assertViewWrites(duck, {
        ddl: 'id BIGINT, a BIGINT, b VARCHAR, x BIGINT, ts TIMESTAMP',
        sql,
        oracle,
        keys: [2000, 8000],
        events: (seed, keys) => events(seed, 30_000, keys),
        values: (v) => `(${v.id}, ${v.a}, ${v.b === null ? 'NULL' : `'${v.b}'`}, ${v.x}, make_timestamp(${v.ts * 1000}::BIGINT))`,
        numRuns: 4,
      });
    }, 180_000);
  }
});

describe('row keys through a view', () => {
  it('the changes a deduplicated view receives carry their keys ids, mapped to its columns', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE s (id BIGINT, a BIGINT, b VARCHAR, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
      await e.execute(`CREATE MATERIALIZED VIEW v AS ${cases[0]![1]}`);
      await e.execute(`CREATE MATERIALIZED VIEW w AS ${cases[1]![1]}`);
      const seen: Record<string, { columns: string[]; ids: number[]; keys: string[] }[]> = { v: [], w: [] };
      for (const view of ['v', 'w'] as const) {
        // The batches the view's table takes (the engine's own listener hook: no API hands out batches).
        (e as unknown as { s: EngineState }).s.views.get(view)!.listeners.add((b: ChangeBatch) => {
          const k = rowKeysOf(b.data);
          if (k === undefined) return;
          const cols = b.data.schema.fields.map((f) => f.name);
          const rows = b.data.toArray().map((r) => r.toJSON());
          seen[view]!.push({ columns: k.columns.map((c) => cols[c]!), ids: [...k.ids], keys: rows.map((r) => JSON.stringify([r['a'], r['b']])) });
        });
      }
      await e.insert('s', events(7, 3000, 200).map((v) => ({ ...v, ts: new Date(v.ts) })));
      // v copies a and b: its batches carry ids, over its columns a and b, one id per key.
      expect(seen['v']!.length).toBeGreaterThan(0);
      const idOf = new Map<string, number>();
      for (const s of seen['v']!) {
        expect([...s.columns].sort()).toEqual(['a', 'b']);
        s.ids.forEach((id, i) => {
          const key = s.keys[i]!;
          expect(idOf.get(key) ?? id).toBe(id);
          idOf.set(key, id);
        });
      }
      expect(new Set(idOf.values()).size).toBe(idOf.size);
      // w computes a: none.
      expect(seen['w']!.length).toBe(0);
    } finally {
      await e.close();
    }
  }, 60_000);
});
