/**
 * StateChanges against a model of what a checkpoint must write: every id touched since the
 * last one (once, and only while it lives), and the storage key of every written id that
 * went away. Random touches (one by one and in batches), removals, ids reused after removal
 * and checkpoints.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { StateChanges } from '../../../src/exec/agg/state-changes.js';

type Op = { touchAll: number[] } | { touch: number } | { remove: number } | 'take';

// Mostly few ids, so one is often removed and touched again between checkpoints; some past the first capacity.
const id = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ touchAll: fc.array(fc.oneof(id, fc.constant(-1)), { maxLength: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ touch: id }) },
  { weight: 3, arbitrary: fc.record({ remove: id }) },
  { weight: 1, arbitrary: fc.constant('take' as const) },
);

it('a checkpoint writes each live id touched since the last one once, and deletes each written id that went away', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const changes = new StateChanges();
      const live = new Set<number>();
      // The first checkpoint is full: every live id.
      let full = true;
      let dirty = new Set<number>();
      const persisted = new Set<number>();
      let deleted: string[] = [];
      for (const o of [...ops, 'take' as const]) {
        if (o === 'take') {
          const d = changes.take(() => [...live], (g) => [`k${g}`, g], [['#meta', 0]]);
          const want = full ? [...live] : [...dirty];
          expect(d.full).toBe(full);
          expect(d.puts[0]).toEqual(['#meta', 0]);
          expect(d.puts.slice(1).map(([k]) => k).sort()).toEqual(want.map((g) => `k${g}`).sort());
          expect([...d.deletes].sort()).toEqual([...deleted].sort());
          if (full) persisted.clear();
          for (const g of want) persisted.add(g);
          full = false;
          dirty = new Set();
          deleted = [];
        } else if ('touchAll' in o) {
          const ids = Int32Array.from(o.touchAll);
          changes.touchAll(ids, ids.length);
          for (const g of o.touchAll) {
            if (g < 0) continue;
            live.add(g);
            if (!full) dirty.add(g);
          }
        } else if ('touch' in o) {
          changes.touch(o.touch);
          live.add(o.touch);
          if (!full) dirty.add(o.touch);
        } else {
          if (!live.has(o.remove)) continue;
          changes.remove(o.remove, () => `k${o.remove}`);
          live.delete(o.remove);
          dirty.delete(o.remove);
          if (persisted.delete(o.remove) && !full) deleted.push(`k${o.remove}`);
        }
        expect(changes.pendingFull).toBe(full);
        if (!full) expect(changes.pendingCount).toBe(dirty.size + deleted.length);
      }
    }),
    { numRuns: 300 },
  );
});
