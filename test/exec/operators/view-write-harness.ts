/**
 * Views written thousands of changes at a time, checked against DuckDB: events go to sluice
 * and DuckDB in cuts, and every few cuts the view's table must equal DuckDB's query. Several
 * inserts between two reads make each write net many changes (the column-wise net delta).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
import { rowKeysOf } from '../../../src/exec/row-keys.js';
import type { ChangeBatch } from '../../../src/exec/batch.js';
import type { EngineState } from '../../../src/engine/engine-state.js';
import { duckRows, normRows, type useDuck } from './duck.js';

/** A seeded xorshift: rnd(m) is in 0..m-1. */
export function xorshift(seed: number): (m: number) => number {
  let s = seed >>> 0 || 1;
  return (m) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % m;
  };
}

export interface ViewWriteCase<E> {
  /** Source columns (`ts TIMESTAMP` among them, the watermark's). */
  readonly ddl: string;
  readonly sql: string;
  readonly oracle: string;
  readonly events: readonly E[];
  /** An event as a DuckDB VALUES tuple. */
  readonly values: (e: E) => string;
  readonly cuts: readonly number[];
  /** Read the view after every `every` cuts (and after the last). */
  readonly every: number;
}

export async function checkViewWrites<E extends { ts: number }>(duck: ReturnType<typeof useDuck>, c: ViewWriteCase<E>): Promise<void> {
  const e = await Engine.open();
  try {
    await e.execute(`CREATE SOURCE s (${c.ddl}, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
    await e.execute(`CREATE MATERIALIZED VIEW v AS ${c.sql}`);
    await duck().run(`CREATE OR REPLACE TABLE s (${c.ddl})`);
    for (let i = 0, k = 0; i < c.events.length; k++) {
      const part = c.events.slice(i, (i += c.cuts[k % c.cuts.length]!));
      await e.insert('s', part.map((v) => ({ ...v, ts: new Date(v.ts) })));
      await duck().run(`INSERT INTO s VALUES ${part.map(c.values).join(', ')}`);
      if (k % c.every === c.every - 1 || i >= c.events.length) expect(normRows((await e.query('SELECT * FROM v')) as Row[])).toEqual(await duckRows(duck(), c.oracle));
    }
  } finally {
    await e.close();
  }
}

/**
 * The property both view-write tests check: for random seeds, key counts in `keys`, cuts of
 * 300–3000 events and a read every 3–6 cuts, checkViewWrites holds.
 */
export async function assertViewWrites<E extends { ts: number }>(
  duck: ReturnType<typeof useDuck>,
  c: Omit<ViewWriteCase<E>, 'events' | 'cuts' | 'every'> & { readonly keys: readonly [number, number]; readonly events: (seed: number, keys: number) => readonly E[]; readonly numRuns: number },
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: c.keys[0], max: c.keys[1] }),
      fc.array(fc.integer({ min: 300, max: 3000 }), { minLength: 2, maxLength: 5 }),
      fc.integer({ min: 3, max: 6 }),
      (seed, keys, cuts, every) => checkViewWrites(duck, { ...c, events: c.events(seed, keys), cuts, every }),
    ),
    { numRuns: c.numRuns },
  );
}

/**
 * Creates view `view` (`definition`: what follows its name) over source `s` (`ddl`), feeds it,
 * and checks the row keys of every batch its table takes: present, over `keyNames`, and one id
 * per key within each key space. Returns how many spaces there were.
 */
export async function checkRowKeys(ddl: string, view: string, definition: string, keyNames: readonly string[], feed: (e: Engine) => Promise<void>): Promise<number> {
  const e = await Engine.open();
  try {
    await e.execute(`CREATE SOURCE s (${ddl}, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`);
    await e.execute(`CREATE MATERIALIZED VIEW ${view} ${definition}`);
    const batches: { space: object; ids: number[]; keys: string[] }[] = [];
    // The batches the view's table takes (the engine's own listener hook: no API hands out batches).
    (e as unknown as { s: EngineState }).s.views.get(view)!.listeners.add((b: ChangeBatch) => {
      const k = rowKeysOf(b.data);
      expect(k).toBeDefined();
      const cols = b.data.schema.fields.map((f) => f.name);
      expect(k!.columns.map((c) => cols[c]!).sort()).toEqual([...keyNames].sort());
      const rows = b.data.toArray().map((r) => r.toJSON());
      batches.push({ space: k!.space, ids: [...k!.ids], keys: rows.map((r) => JSON.stringify(keyNames.map((c) => r[c]))) });
    });
    await feed(e);
    const spaces = new Set(batches.map((b) => b.space));
    for (const space of spaces) {
      const keyOf = new Map<number, string>();
      for (const b of batches.filter((x) => x.space === space))
        b.ids.forEach((id, i) => {
          expect(keyOf.get(id) ?? b.keys[i]).toBe(b.keys[i]);
          keyOf.set(id, b.keys[i]!);
        });
      expect(new Set(keyOf.values()).size).toBe(keyOf.size);
    }
    return spaces.size;
  } finally {
    await e.close();
  }
}
