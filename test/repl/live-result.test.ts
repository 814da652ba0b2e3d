import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Change, Row } from '../../src/engine/rows.js';
import { LiveResult } from '../../repl/live-result.js';
import { rowComparator, sortColumns } from '../../repl/result-order.js';
import { parseStatement } from '../../grammar/index.js';

const ins = (row: Row): Change => ({ op: '+I', row });
const del = (row: Row): Change => ({ op: '-D', row });
const upd = (before: Row, after: Row): Change[] => [
  { op: '-U', row: before },
  { op: '+U', row: after },
];

function shown(r: LiveResult, now: number): string[] {
  return r.view(now).map((x) => `${x.mark ?? '  '} ${JSON.stringify(x.row)}`);
}

describe('LiveResult', () => {
  it('folds inserts, updates in place and deletes, marking recent changes', () => {
    const r = new LiveResult({ flashMs: 1000 });
    r.apply([ins({ k: 1, n: 1 }), ins({ k: 2, n: 1 })], 0);
    r.apply(upd({ k: 1, n: 1 }, { k: 1, n: 2 }), 2000);
    expect(shown(r, 2500)).toEqual(['+U {"k":1,"n":2}', '   {"k":2,"n":1}']);
    r.apply([del({ k: 2, n: 1 })], 3000);
    // The deleted row lingers as a ghost while its change is recent, then goes.
    expect(r.view(3500).map((x) => [x.row, x.mark, x.deleted])).toEqual([
      [{ k: 1, n: 2 }, null, false],
      [{ k: 2, n: 1 }, '-D', true],
    ]);
    expect(shown(r, 4500)).toEqual(['   {"k":1,"n":2}']);
    expect(r.size).toBe(1);
    expect(r.changeCounts).toEqual({ inserts: 2, updates: 1, deletes: 1 });
  });

  it('counts a -U without its +U (a group a HAVING drops) as a delete and shows its ghost', () => {
    const r = new LiveResult({ flashMs: 1000 });
    r.apply([ins({ k: 1, c: 1 })], 0);
    r.apply([{ op: '-U', row: { k: 1, c: 1 } }], 100);
    expect(r.view(200).map((x) => [x.mark, x.deleted])).toEqual([['-D', true]]);
    expect(r.changeCounts).toEqual({ inserts: 1, updates: 0, deletes: 1 });
    expect(r.size).toBe(0);
  });

  it('removes one row per retraction when rows are equal', () => {
    const r = new LiveResult();
    r.apply([ins({ a: 1 }), ins({ a: 1 }), del({ a: 1 })], 0);
    expect(r.rows()).toEqual([{ a: 1 }]);
  });

  it('tells Dates and bigints apart by value', () => {
    const r = new LiveResult();
    r.apply([ins({ t: new Date(1000), b: 1n }), ins({ t: new Date(2000), b: 1 })], 0);
    r.apply([del({ t: new Date(1000), b: 1n })], 0);
    expect(r.rows()).toEqual([{ t: new Date(2000), b: 1 }]);
  });

  it('counts a retraction of an unknown row instead of failing', () => {
    const r = new LiveResult();
    r.apply([del({ a: 9 })], 0);
    expect(r.unmatched).toBe(1);
    expect(r.size).toBe(0);
  });

  it('keeps at most maxRows rows, dropping the oldest', () => {
    const r = new LiveResult({ maxRows: 3 });
    r.apply([1, 2, 3, 4, 5].map((a) => ins({ a })), 0);
    expect(r.rows()).toEqual([{ a: 3 }, { a: 4 }, { a: 5 }]);
    expect(r.evicted).toBe(2);
    expect(r.size).toBe(3);
  });

  it('sorts by the query ORDER BY when it names output columns', () => {
    const stmt = parseStatement('SELECT k, s FROM t ORDER BY s DESC, 1');
    const keys = sortColumns(stmt, [{ name: 'k' }, { name: 's' }]);
    expect(keys).toEqual([
      { name: 's', desc: true, nullsFirst: false },
      { name: 'k', desc: false, nullsFirst: false },
    ]);
    const r = new LiveResult({ compare: rowComparator(keys!) });
    r.apply([ins({ k: 2, s: 5 }), ins({ k: 1, s: 5 }), ins({ k: 3, s: null }), ins({ k: 4, s: 9 })], 0);
    expect(r.rows().map((x) => x['k'])).toEqual([4, 1, 2, 3]);
  });

  it('keeps arrival order when ORDER BY uses an expression', () => {
    expect(sortColumns(parseStatement('SELECT k FROM t ORDER BY k + 1'), [{ name: 'k' }])).toBeUndefined();
    expect(sortColumns(parseStatement('SELECT k FROM t'), [{ name: 'k' }])).toBeUndefined();
  });

  it('folding any changelog gives the multiset its changes describe (SPEC 3)', () => {
    // A random sequence of inserts and retractions of rows that exist; the fold must equal a plain multiset.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 4 }), fc.boolean()), { maxLength: 60 }), (steps) => {
        const r = new LiveResult({ maxRows: 1000 });
        const bag: number[] = [];
        for (const [insert, v, asUpdate] of steps) {
          if (insert || bag.length === 0) {
            bag.push(v);
            r.apply([ins({ v })], 0);
          } else {
            const old = bag[v % bag.length]!;
            bag.splice(bag.indexOf(old), 1);
            if (asUpdate) {
              bag.push(v);
              r.apply(upd({ v: old }, { v }), 0);
            } else {
              r.apply([del({ v: old })], 0);
            }
          }
        }
        expect(r.rows().map((x) => x['v']).sort()).toEqual([...bag].sort());
        expect(r.unmatched).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
