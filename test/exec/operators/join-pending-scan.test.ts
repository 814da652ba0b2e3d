/**
 * An append-only side's batches are stored pending (not indexed) and a probe of a few number
 * keys scans them, skipping the zones of rows whose key range cannot hold a probe value
 * (join.ts, SideStore.zonesOf); once an input has ended, its pending batches stay pending
 * and the other input's later probes still find them. Against DuckDB: batches of
 * several zones, keys sorted (disjoint zones) or not, NaN, -0 and NULL keys, probes of one
 * to three keys inside, between and outside the zones and of hundreds (looked up among the
 * zones in order), with either input ending midway.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/index.js';
import { duckRows, normRows as norm, useDuck } from './duck.js';

type Key = number | null;

interface Row {
  readonly k: Key;
  readonly v: number;
}

const duck = useDuck();

/** A key of the small pool probes are drawn from, or a NaN, -0 or NULL. */
const keyArb: fc.Arbitrary<Key> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -5, max: 600 }).map((x) => x / 2) },
  { weight: 1, arbitrary: fc.constantFrom<Key>(NaN, -0, null) },
);

/**
 * A probe key: drawn from the pool, or the key of a zone's first or last row in the last
 * stored batch (its least or greatest key when sorted: the zone's edge).
 */
type Probe = { readonly k: Key } | { readonly edge: number };
const probeArb: fc.Arbitrary<Probe> = fc.oneof(keyArb.map((k) => ({ k })), fc.nat(6).map((edge) => ({ edge })));

function probeKey(p: Probe, last: readonly Row[]): Key {
  if ('k' in p) return p.k;
  if (last.length === 0) return 0;
  return last[Math.min(last.length - 1, (p.edge >> 1) * 256 + (p.edge & 1) * 255)]!.k;
}

/** A stored batch: n rows (several zones of 256) with keys of a seeded sequence, sorted or not. */
const bigBatchArb = fc.record({ n: fc.integer({ min: 1, max: 700 }), seed: fc.integer({ min: 1, max: 1 << 30 }), sorted: fc.boolean(), special: fc.boolean() });

function bigRows({ n, seed, sorted, special }: { n: number; seed: number; sorted: boolean; special: boolean }, v0: number): Row[] {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff);
  const keys: Key[] = Array.from({ length: n }, () => {
    const x = next() % 1000;
    // Halves of 0..300, with a few NaN, -0 and NULL keys when `special`.
    return special && x < 6 ? [NaN, -0, null][x % 3]! : (x % 601) / 2;
  });
  if (sorted) keys.sort((a, b) => (a ?? -1) - (b ?? -1));
  return keys.map((k, i) => ({ k, v: v0 + i }));
}

const lit = (k: Key) => (k === null ? 'NULL' : Number.isNaN(k) ? "'NaN'::DOUBLE" : Object.is(k, -0) ? "'-0.0'::DOUBLE" : String(k));

async function oracle(sql: string, ls: readonly Row[], rs: readonly Row[]): Promise<string[]> {
  await duck().run('CREATE OR REPLACE TABLE l (k DOUBLE, a BIGINT)');
  await duck().run('CREATE OR REPLACE TABLE r (k DOUBLE, b BIGINT)');
  if (ls.length) await duck().run(`INSERT INTO l VALUES ${ls.map((x) => `(${lit(x.k)}, ${x.v})`).join(', ')}`);
  if (rs.length) await duck().run(`INSERT INTO r VALUES ${rs.map((x) => `(${lit(x.k)}, ${x.v})`).join(', ')}`);
  return duckRows(duck(), sql);
}

const QUERIES: Record<string, string> = {
  inner: 'SELECT l.k, l.a, r.b FROM l JOIN r ON l.k = r.k',
  left: 'SELECT l.a, r.b FROM l LEFT JOIN r ON l.k = r.k',
};

describe('probes that scan pending batches by zones equal DuckDB', () => {
  for (const [name, sql] of Object.entries(QUERIES)) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(bigBatchArb, fc.array(fc.array(probeArb, { minLength: 1, maxLength: 3 }), { maxLength: 3 }), fc.option(bigBatchArb)), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.constantFrom('none', 'l', 'r'),
          fc.nat(5),
          async (steps, ending, endAt) => {
            const e = await Engine.open();
            await e.execute('CREATE SOURCE l (k DOUBLE, a BIGINT); CREATE SOURCE r (k DOUBLE, b BIGINT)');
            await e.execute(`CREATE MATERIALIZED VIEW v AS ${sql}`);
            const ls: Row[] = [];
            const rs: Row[] = [];
            let ended = false;
            let last: Row[] = [];
            for (let i = 0; i < steps.length; i++) {
              const [big, probes, bigR] = steps[i]!;
              if (i === endAt % steps.length && ending !== 'none') {
                await e.endOfStream(ending);
                ended = true;
              }
              if (!(ended && ending === 'l')) {
                const rows = bigRows(big, ls.length);
                last = rows;
                ls.push(...rows);
                await e.insert('l', rows.map((x) => ({ k: x.k, a: x.v })));
              }
              if (ended && ending === 'r') continue;
              for (const keys of probes) {
                const rows = keys.map((p, j) => ({ k: probeKey(p, last), v: rs.length + j }));
                rs.push(...rows);
                await e.insert('r', rows.map((x) => ({ k: x.k, b: x.v })));
              }
              // Many keys on r too: the next big batch of l looks them up zone by zone.
              if (bigR) {
                const rows = bigRows(bigR, rs.length);
                rs.push(...rows);
                await e.insert('r', rows.map((x) => ({ k: x.k, b: x.v })));
              }
            }
            expect(norm(await e.query('SELECT * FROM v'))).toEqual(await oracle(sql, ls, rs));
            await e.close();
          },
        ),
        { numRuns: 40 },
      );
    }, 120_000);
  }
});
