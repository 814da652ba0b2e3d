import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdListPool } from '../../../src/exec/vector/id-list.js';

describe('IdList', () => {
  it('keeps ids in push order through growth, and a reused list starts empty', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 1 << 30 }), { maxLength: 200 }), { maxLength: 6 }), (rounds) => {
        const pool = new IdListPool();
        let list = pool.take();
        for (const ids of rounds) {
          for (const id of ids) list.push(id);
          expect([...list.view()]).toEqual(ids);
          expect([...list]).toEqual(ids);
          pool.give(list);
          list = pool.take();
          expect(list.length).toBe(0);
        }
      }),
    );
  });
});
