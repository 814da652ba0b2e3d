/**
 * Changelogs (SPEC 1.2, 2.5, 3): at every moment, folding a view's changes (+I/+U add a
 * row, -U/-D remove one) gives exactly its contents. After every insert the fold of each
 * view's subscription is compared with a pull query of the view, and the changes of that
 * insert must have the documented shape: an updated group emits -U immediately followed by
 * +U with the same key, a new group +I, a vanished one -D, an unchanged group nothing; an
 * EMIT ON WINDOW CLOSE view emits only +I, once per window.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type Change } from '../../src/index.js';
import { cut, cutsArb, Fold, readViews, rowValues, runs, sortRows, sourceSql, streamArb, T0 } from './oracle.js';

const DELAY = 2000;
const RUNS = runs(3);

interface ChangelogView {
  readonly name: string;
  readonly sql: string;
  /** The columns that identify a row of the view (null: append-only, every change is +I). */
  readonly key: readonly number[] | null;
}

const VIEWS: ChangelogView[] = [
  {
    name: 'c_tumble',
    sql: `SELECT window_start, window_end, k, COUNT(*) AS n, SUM(d) AS sd, MIN(v) AS mv FROM TUMBLE(s, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end, k`,
    key: [0, 1, 2],
  },
  {
    name: 'c_cumulate',
    sql: `SELECT window_start, window_end, k, MAX(x) AS mx, COUNT(DISTINCT v) AS dv FROM CUMULATE(s, ts, INTERVAL '2' SECOND, INTERVAL '8' SECOND)
          GROUP BY window_start, window_end, k`,
    key: [0, 1, 2],
  },
  {
    name: 'c_session',
    sql: `SELECT window_start, window_end, k, COUNT(*) AS n, AVG(x) AS ax FROM SESSION(s PARTITION BY k, ts, INTERVAL '2' SECOND) GROUP BY window_start, window_end, k`,
    key: [0, 1, 2],
  },
  { name: 'c_group', sql: `SELECT k, COUNT(*) AS n, MIN(d) AS md, MAX(v) AS mv FROM s GROUP BY k`, key: [0] },
  { name: 'c_global', sql: `SELECT COUNT(*) AS n, SUM(x) AS sx FROM s`, key: [] },
  { name: 'c_having', sql: `SELECT k, v, COUNT(*) AS n FROM s GROUP BY k, v HAVING COUNT(*) BETWEEN 2 AND 3`, key: [0, 1] },
  { name: 'c_distinct', sql: `SELECT DISTINCT k, v FROM s`, key: [0, 1] },
  // An update of n that leaves n > 2 as it was is no change of this view.
  { name: 'c_projected', sql: `SELECT k, n > 2 AS big, mv FROM (SELECT k, COUNT(*) AS n, MAX(v) AS mv FROM s GROUP BY k)`, key: [0] },
  {
    name: 'c_of_changelog',
    sql: `SELECT MIN(total) AS lo, MAX(total) AS hi, COUNT(*) AS groups FROM (SELECT k, SUM(x) AS total FROM s GROUP BY k)`,
    key: [],
  },
  {
    name: 'c_hop_close',
    sql: `SELECT window_start, window_end, k, COUNT(*) AS n FROM HOP(s, ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE`,
    key: null,
  },
  {
    name: 'c_session_close',
    sql: `SELECT window_start, window_end, k, SUM(d) AS sd FROM SESSION(s PARTITION BY k, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE`,
    key: null,
  },
  { name: 'c_union', sql: `SELECT k, x FROM s WHERE x > 0 UNION ALL SELECT v, x FROM s WHERE x <= 0`, key: null },
];

/** Checks the changes one insert caused in a view, against its contents before them. */
function checkShape(view: ChangelogView, changes: readonly Change[], before: readonly unknown[][], closed: Set<string>): void {
  const rowKey = (row: readonly unknown[]) => JSON.stringify(view.key!.map((k) => row[k]));
  if (view.key === null) {
    for (const c of changes) {
      expect(c.op, `${view.name}: an append-only view emits only +I`).toBe('+I');
      // An EMIT ON WINDOW CLOSE view emits each window's row once.
      if (view.name.endsWith('_close')) {
        const k = JSON.stringify(rowValues(c.row));
        expect(closed.has(k), `${view.name}: ${k} emitted twice`).toBe(false);
        closed.add(k);
      }
    }
    return;
  }
  const contents = new Map(before.map((r) => [rowKey(r), JSON.stringify(r)]));
  const touched = new Set<string>();
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const row = rowValues(c.row);
    const key = rowKey(row);
    const where = `${view.name}: change ${i} (${c.op} ${JSON.stringify(row)})`;
    expect(touched.has(key), `${where}: its key changed twice in one insert`).toBe(false);
    touched.add(key);
    switch (c.op) {
      case '+I':
        expect(contents.has(key), `${where}: +I of a key already in the view`).toBe(false);
        break;
      case '-D':
        expect(contents.get(key), `${where}: -D of a row not in the view`).toBe(JSON.stringify(row));
        break;
      case '+U':
        throw new Error(`${where}: +U without the -U before it`);
      case '-U': {
        expect(contents.get(key), `${where}: -U of a row not in the view`).toBe(JSON.stringify(row));
        const next = changes[i + 1];
        expect(next?.op, `${where}: -U not followed by +U`).toBe('+U');
        const after = rowValues(next!.row);
        expect(rowKey(after), `${where}: +U of another key`).toBe(key);
        expect(JSON.stringify(after), `${where}: -U/+U of an unchanged row`).not.toBe(JSON.stringify(row));
        i++;
        break;
      }
    }
  }
}

describe('folding each changelog gives the view at every step', () => {
  it('after every insert and at the end, for every kind of view', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb({ delayMs: DELAY, spanMs: 30_000, maxLength: 40, lateShare: 0.2 }), cutsArb(10), async (events, batches) => {
        const engine = await Engine.open();
        try {
          await engine.execute(sourceSql(DELAY));
          const seen = new Map<string, Change[]>();
          const everything: Change[] = [];
          const folds = new Map<string, Fold>();
          const contents = new Map<string, unknown[][]>();
          const closed = new Map<string, Set<string>>();
          for (const v of VIEWS) {
            await engine.execute(`CREATE MATERIALIZED VIEW ${v.name} AS ${v.sql}`);
            const list: Change[] = [];
            seen.set(v.name, list);
            folds.set(v.name, new Fold());
            contents.set(v.name, []);
            closed.set(v.name, new Set());
            engine.subscribe(v.name, (c) => list.push(c));
          }
          const iterator = engine.changes('c_group');
          const step = async (what: string) => {
            const views = await readViews(engine, VIEWS.map((v) => v.name));
            for (const v of VIEWS) {
              const list = seen.get(v.name)!;
              const fold = folds.get(v.name)!;
              const fresh = list.splice(0);
              checkShape(v, fresh, contents.get(v.name)!, closed.get(v.name)!);
              for (const c of fresh) fold.apply(c);
              const now = views.get(v.name)!;
              expect(sortRows(fold.rows()), `${v.name} after ${what}`).toEqual(sortRows(now));
              contents.set(v.name, now);
              if (v.name === 'c_group') everything.push(...fresh);
            }
          };
          // A subscription starts with the view's contents (a global aggregate has its row).
          await step('creating the views');
          let i = 0;
          for (const batch of cut(events, batches)) {
            await engine.insert('s', batch);
            await step(`insert ${i++}`);
          }
          await engine.endOfStream('s');
          await step('the end of the stream');
          // changes() delivers the same changes as subscribe, in the same order.
          const fromIterator: Change[] = [];
          for (let k = 0; k < everything.length; k++) fromIterator.push((await iterator.next()).value as Change);
          expect(fromIterator).toEqual(everything);
          await iterator.return!();
        } finally {
          await engine.close();
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('change shapes, by example', () => {
  let engine: Engine;
  afterEach(async () => {
    await engine?.close();
  });
  const at = (s: number) => new Date(T0 + s * 1000);
  const ev = (k: string, s: number, x: number | null = 1) => ({ k, x, ts: at(s) });

  it('-U/+U for an updated group, +I for a new one, nothing for an unchanged one; ON WINDOW CLOSE emits +I once', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW g AS SELECT k, COUNT(x) AS n, MAX(x) AS mx FROM s GROUP BY k`);
    await engine.execute(`CREATE MATERIALIZED VIEW w AS SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND)
      GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE`);
    const g: Change[] = [];
    const w: Change[] = [];
    engine.subscribe('g', (c) => g.push(c));
    engine.subscribe('w', (c) => w.push(c));
    await engine.insert('s', [ev('a', 1, 5), ev('b', 2, 1)]);
    expect(g.splice(0)).toEqual([
      { op: '+I', row: { k: 'a', n: 1, mx: 5 } },
      { op: '+I', row: { k: 'b', n: 1, mx: 1 } },
    ]);
    // A NULL x changes neither COUNT(x) nor MAX(x): group a emits nothing.
    await engine.insert('s', [ev('a', 3, null), ev('b', 4, 7)]);
    expect(g.splice(0)).toEqual([
      { op: '-U', row: { k: 'b', n: 1, mx: 1 } },
      { op: '+U', row: { k: 'b', n: 2, mx: 7 } },
    ]);
    expect(w).toEqual([]);
    await engine.insert('s', [ev('a', 12)]);
    expect(w.splice(0)).toEqual([
      { op: '+I', row: { window_start: at(0), k: 'a', n: 2 } },
      { op: '+I', row: { window_start: at(0), k: 'b', n: 2 } },
    ]);
    await engine.endOfStream('s');
    expect(w).toEqual([{ op: '+I', row: { window_start: at(10), k: 'a', n: 1 } }]);
  });

  it('HAVING: a group that starts to pass is +I, one that stops passing is -D', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW h AS SELECT k, COUNT(*) AS n FROM s GROUP BY k HAVING COUNT(*) BETWEEN 2 AND 3`);
    const h: Change[] = [];
    engine.subscribe('h', (c) => h.push(c));
    await engine.insert('s', [ev('a', 1)]);
    expect(h.splice(0)).toEqual([]);
    await engine.insert('s', [ev('a', 2)]);
    expect(h.splice(0)).toEqual([{ op: '+I', row: { k: 'a', n: 2 } }]);
    await engine.insert('s', [ev('a', 3)]);
    expect(h.splice(0)).toEqual([
      { op: '-U', row: { k: 'a', n: 2 } },
      { op: '+U', row: { k: 'a', n: 3 } },
    ]);
    await engine.insert('s', [ev('a', 4)]);
    expect(h.splice(0)).toEqual([{ op: '-D', row: { k: 'a', n: 3 } }]);
  });

  it('a projection that hides what changed emits nothing for that update', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(DELAY));
    await engine.execute(`CREATE MATERIALIZED VIEW p AS SELECT k, n > 1 AS many FROM (SELECT k, COUNT(*) AS n FROM s GROUP BY k)`);
    const p: Change[] = [];
    engine.subscribe('p', (c) => p.push(c));
    await engine.insert('s', [ev('a', 1)]);
    await engine.insert('s', [ev('a', 2)]);
    await engine.insert('s', [ev('a', 3), ev('b', 3)]);
    expect(p).toEqual([
      { op: '+I', row: { k: 'a', many: false } },
      { op: '-U', row: { k: 'a', many: false } },
      { op: '+U', row: { k: 'a', many: true } },
      { op: '+I', row: { k: 'b', many: false } },
    ]);
  });

  it('sessions: growing within its bounds is -U/+U, moving them is -D/+I, a merge deletes both sessions', async () => {
    engine = await Engine.open();
    await engine.execute(sourceSql(10_000));
    await engine.execute(`CREATE MATERIALIZED VIEW ss AS SELECT window_start, window_end, COUNT(*) AS n FROM SESSION(s, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end`);
    const c: Change[] = [];
    engine.subscribe('ss', (x) => c.push(x));
    await engine.insert('s', [ev('a', 10), ev('a', 16)]);
    c.splice(0);
    await engine.insert('s', [ev('a', 11)]);
    expect(c.splice(0)).toEqual([
      { op: '-D', row: { window_start: at(10), window_end: at(13), n: 1 } },
      { op: '+I', row: { window_start: at(10), window_end: at(14), n: 2 } },
    ]);
    await engine.insert('s', [ev('a', 10.5)]);
    expect(c.splice(0)).toEqual([
      { op: '-U', row: { window_start: at(10), window_end: at(14), n: 2 } },
      { op: '+U', row: { window_start: at(10), window_end: at(14), n: 3 } },
    ]);
    // 13.5 bridges both sessions: both leave the result and the merged one enters it.
    await engine.insert('s', [ev('a', 13.5)]);
    const merge = c.splice(0);
    expect(merge).toHaveLength(3);
    expect(merge).toEqual(
      expect.arrayContaining([
        { op: '-D', row: { window_start: at(10), window_end: at(14), n: 3 } },
        { op: '-D', row: { window_start: at(16), window_end: at(19), n: 1 } },
        { op: '+I', row: { window_start: at(10), window_end: at(19), n: 5 } },
      ]),
    );
  });
});
