/**
 * RowStore's string arena past its first chunk: churn of rows whose strings run from a few
 * bytes to longer than a chunk, so strings fill several chunks, a compaction moves them
 * between chunks (reusing freed ones), and strings copied in after their row (addRows with
 * columns `later`, then addStrings) read back as given.
 */
import { describe, expect, it } from 'vitest';
import { batchFromRows, columnsOf } from '../../../src/exec/batch.js';
import { RowStore } from '../../../src/exec/vector/row-store.js';
import type { Schema, Value } from '../../../src/types.js';

const schema: Schema = [
  { name: 's', type: 'VARCHAR' },
  { name: 'n', type: 'BIGINT' },
  { name: 't', type: 'VARCHAR' },
];

/** A deterministic string of about `len` bytes that names its row. */
function text(id: number, len: number): string {
  const head = `${id}:`;
  return head + String.fromCharCode(97 + (id % 26)).repeat(Math.max(0, len - head.length));
}

describe('RowStore string chunks', () => {
  it('reads back rows through growth past a chunk, compaction across chunks and deferred strings', () => {
    const store = new RowStore(schema.map((c) => c.type));
    const ref = new Map<number, Value[]>();
    const order: number[] = [];
    let id = 0;
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const lengthOf = () => {
      const r = rand();
      return r < 0.002 ? 5_000_000 : r < 0.05 ? 200_000 : r < 0.5 ? 3000 : Math.floor(rand() * 40);
    };
    for (let round = 0; round < 40; round++) {
      const rows: Value[][] = [];
      for (let i = 0; i < 25; i++, id++) rows.push([text(id, lengthOf()), id, i % 4 === 0 ? null : text(id, lengthOf())]);
      const cols = columnsOf(batchFromRows(schema, rows));
      const picked = Int32Array.from(rows.keys());
      const slots = new Int32Array(rows.length);
      if (round % 2 === 0) store.addRows(cols, picked, rows.length, slots);
      else {
        // Strings of column 0 now, column 2 for every other row only after the batch.
        store.addRows(cols, picked, rows.length, slots, [false, false, true]);
        const kept = picked.filter((i) => i % 2 === 0);
        const keptSlots = Int32Array.from(kept, (i) => slots[i]!);
        store.addStrings(2, cols[2]!, kept, keptSlots, kept.length);
        for (let i = 1; i < rows.length; i += 2) if (rows[i]![2] !== null) rows[i]![2] = '';
      }
      rows.forEach((r, i) => {
        ref.set(slots[i]!, r);
        order.push(slots[i]!);
        if (round % 2 === 0) expect(store.equalsRow(slots[i]!, cols, i)).toBe(true);
      });
      // Most rows leave (oldest first, and some at random), so freed bytes trigger compactions.
      const leave = Math.floor(rows.length * (0.6 + rand() * 0.5));
      for (let k = 0; k < leave && order.length > 0; k++) {
        const at = rand() < 0.7 ? 0 : Math.floor(rand() * order.length);
        const slot = order.splice(at, 1)[0]!;
        store.remove(slot);
        ref.delete(slot);
      }
      for (const [slot, row] of ref) expect(store.values(slot)).toEqual(row);
    }
    expect(store.size).toBe(ref.size);
  });
});
