/**
 * The generated Nexmark data must not change when the generator is made faster: the bench
 * and the tests compare sluice with DuckDB over the same events, and saved results depend
 * on them. The current generator is compared with a frozen copy of an earlier one
 * (./nexmark-old/, which shares today's string pools and hash) over random seeds, start
 * points (also around 2^32, where the hash's high word changes), bounds, batch sizes and
 * column subsets in any order; and every column of each table, text from the pools
 * included, hashes as the generator of commit 96c2918 made it.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NexmarkGenerator } from '../../src/connectors/nexmark/generator.js';
import { NEXMARK_SCHEMAS, NEXMARK_TABLES, type NexmarkTable } from '../../src/connectors/nexmark/schemas.js';
import type { Data } from '../../src/exec/arrow.js';
import { NexmarkGenerator as OldGenerator } from './nexmark-old/generator.js';

const decoder = new TextDecoder();

/** A column as plain values: numbers as they are (so -0 and NaN would show), strings decoded. */
function plain(d: Data): unknown[] {
  const out: unknown[] = [];
  if (d.valueOffsets !== undefined && d.valueOffsets !== null) {
    const o = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    for (let i = 0; i < d.length; i++) out.push(decoder.decode(bytes.subarray(o[i]!, o[i + 1]!)));
  } else {
    const v = d.values as Float64Array;
    for (let i = 0; i < d.length; i++) out.push(v[i]);
  }
  return out;
}

interface Case {
  readonly table: NexmarkTable;
  readonly seed: number;
  readonly rate: number;
  readonly baseTime: number;
  readonly start: number;
  readonly rows: number;
  readonly columns: readonly string[];
  readonly batches: readonly number[];
}

/** Each column's values and the event numbers, batch by batch as `batches` (cycled) cuts them. */
function run(make: (c: Case) => NexmarkGenerator | OldGenerator, c: Case): { columns: unknown[][]; events: number[] } {
  const g = make(c);
  const columns: unknown[][] = c.columns.map(() => []);
  const events: number[] = [];
  for (let k = 0; ; k++) {
    const b = g.nextColumns(c.batches[k % c.batches.length]!);
    if (b === null) break;
    b.columns.forEach((d, j) => columns[j]!.push(...plain(d)));
    events.push(...b.events);
  }
  return { columns, events };
}

function config(c: Case) {
  return { seed: c.seed, rate: c.rate, baseTime: c.baseTime, events: c.start + c.rows };
}

const current = (c: Case) => new NexmarkGenerator(c.table, config(c), { columns: c.columns, startEvent: c.start });
const old = (c: Case) => new OldGenerator(c.table, config(c), { columns: c.columns, startEvent: c.start });

/**
 * The old generator with every column (every numeric one when the case has no text, to
 * spare building the text pools of each random seed), projected to the case's columns:
 * values must not depend on which columns are generated.
 */
function oldProjected(c: Case): { columns: unknown[][]; events: number[] } {
  const schema = NEXMARK_SCHEMAS[c.table];
  const text = c.columns.some((name) => schema.find((x) => x.name === name)!.type === 'VARCHAR');
  const all = schema.filter((x) => text || x.type !== 'VARCHAR').map((x) => x.name);
  const r = run((x) => new OldGenerator(x.table, config(x), { columns: all, startEvent: x.start }), { ...c, columns: all, batches: [4096] });
  return { columns: c.columns.map((name) => r.columns[all.indexOf(name)]!), events: r.events };
}

const TWO32 = 2 ** 32;

function caseArb(seed: fc.Arbitrary<number>, numericOnly: boolean): fc.Arbitrary<Case> {
  return fc
    .record({
      table: fc.constantFrom(...NEXMARK_TABLES),
      seed,
      rate: fc.oneof(fc.constant(10_000), fc.constant(1000), fc.double({ min: 0.5, max: 1e7, noNaN: true })),
      baseTime: fc.oneof(fc.constant(Date.UTC(2024, 0, 1)), fc.integer({ min: 0, max: 2 ** 41 })),
      start: fc.oneof(
        fc.integer({ min: 0, max: 200_000 }),
        // Around a multiple of 2^32 (the hash's high word changes there, inside an epoch of 50).
        fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: -5000, max: 200 })).map(([m, d]) => m * TWO32 + d),
        fc.integer({ min: 0, max: 2 ** 44 }),
      ),
      /** Events of the sequence from `start` on. */
      rows: fc.integer({ min: 0, max: 6000 }),
      order: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
      keep: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
      batches: fc.array(fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 9000 })), { minLength: 1, maxLength: 4 }),
    })
    .map(({ table, order, keep, ...rest }) => {
      const names = NEXMARK_SCHEMAS[table]
        .map((col, j) => ({ name: col.name, at: order[j]!, keep: keep[j]! && (!numericOnly || col.type !== 'VARCHAR') }))
        .filter((x) => x.keep)
        .sort((a, b) => a.at - b.at)
        .map((x) => x.name);
      const fallback = NEXMARK_SCHEMAS[table].find((col) => col.type !== 'VARCHAR')!.name;
      return { table, columns: names.length > 0 ? names : [fallback], ...rest };
    });
}

describe('nexmark generator values', () => {
  it('equal the frozen earlier generator on numeric columns, any seed, start, rate, batch cuts and column subset', () => {
    const seed = fc.oneof(fc.integer(), fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }));
    fc.assert(
      fc.property(caseArb(seed, true), (c) => {
        const now = run(current, c);
        expect(now).toEqual(run(old, c));
        expect(now).toEqual(oldProjected(c));
      }),
      { numRuns: 1000 },
    );
  });

  it('equal the frozen earlier generator on every column, text included (a few seeds: their pools take a while to build)', () => {
    const seed = fc.constantFrom(0, 7, -3, 2 ** 40 + 123);
    fc.assert(
      fc.property(caseArb(seed, false), (c) => {
        const now = run(current, c);
        expect(now).toEqual(run(old, c));
        expect(now).toEqual(oldProjected(c));
      }),
      { numRuns: 150 },
    );
  });

  it('equal the frozen earlier generator over a 400k-event run of every table in engine-sized batches', () => {
    for (const table of NEXMARK_TABLES) {
      const c: Case = {
        table,
        seed: 0,
        rate: 10_000,
        baseTime: Date.UTC(2024, 0, 1),
        start: 0,
        rows: 400_000,
        columns: NEXMARK_SCHEMAS[table].map((x) => x.name),
        batches: [8192],
      };
      const now = run(current, c);
      const before = run(old, c);
      expect(now.events).toEqual(before.events);
      c.columns.forEach((name, j) => expect({ name, values: now.columns[j] }).toEqual({ name, values: before.columns[j] }));
    }
  });
});

describe('the generated columns, pools included', () => {
  // SHA-256 (first 12 bytes) of every column of 120,000 events in 8,192-row batches, as the
  // generator of commit 96c2918 made them: row lengths and bytes of text, raw float64 values.
  const DIGESTS: Record<string, string> = {
    'person/0': '1a0d9f5b407c6893f2bec338',
    'person/7': '0aeeea47abfe41951ed2884d',
    'auction/0': '436a350f74f9ff3759603b73',
    'auction/7': 'b5ca9b9946687f0282957ec8',
    'bid/0': '533eb74efdb37d2e3337c459',
    'bid/7': '1c04ac123237df453a04504c',
  };
  for (const [name, digest] of Object.entries(DIGESTS)) {
    it(`${name} hashes as before`, () => {
      const [table, seed] = name.split('/') as [NexmarkTable, string];
      const g = new NexmarkGenerator(table, { events: 120_000, seed: Number(seed) }, { columns: NEXMARK_SCHEMAS[table].map((c) => c.name), startEvent: 0 });
      const h = createHash('sha256');
      for (let c = g.nextColumns(8192); c !== null; c = g.nextColumns(8192)) {
        for (const d of c.columns) {
          if (d.valueOffsets !== undefined && d.valueOffsets !== null) {
            const o = d.valueOffsets as Int32Array;
            for (let i = 0; i < c.length; i++) {
              const a = o[d.offset + i]!;
              const b = o[d.offset + i + 1]!;
              h.update(String(b - a));
              h.update((d.values as Uint8Array).subarray(a, b));
            }
          } else {
            const v = (d.values as Float64Array).subarray(d.offset, d.offset + c.length);
            h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          }
        }
      }
      expect(h.digest('hex').slice(0, 24)).toBe(digest);
    });
  }
});
