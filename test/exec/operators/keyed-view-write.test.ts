/**
 * Top-N and GROUP BY views written thousands of changes at a time: the view nets its changes
 * by the ids the operator attaches (src/exec/row-keys.ts: a Top-N's (partition, rank), an
 * aggregate's group) instead of hashing its key. Pull queries between inserts make each write
 * many changes (the column-wise net delta, past 5000 changes). Over a changelog, partitions
 * and groups empty and their ids go to other keys; under state_ttl, groups lapse and theirs do
 * too: the ids must then start a new space. The table must equal DuckDB's query over the same
 * rows after every write.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/index.js';
import { useDuck } from './duck.js';
import { assertViewWrites, checkRowKeys, xorshift } from './view-write-harness.js';

const duck = useDuck();
const T0 = Date.UTC(2026, 0, 1);
const DDL = 'id BIGINT, a BIGINT, k BIGINT, x BIGINT, ts TIMESTAMP';

interface Ev {
  id: number;
  a: number;
  k: number;
  x: number;
  ts: number;
}

/** `n` events: `a` one of `groups`, `k` one of `keys`, `x` with ties; times `step` ms apart on average. */
function events(seed: number, n: number, groups: number, keys: number, step = 4): Ev[] {
  const rnd = xorshift(seed);
  const out: Ev[] = [];
  let t = T0;
  for (let id = 0; id < n; id++) {
    t += 1 + rnd(2 * step);
    out.push({ id, a: rnd(groups), k: rnd(keys), x: rnd(50), ts: t - rnd(300) });
  }
  return out;
}

// A key's count moves it on: the partitions or groups of low counts empty, their ids go to new counts.
const COUNTS = '(SELECT k, COUNT(*) AS c FROM s GROUP BY k)';
const TOP_OVER_CHANGELOG = `SELECT * FROM (SELECT k, c, ROW_NUMBER() OVER (PARTITION BY c ORDER BY k) AS rn FROM ${COUNTS}) WHERE rn <= 3`;
const GROUP_OVER_CHANGELOG = `SELECT c, COUNT(*) AS keys, MIN(k) AS first FROM ${COUNTS} GROUP BY c`;

const cases: [string, string, string][] = [
  [
    'Top-N over appends: the top 3 of each partition, ties in arrival order',
    `SELECT * FROM (SELECT id, a, x, ROW_NUMBER() OVER (PARTITION BY a ORDER BY x DESC) AS rn FROM s) WHERE rn <= 3`,
    `SELECT * FROM (SELECT id, a, x, ROW_NUMBER() OVER (PARTITION BY a ORDER BY x DESC, id) AS rn FROM s) WHERE rn <= 3`,
  ],
  ['Top-N over a changelog whose partitions empty and come back as other keys', TOP_OVER_CHANGELOG, TOP_OVER_CHANGELOG],
  ['GROUP BY over appends: count, sum and max per group', `SELECT a, COUNT(*) AS n, SUM(x) AS total, MAX(x) AS top FROM s GROUP BY a`, ''],
  ['GROUP BY over a changelog whose groups vanish and come back as other keys', GROUP_OVER_CHANGELOG, GROUP_OVER_CHANGELOG],
];

describe('a keyed view written many changes at a time equals DuckDB', () => {
  for (const [name, sql, oracle] of cases) {
    it(name, async () => {
      await assertViewWrites(duck, {
        ddl: DDL,
        sql,
        oracle: oracle || sql,
        keys: [500, 9000],
        events: (seed, groups) => events(seed, 20_000, groups, 40),
        values: (v) => `(${v.id}, ${v.a}, ${v.k}, ${v.x}, make_timestamp(${v.ts * 1000}::BIGINT))`,
        numRuns: 3,
      });
    }, 180_000);
  }
});

describe('row keys: one id per key within a space, a new space once an id is freed', () => {
  const feed = (seed: number) => async (e: Engine) => {
    for (let i = 0; i < 6; i++) await e.insert('s', events(seed + i, 500, 10, 40).map((v) => ({ ...v, ts: new Date(v.ts) })));
  };

  it('a Top-N whose partitions empty', async () => {
    expect(await checkRowKeys(DDL, 'v', `AS ${TOP_OVER_CHANGELOG}`, ['c', 'rn'], feed(11))).toBeGreaterThan(1);
  }, 60_000);

  it('a GROUP BY whose groups vanish', async () => {
    expect(await checkRowKeys(DDL, 'v', `AS ${GROUP_OVER_CHANGELOG}`, ['c'], feed(21))).toBeGreaterThan(1);
  }, 60_000);

  it('a GROUP BY whose groups lapse (state_ttl)', async () => {
    const spaces = await checkRowKeys(DDL, 'w', `WITH (state_ttl = '1 second') AS SELECT a, COUNT(*) AS n FROM s GROUP BY a`, ['a'], async (e) => {
      // Sparse keys 2 s apart and more: groups lapse while new keys arrive.
      const evs = events(5, 3000, 400, 10, 40).map((v, i) => ({ ...v, a: v.a + 400 * Math.floor(i / 200) }));
      for (let i = 0; i < evs.length; i += 100) await e.insert('s', evs.slice(i, i + 100).map((v) => ({ ...v, ts: new Date(v.ts) })));
    });
    expect(spaces).toBeGreaterThan(1);
  }, 60_000);
});
