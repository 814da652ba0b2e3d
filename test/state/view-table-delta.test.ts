/**
 * A view's table takes only what changed (ViewTable.flushTable): changes to a few keys of a
 * keyed view by a DELETE of literal keys plus an INSERT, more through the staged fold, keyless
 * changelog views by net counts. Whatever the sizes between writes, the table must equal the
 * changelog folded in JS.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { batchFromRows, type ChangeBatch } from '../../src/exec/batch.js';
import { Database } from '../../src/state/database.js';
import { ViewTable } from '../../src/state/view-table.js';
import type { Schema, Value } from '../../src/types.js';

let db: Database;
beforeAll(async () => {
  db = await Database.open();
});
afterAll(() => db.close());

// Keys of several types (NULL included) with a payload; the key is (k, ts).
const SCHEMA: Schema = [
  { name: 'k', type: 'VARCHAR' },
  { name: 'ts', type: 'TIMESTAMP' },
  { name: 'n', type: 'BIGINT' },
  { name: 'x', type: 'DOUBLE' },
];
const OPS = { '+I': 0, '-U': 1, '+U': 2, '-D': 3 } as const;
type Op = keyof typeof OPS;

function batch(changes: readonly { op: Op; row: Value[] }[]): ChangeBatch {
  const data = batchFromRows(SCHEMA, changes.map((c) => c.row));
  return { data, length: changes.length, ops: Uint8Array.from(changes.map((c) => OPS[c.op])), wm: null, wmConst: -Infinity, origin: null };
}

/** A well-formed changelog from random steps: inserts of new keys, updates (-U then +U), deletes. */
function changelog(steps: readonly { key: number; kind: number; n: number; x: number }[]): { op: Op; row: Value[] }[] {
  const keyOf = (id: number): Value[] => [id === 0 ? null : `k${id}`, id % 3 === 0 ? null : 1.7e12 + (id % 4) * 1000];
  const current = new Map<number, Value[]>();
  const out: { op: Op; row: Value[] }[] = [];
  for (const s of steps) {
    const id = s.key % 20;
    const cur = current.get(id);
    const row = [...keyOf(id), s.n, s.kind === 3 ? NaN : s.x];
    if (!cur) {
      out.push({ op: '+I', row });
      current.set(id, row);
    } else if (s.kind === 0) {
      out.push({ op: '-D', row: cur });
      current.delete(id);
    } else {
      out.push({ op: '-U', row: cur }, { op: '+U', row });
      current.set(id, row);
    }
  }
  return out;
}

/** Folds changes into the model: per key, its last row still present. */
function fold(model: Map<string, Value[]>, changes: readonly { op: Op; row: Value[] }[]): void {
  for (const ch of changes) {
    if (ch.op === '+I' || ch.op === '+U') model.set(JSON.stringify(ch.row.slice(0, 2)), ch.row);
    else model.delete(JSON.stringify(ch.row.slice(0, 2)));
  }
}

const norm = (rows: Value[][]) => rows.map((r) => JSON.stringify(r.map((v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v)))).sort();

async function contents(): Promise<Value[][]> {
  return (await db.query(`SELECT k, epoch_ms(ts)::DOUBLE AS ts, n, x FROM dv`)).rows.map((r) => [r[0]!, r[1]!, r[2]!, r[3]!]);
}

it.each([[[0, 1]], [[0]]])('equals the changelog folded, for any cut of it into writes (key columns %j, small and large deltas)', async (key) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ key: fc.nat(60), kind: fc.nat(3), n: fc.integer({ min: -5, max: 5 }), x: fc.double({ noNaN: true, noDefaultInfinity: true }) }), { maxLength: 600, size: 'max' }),
      // Cuts of a few changes (a key or two: literal DELETE) and of thousands (the staged fold).
      fc.array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1500 })), { minLength: 1, maxLength: 6 }),
      async (steps, cuts) => {
        const log = changelog(steps);
        const t = new ViewTable(db, 'dv', SCHEMA, false, key);
        await t.create();
        // Folded in JS: the last row of each key still present.
        const model = new Map<string, Value[]>();
        let at = 0;
        for (let c = 0; at < log.length; c++) {
          const size = cuts[c % cuts.length]!;
          const part = log.slice(at, at + size);
          at += size;
          // Several batches per write, as a view emits them.
          for (let i = 0; i < part.length; i += 7) t.apply(batch(part.slice(i, i + 7)));
          fold(model, part);
          await t.flushTable();
          expect(norm(await contents())).toEqual(norm([...model.values()].map((r) => [r[0]!, r[1]!, r[2]!, r[3]!])));
        }
        await t.drop();
      },
    ),
    { numRuns: 10 },
  );
}, 60_000);

it('equals the changelog folded when one write holds thousands of changes (the full fold)', async () => {
  const steps = Array.from({ length: 3500 }, (_, i) => ({ key: (i * 7) % 61, kind: i % 4, n: (i % 11) - 5, x: i / 7 }));
  const log = changelog(steps);
  expect(log.length).toBeGreaterThan(5000);
  const t = new ViewTable(db, 'dv', SCHEMA, false, [0, 1]);
  await t.create();
  const model = new Map<string, Value[]>();
  for (let i = 0; i < log.length; i += 100) t.apply(batch(log.slice(i, i + 100)));
  fold(model, log);
  await t.flushTable();
  expect(norm(await contents())).toEqual(norm([...model.values()]));
  await t.drop();
});

it('a keyless changelog view keeps copies by their net count', async () => {
  const t = new ViewTable(db, 'dv', SCHEMA, false, null);
  await t.create();
  const r = (n: number): Value[] => ['a', null, n, 0.5];
  t.apply(batch([{ op: '+I', row: r(1) }, { op: '+I', row: r(1) }, { op: '+I', row: r(2) }]));
  await t.flushTable();
  t.apply(batch([{ op: '-D', row: r(1) }, { op: '+I', row: r(3) }, { op: '-D', row: r(2) }]));
  await t.flushTable();
  expect(norm(await contents())).toEqual(norm([r(1), r(3)]));
  await t.drop();
});

it('equals the changelog folded when writes of thousands of changes (worked out column-wise) meet a table already holding rows', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 4000, max: 9000 }), { minLength: 2, maxLength: 3 }), fc.nat(), async (cuts, seed) => {
      const steps = Array.from({ length: 9000 }, (_, i) => ({ key: (i * 7 + seed) % 61, kind: (i + seed) % 4, n: (i % 11) - 5, x: i / 7 }));
      const log = changelog(steps);
      const t = new ViewTable(db, 'dv', SCHEMA, false, [0, 1]);
      await t.create();
      const model = new Map<string, Value[]>();
      let at = 0;
      for (let c = 0; at < log.length; c++) {
        const part = log.slice(at, at + cuts[c % cuts.length]!);
        at += part.length;
        for (let i = 0; i < part.length; i += 100) t.apply(batch(part.slice(i, i + 100)));
        fold(model, part);
        await t.flushTable();
        expect(norm(await contents())).toEqual(norm([...model.values()]));
      }
      await t.drop();
    }),
    { numRuns: 4 },
  );
}, 60_000);

it('an append-only view holds every row once, and its audit trail every change once, however table-only and full writes alternate', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ rows: fc.nat(40), write: fc.constantFrom('none', 'table', 'both') }), { minLength: 1, maxLength: 12 }),
      async (steps) => {
        const t = new ViewTable(db, 'dv', SCHEMA, true, null);
        await t.create();
        const all: Value[][] = [];
        for (const { rows, write } of steps) {
          const part = Array.from({ length: rows }, (_, i): Value[] => [`r${all.length + i}`, i % 3 === 0 ? null : 1.7e12 + i, all.length + i, i / 3]);
          all.push(...part);
          // Several batches per write, as a view emits them.
          for (let i = 0; i < part.length; i += 7) t.apply(batch(part.slice(i, i + 7).map((row) => ({ op: '+I' as const, row }))));
          if (write === 'table') await t.flushTable();
          if (write === 'both') await t.flush();
        }
        await t.flush();
        expect(norm(await contents())).toEqual(norm(all));
        const audit = await db.query(`SELECT k, epoch_ms(ts)::DOUBLE AS ts, n, x FROM sluice_audit_dv ORDER BY sluice_seq`);
        expect(audit.rows.map((r) => JSON.stringify(r))).toEqual(all.map((r) => JSON.stringify(r)));
        const seqs = await db.query(`SELECT count(*), count(DISTINCT sluice_seq), coalesce(max(sluice_seq), -1) FROM sluice_audit_dv`);
        expect(seqs.rows[0]!.map(Number)).toEqual([all.length, all.length, all.length - 1]);
        await t.drop();
      },
    ),
    { numRuns: 25 },
  );
}, 60_000);

it('a keyless changelog view equals its changes folded as a multiset, NULLs in some writes and not in others', async () => {
  // A pool of rows, some with NULLs: a write that stages only NULL-free rows matches by `=`,
  // and must leave the table's rows with NULLs alone.
  const pool: Value[][] = [
    ['a', 1.7e12, 1, 0.5],
    ['a', null, 1, 0.5],
    [null, 1.7e12, 2, null],
    ['b', 1.7e12 + 1000, 3, -0.25],
    ['b', 1.7e12 + 1000, 3, NaN],
    [null, null, null, null],
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ row: fc.nat(pool.length - 1), kind: fc.constantFrom('ins', 'del', 'upd'), to: fc.nat(pool.length - 1) }), { maxLength: 120 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }),
      async (steps, cuts) => {
        const t = new ViewTable(db, 'dv', SCHEMA, false, null);
        await t.create();
        const count = pool.map(() => 0);
        const changes: { op: Op; row: Value[] }[] = [];
        for (const s of steps) {
          // A delete or update only of a copy that is there (a well-formed changelog).
          if (s.kind === 'del' && count[s.row]! > 0) {
            count[s.row]!--;
            changes.push({ op: '-D', row: pool[s.row]! });
          } else if (s.kind === 'upd' && count[s.row]! > 0) {
            count[s.row]!--;
            count[s.to]!++;
            changes.push({ op: '-U', row: pool[s.row]! }, { op: '+U', row: pool[s.to]! });
          } else {
            count[s.row]!++;
            changes.push({ op: '+I', row: pool[s.row]! });
          }
        }
        const held = pool.map(() => 0);
        let at = 0;
        for (let c = 0; at < changes.length; c++) {
          const part = changes.slice(at, at + cuts[c % cuts.length]!);
          at += part.length;
          for (const ch of part) held[pool.indexOf(ch.row)]! += ch.op === '+I' || ch.op === '+U' ? 1 : -1;
          // Several batches per write: a row's copies and retractions meet across batches.
          for (let i = 0; i < part.length; i += 3) t.apply(batch(part.slice(i, i + 3)));
          await t.flushTable();
          const want = pool.flatMap((r, i) => Array.from({ length: held[i]! }, () => r));
          expect(norm(await contents())).toEqual(norm(want));
        }
        await t.drop();
      },
    ),
    { numRuns: 30 },
  );
}, 60_000);
