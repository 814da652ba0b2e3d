/**
 * The columnar OVER over a changelog (ROWS frames, number aggregates) against the row-object
 * operator it stands in for: fed the same random changelog (inserts, retractions of rows held
 * and of rows never seen, NULL, NaN, -0 and tied ORDER BY keys, several partitions), cut into
 * the same batches and watermarks, both must emit the same changes in the same order and the
 * same watermarks. Midway one's snapshot is restored into a fresh operator of the other kind
 * (the two share a checkpoint format), and the run goes on from there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromRows, rowsOf, type ChangeBatch } from '../../../src/exec/batch.js';
import type { Operator } from '../../../src/exec/operator.js';
import { OverChangelogOperator } from '../../../src/exec/operators/over-changelog.js';
import { OverRowsChangelogOperator, overRowsChangelogFits } from '../../../src/exec/operators/over-rows-changelog.js';
import type { LogicalPlan, OverCall, OverNode, SortKey } from '../../../src/plan/logical-plan.js';
import type { Schema, Value } from '../../../src/types.js';

const INPUT: Schema = [
  { name: 'p', type: 'BIGINT' },
  { name: 'q', type: 'VARCHAR' },
  { name: 'o', type: 'DOUBLE' },
  { name: 'x', type: 'BIGINT' },
  { name: 'i', type: 'INT' },
  { name: 'm', type: 'DECIMAL(12,2)' },
  { name: 'ts', type: 'TIMESTAMP', timeAttr: true },
];

const call = (fn: OverCall['fn'], arg: number | null, type: OverCall['type']): OverCall => ({ fn, arg, type, name: `${fn}_${arg}` });

const CALLS: OverCall[] = [
  call('COUNT', null, 'BIGINT'),
  call('COUNT', 3, 'BIGINT'),
  call('SUM', 3, 'BIGINT'),
  call('AVG', 2, 'DOUBLE'),
  call('MIN', 2, 'DOUBLE'),
  call('MAX', 4, 'INT'),
  call('SUM', 5, 'DECIMAL(18,2)'),
  call('AVG', 5, 'DOUBLE'),
];

type Row = [number | null, string | null, number | null, number | null, number | null, number | null, number];

const T0 = Date.UTC(2024, 0, 1);
const rowArb: fc.Arbitrary<Row> = fc.tuple(
  fc.option(fc.integer({ min: 0, max: 2 }), { nil: null, freq: 8 }),
  fc.option(fc.constantFrom('a', 'bé', ''), { nil: null, freq: 8 }),
  fc.option(fc.constantFrom(0, -0, 1, 1.5, 2, 3, Number.NaN, -7), { nil: null, freq: 8 }),
  fc.option(fc.integer({ min: -5, max: 20 }), { nil: null, freq: 6 }),
  fc.option(fc.integer({ min: -3, max: 3 }), { nil: null, freq: 8 }),
  fc.option(fc.integer({ min: -999, max: 999 }), { nil: null, freq: 8 }),
  fc.integer({ min: 0, max: 60 }).map((s) => T0 + s * 1000),
);

/** One step: insert a new row, retract a held row (or a copy of none), or a pair -U/+U; a cut or a watermark. */
type Step = { kind: 'insert'; row: Row } | { kind: 'retract'; pick: number; op: 1 | 3 } | { kind: 'stray'; row: Row } | { kind: 'update'; pick: number; row: Row } | { kind: 'cut' } | { kind: 'wm'; s: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: rowArb.map((row) => ({ kind: 'insert' as const, row })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(1 as const, 3 as const)).map(([pick, op]) => ({ kind: 'retract' as const, pick, op })) },
  { weight: 1, arbitrary: rowArb.map((row) => ({ kind: 'stray' as const, row })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), rowArb).map(([pick, row]) => ({ kind: 'update' as const, pick, row })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'cut' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70 }).map((s) => ({ kind: 'wm' as const, s })) },
);

const sortKeyArb = (column: number): fc.Arbitrary<SortKey> => fc.record({ column: fc.constant(column), desc: fc.boolean(), nullsFirst: fc.boolean() });

const nodeArb: fc.Arbitrary<OverNode> = fc
  .record({
    partitionBy: fc.constantFrom<number[]>([], [0], [1], [0, 1]),
    orderBy: fc.oneof(
      sortKeyArb(2).map((k) => [k]),
      fc.tuple(sortKeyArb(2), sortKeyArb(4)).map((ks) => [...ks]),
      sortKeyArb(6).map((k) => [k]),
      sortKeyArb(1).map((k) => [k]),
    ),
    frame: fc.constantFrom(
      { preceding: 2, following: 0 },
      { preceding: 10, following: 0 },
      { preceding: 0, following: 1 },
      { preceding: 1, following: 2 },
      { preceding: null, following: 0 },
      { preceding: 2, following: null },
      { preceding: null, following: null },
      { preceding: -1, following: 2 },
    ),
    calls: fc.subarray(CALLS, { minLength: 1 }),
  })
  .map(({ partitionBy, orderBy, frame, calls }) => {
    const input = { kind: 'Values', schema: INPUT, appendOnly: false, uniqueKey: null, rows: [] } as unknown as LogicalPlan;
    const schema: Schema = [...INPUT, ...calls.map((c) => ({ name: c.name, type: c.type }))];
    return { kind: 'Over', input, partitionBy, orderBy, frame: { unit: 'ROWS', ...frame }, calls, schema, appendOnly: false, uniqueKey: null } as OverNode;
  });

type Out = { push(b: ChangeBatch): void; watermark(wm: number): void };

/** An emitter recording rows with their kind, and watermarks, into `out`. */
function recorder(out: unknown[], schema: Schema): Out {
  return {
    push: (b) => rowsOf(b, schema).forEach((r, i) => out.push([b.ops === null ? 0 : b.ops[i]!, ...r])),
    watermark: (wm) => out.push(['wm', wm]),
  };
}

function batch(rows: readonly Row[], ops: readonly number[]): ChangeBatch {
  return { data: batchFromRows(INPUT, rows as unknown as Value[][]), length: rows.length, ops: Uint8Array.from(ops), wm: null, wmConst: -Infinity, origin: null };
}

describe('the columnar OVER over a changelog emits what the row-object operator emits', () => {
  it('takes ROWS frames of number aggregates, and no other shape', () => {
    const n = fc.sample(nodeArb, 1)[0]!;
    expect(overRowsChangelogFits(n)).toBe(true);
    expect(overRowsChangelogFits({ ...n, frame: { unit: 'RANGE', preceding: 2, following: 0 } })).toBe(false);
    expect(overRowsChangelogFits({ ...n, calls: [call('ROW_NUMBER', null, 'BIGINT')] })).toBe(false);
    expect(overRowsChangelogFits({ ...n, calls: [call('LAG', 2, 'DOUBLE')] })).toBe(false);
    expect(overRowsChangelogFits({ ...n, calls: [call('MAX', 1, 'VARCHAR')] })).toBe(false);
  });

  it('the same changes, in the same order, through a snapshot restored across the two', () => {
    fc.assert(
      fc.property(nodeArb, fc.array(stepArb, { maxLength: 120 }), fc.nat(120), fc.boolean(), (node, steps, restoreAt, newFirst) => {
        const outOld: unknown[] = [];
        const outNew: unknown[] = [];
        const mkOld = () => new OverChangelogOperator(recorder(outOld, node.schema), node);
        const mkNew = () => new OverRowsChangelogOperator(recorder(outNew, node.schema), node);
        let a: Operator = mkOld();
        let b: Operator = mkNew();
        const held: Row[] = [];
        let rows: Row[] = [];
        let ops: number[] = [];
        const flush = () => {
          if (rows.length === 0) return;
          a.process(batch(rows, ops), 0);
          b.process(batch(rows, ops), 0);
          rows = [];
          ops = [];
        };
        steps.forEach((s, k) => {
          if (k === restoreAt) {
            flush();
            // The new operator from the old one's checkpoint, or the other way round.
            const snap = structuredClone(newFirst ? a.snapshot() : b.snapshot());
            if (newFirst) (b = mkNew()).restore(snap);
            else (a = mkOld()).restore(snap);
          }
          switch (s.kind) {
            case 'insert':
              rows.push(s.row), ops.push(0), held.push(s.row);
              break;
            case 'stray':
              rows.push(s.row), ops.push(3);
              break;
            case 'retract':
            case 'update': {
              if (held.length === 0) break;
              const [gone] = held.splice(s.pick % held.length, 1);
              rows.push(gone!), ops.push(s.kind === 'retract' ? s.op : 1);
              if (s.kind === 'update') rows.push(s.row), ops.push(2), held.push(s.row);
              break;
            }
            case 'cut':
              flush();
              break;
            case 'wm':
              flush();
              a.onWatermark(T0 + s.s * 1000, 0);
              b.onWatermark(T0 + s.s * 1000, 0);
              break;
          }
        });
        flush();
        a.onWatermark(Infinity, 0);
        b.onWatermark(Infinity, 0);
        expect(outNew).toEqual(outOld);
        expect(b.stateSize!()).toBe(a.stateSize!());
      }),
      { numRuns: 400 },
    );
  });
});
