/**
 * A GROUP BY's state survives checkpoints: the columnar full snapshot, the incremental JSON
 * entries after it (changed groups, vanished ones as null), their compaction, and the
 * per-group JSON entries of older versions. Written and read back through a real
 * CheckpointStore (DuckDB), restored into a fresh operator, its continued output must equal
 * that of an operator that never stopped.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { batchFromRows, rowsOf, type ChangeBatch } from '../../../src/exec/batch.js';
import { GroupAggregateOperator } from '../../../src/exec/operators/group-aggregate.js';
import type { AggCall, AggregateNode } from '../../../src/plan/logical-plan.js';
import type { Schema, Value } from '../../../src/types.js';
import { Database } from '../../../src/state/database.js';
import { CheckpointStore } from '../../../src/state/checkpoint-store.js';
import { ColumnarState } from '../../../src/exec/columnar-state.js';

const INPUT: Schema = [
  { name: 'k', type: 'VARCHAR' },
  { name: 'j', type: 'INT' },
  { name: 'v', type: 'BIGINT' },
  { name: 's', type: 'VARCHAR' },
  { name: 'b', type: 'BOOLEAN' },
];

const agg = (fn: AggCall['fn'], arg: number | null, type: AggCall['type'], distinct = false): AggCall => ({
  fn,
  arg,
  argType: arg === null ? null : INPUT[arg]!.type,
  distinct,
  type,
  name: `${fn}${distinct ? '_d' : ''}_${arg}`,
});

const AGGS: AggCall[] = [
  agg('COUNT', null, 'BIGINT'),
  agg('SUM', 2, 'BIGINT'),
  agg('AVG', 2, 'DOUBLE'),
  agg('MIN', 2, 'BIGINT'),
  agg('MAX', 3, 'VARCHAR'),
  agg('MIN', 4, 'BOOLEAN'),
  agg('COUNT', 2, 'BIGINT', true),
  agg('SUM', 2, 'BIGINT', true),
];

function node(keys: readonly number[], appendOnly: boolean): AggregateNode {
  const input = { kind: 'Values', schema: INPUT, appendOnly, uniqueKey: null, rows: [] } as unknown as AggregateNode['input'];
  const schema: Schema = [...keys.map((k) => INPUT[k]!), ...AGGS.map((a) => ({ name: a.name, type: a.type }))];
  return { kind: 'Aggregate', input, keys, aggs: AGGS, schema, appendOnly: false, uniqueKey: keys.map((_, i) => i) };
}

const PREFILLED = 400;

type Row = [string | null, number | null, number | null, string | null, boolean | null];

function batch(rows: readonly Row[], ops: readonly number[] | null): ChangeBatch {
  return { data: batchFromRows(INPUT, rows), length: rows.length, ops: ops === null ? null : Uint8Array.from(ops), wm: null, wmConst: -Infinity, origin: null };
}

/** An operator and the rows (with their kind) it emitted. */
function running(n: AggregateNode): { op: GroupAggregateOperator; out: Value[][] } {
  const out: Value[][] = [];
  const op = new GroupAggregateOperator(
    { push: (b) => rowsOf(b, n.schema).forEach((r, i) => out.push([b.ops === null ? 0 : b.ops[i]!, ...r])), watermark: () => undefined },
    n,
  );
  return { op, out };
}

/** Every group's key, row count and accumulator state, in key order. */
function groupsOf(op: GroupAggregateOperator): string[] {
  const s = op.snapshot() as { groups: unknown[] };
  return s.groups.map((g) => JSON.stringify(g)).sort();
}

let db: Database;
let store: CheckpointStore;
beforeAll(async () => {
  db = await Database.open();
  store = new CheckpointStore(db);
  await store.create();
});
afterAll(() => db.close());

/** Checkpoints `op` into the store as the engine does, under owner `v`. */
async function checkpoint(op: GroupAggregateOperator): Promise<void> {
  await store.writeState('v', new Map([['0', op.checkpointDelta()]]));
}

async function restored(n: AggregateNode, entries?: ReadonlyMap<string, unknown>): Promise<{ op: GroupAggregateOperator; out: Value[][] }> {
  const r = running(n);
  r.op.restoreEntries(entries ?? (await store.readState('v')).get('0') ?? new Map());
  return r;
}

/** Random changes: inserts of rows over few keys (NULLs included), and retractions of rows inserted before. */
const changesArb = fc.array(
  fc.record({
    k: fc.option(fc.constantFrom('é', 'long key '.repeat(3), '', 'p1', 'a', 'b'), { nil: null }),
    j: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
    v: fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }),
    s: fc.option(fc.constantFrom('x', '', 'p1', 'y', 'z', 'w'), { nil: null }),
    b: fc.option(fc.boolean(), { nil: null }),
    retract: fc.nat(9),
    pick: fc.nat(),
  }),
  { maxLength: 300 },
);

/**
 * The first batch fills PREFILLED groups (keys p0, p1, …), so that later checkpoints of a few
 * changes are incremental rather than full; then the changes in batches of `size`.
 */
function toBatches(changes: readonly { k: string | null; j: number | null; v: number | null; s: string | null; b: boolean | null; retract: number; pick: number }[], appendOnly: boolean, size: number): ChangeBatch[] {
  const prefill = Array.from({ length: PREFILLED }, (_, i): Row => [i < 8 ? `p${i % 3}` : `q${i}`, i % 5 === 0 ? null : i, i, i < 8 ? `p${i % 4}` : `q${i}`, null]);
  const live: Row[] = appendOnly ? [] : [...prefill.slice(0, 4)];
  const rows: Row[] = [];
  const ops: number[] = [];
  /** Rows that must begin a batch. */
  const cuts = new Set<number>();
  for (const c of changes) {
    if (!appendOnly && c.retract === 9) {
      // Every live row of the (k, j) group and of the s group: both groups vanish at the end
      // of this batch, and come back in the next.
      for (let i = live.length - 1; i >= 0; i--) {
        const r = live[i]!;
        if ((r[0] === c.k && r[1] === c.j) || r[3] === c.s) {
          rows.push(live.splice(i, 1)[0]!);
          ops.push(3);
        }
      }
      cuts.add(rows.length);
      const r: Row = [c.k, c.j, c.v, c.s, c.b];
      live.push(r);
      rows.push(r);
      ops.push(0);
    } else if (!appendOnly && c.retract < 4 && live.length > 0) {
      rows.push(live.splice(c.pick % live.length, 1)[0]!);
      ops.push(3);
    } else {
      const r: Row = [c.k, c.j, c.v, c.s, c.b];
      live.push(r);
      rows.push(r);
      ops.push(0);
    }
  }
  const out: ChangeBatch[] = [batch(prefill, appendOnly ? null : prefill.map(() => 0))];
  for (let i = 0; i < rows.length; ) {
    let end = Math.min(rows.length, i + size);
    for (let j = i + 1; j < end; j++) if (cuts.has(j)) end = j;
    out.push(batch(rows.slice(i, end), appendOnly ? null : ops.slice(i, end)));
    i = end;
  }
  return out;
}

for (const keys of [[0, 1], [3], []] as const) {
  for (const appendOnly of [false, true]) {
    it(`restored state continues as if never stopped (keys ${JSON.stringify(keys)}, ${appendOnly ? 'append-only' : 'changelog'} input)`, async () => {
      await fc.assert(
        fc.asyncProperty(changesArb, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 3 }), fc.nat(), async (changes, size, every, cut) => {
          const n = node(keys, appendOnly);
          const batches = toBatches(changes, appendOnly, size);
          const at = cut % (batches.length + 1);
          const whole = running(n);
          whole.op.start();
          const first = running(n);
          first.op.start();
          await store.dropOwner('v');
          for (let i = 0; i < at; i++) {
            whole.op.process(batches[i]!);
            first.op.process(batches[i]!);
            // Checkpoints between batches: the first full, the others incremental or compacting.
            if (i % every === 0) await checkpoint(first.op);
          }
          await checkpoint(first.op);
          const again = await restored(n);
          expect(groupsOf(again.op)).toEqual(groupsOf(first.op));
          const from = whole.out.length;
          for (let i = at; i < batches.length; i++) {
            whole.op.process(batches[i]!);
            again.op.process(batches[i]!);
          }
          expect(again.out).toEqual(whole.out.slice(from));
        }),
        { numRuns: 60 },
      );
    }, 120_000);
  }
}

it('many groups: a full columnar checkpoint, incremental ones with vanished groups, a compaction, and a restore', async () => {
  const n = node([0, 1], false);
  const rowsOfGroup = (g: number): Row => [g % 101 === 0 ? null : `key-${g}-${'é'.repeat(g % 5)}`, g % 7 === 0 ? null : g % 1000, g % 13 === 0 ? null : g, `s${g % 17}`, g % 3 === 0];
  const whole = running(n);
  const first = running(n);
  const feed = (b: ChangeBatch) => {
    whole.op.process(b);
    first.op.process(b);
  };
  await store.dropOwner('v');
  const G = 30_000;
  for (let g = 0; g < G; g += 5000) feed(batch(Array.from({ length: 5000 }, (_, i) => rowsOfGroup(g + i)), null));
  await checkpoint(first.op);
  const stored = await store.readState('v');
  expect(stored.get('0')!.get('#groups')).toBeInstanceOf(ColumnarState);
  expect(stored.get('0')!.size).toBe(2);
  // Retract a few groups entirely and change a few others: incremental entries, vanished groups as null.
  feed(batch(Array.from({ length: 300 }, (_, i) => rowsOfGroup(i * 3)), Array(300).fill(3)));
  feed(batch(Array.from({ length: 200 }, (_, i) => rowsOfGroup(i * 5 + 1)), null));
  await checkpoint(first.op);
  const incremental = (await store.readState('v')).get('0')!;
  expect([...incremental.values()].filter((v) => v === null).length).toBeGreaterThan(0);
  const again = await restored(n);
  expect(again.op.stateSize()).toBe(first.op.stateSize());
  const from = whole.out.length;
  const rest = batch(Array.from({ length: 4000 }, (_, i) => rowsOfGroup((i * 37) % G)), null);
  whole.op.process(rest);
  again.op.process(rest);
  expect(again.out).toEqual(whole.out.slice(from));
  // Changing most groups again writes a full (columnar) checkpoint instead of JSON entries.
  const more = batch(Array.from({ length: G }, (_, i) => rowsOfGroup(i)), null);
  first.op.process(more);
  await checkpoint(first.op);
  const compacted = (await store.readState('v')).get('0')!;
  expect(compacted.size).toBe(2);
  expect((await restored(n)).op.stateSize()).toBe(first.op.stateSize());
});

it('reads the per-group JSON entries older versions wrote', async () => {
  const n = node([0], false);
  const whole = running(n);
  const first = running(n);
  const b1 = batch([['a', 1, 5, 'x', true], [null, 2, 7, 'y', false], ['b', 3, null, null, null], ['a', 4, 9, 'z', false]], null);
  whole.op.process(b1);
  first.op.process(b1);
  // What checkpointDelta used to write: `#meta` and one JSON entry per group, keyed by its key.
  const snap = first.op.snapshot() as { groups: { key: Value[]; rows: number; accs: unknown[] }[]; wm: number | null };
  const entries = new Map<string, unknown>([['#meta', { wm: snap.wm, globalEmitted: false }]]);
  for (const g of snap.groups) entries.set(JSON.stringify(g.key), JSON.parse(JSON.stringify({ rows: g.rows, accs: g.accs })));
  const again = await restored(n, entries);
  const from = whole.out.length;
  const b2 = batch([['a', 1, 5, 'x', true], [null, 2, 1, 'q', true], ['c', 0, 0, 'c', true]], [3, 0, 0]);
  whole.op.process(b2);
  again.op.process(b2);
  expect(again.out).toEqual(whole.out.slice(from));
});
