/**
 * Views written thousands of changes at a time, checked against DuckDB: events go to sluice
 * and DuckDB in cuts, and every few cuts the view's table must equal DuckDB's query. Several
 * inserts between two reads make each write net many changes (the column-wise net delta).
 */
import { expect } from 'vitest';
import { Engine, type Row } from '../../../src/index.js';
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
