/** A DuckDB connection for a test file's oracle, and rows made comparable across both engines. */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll } from 'vitest';
import { Engine } from '../../../src/index.js';

/** An event of the two-source join tests: a key and an event time. */
export interface KeyedEvent {
  readonly k: number;
  readonly ts: number;
}

/**
 * Events with times that go up by steps and back by less than the watermark `delay`: each row
 * is on time (above the watermark of the rows before it), often right at it — the rows that
 * meet a stored row at the edge of its bound.
 */
export function onTimeEvents(t0: number, delay: number, maxKey: number, maxStep: number): fc.Arbitrary<KeyedEvent[]> {
  return fc
    .array(
      fc.record({
        k: fc.integer({ min: 0, max: maxKey }),
        step: fc.integer({ min: 0, max: maxStep }),
        back: fc.oneof(fc.constant(delay - 1), fc.integer({ min: 0, max: delay - 1 })),
      }),
      { maxLength: 40 },
    )
    .map((xs) => {
      let t = t0;
      return xs.map(({ k, step, back }): KeyedEvent => ({ k, ts: (t += step) - back }));
    });
}

/** Opens an in-memory DuckDB for the file's tests; call at the top level, use inside tests. */
export function useDuck(): () => DuckDBConnection {
  let inst: DuckDBInstance;
  let duck: DuckDBConnection;
  beforeAll(async () => {
    inst = await DuckDBInstance.create(':memory:');
    duck = await inst.connect();
  });
  afterAll(() => {
    duck.closeSync();
    inst.closeSync();
  });
  return () => duck;
}

/** Rows as sorted JSON texts: times as epoch ms, BIGINT as numbers, doubles rounded to 1e-6 if asked. */
export function normRows(rows: readonly object[], round = false): string[] {
  const value = (v: unknown) =>
    v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : round && typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v;
  return rows.map((r) => JSON.stringify(Object.values(r).map(value))).sort();
}

/** Runs a query on the oracle and gives its rows normalized. */
export async function duckRows(duck: DuckDBConnection, sql: string, round = false): Promise<string[]> {
  return normRows((await duck.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[], round);
}

/**
 * Feeds each source's events to the file engine `e` (at `path`) in batches of `batch`, the
 * sources taking turns (one whose events are used up passes its turn on), closes and reopens
 * the engine once after step `cutAt` (mod the steps, so any point), then ends every source.
 * `afterStep` sees the engine after each insert. Returns the engine, open.
 */
export async function feedInterleaved(
  e: Engine,
  path: string,
  streams: Readonly<Record<string, readonly KeyedEvent[]>>,
  batch: number,
  cutAt: number,
  afterStep?: (e: Engine) => void,
): Promise<Engine> {
  const names = Object.keys(streams);
  const at = names.map(() => 0);
  const total = names.reduce((n, s) => n + Math.ceil(streams[s]!.length / batch), 0);
  const reopenAt = total === 0 ? 0 : cutAt % total;
  for (let i = 0; i < total; i++) {
    let j = i % names.length;
    while (at[j]! >= streams[names[j]!]!.length) j = (j + 1) % names.length;
    await e.insert(names[j]!, streams[names[j]!]!.slice(at[j]!, (at[j]! += batch)));
    afterStep?.(e);
    if (i === reopenAt) {
      await e.close();
      e = await Engine.open({ path });
    }
  }
  for (const s of names) await e.endOfStream(s);
  return e;
}

/**
 * Inserts `ls` into source l and `rs` into r in alternating batches, of the sizes `cuts`
 * cycles through (one side's rows used up, the other's go on alone).
 */
export async function insertAlternating(e: Engine, ls: readonly object[], rs: readonly object[], cuts: readonly number[]): Promise<void> {
  let li = 0;
  let ri = 0;
  for (let k = 0; li < ls.length || ri < rs.length; k++) {
    const n = cuts[k % cuts.length]!;
    if (k % 2 === 0 && li < ls.length) await e.insert('l', ls.slice(li, (li += n)));
    else if (ri < rs.length) await e.insert('r', rs.slice(ri, (ri += n)));
    else await e.insert('l', ls.slice(li, (li += n)));
  }
}
