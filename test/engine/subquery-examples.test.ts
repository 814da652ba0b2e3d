/**
 * Subqueries as Flink and RisingWave users write them, over the Nexmark generator: each
 * streaming view equals the same SQL run by DuckDB as a pull query over materialized copies
 * of the sources (which also shows that pull queries take subqueries), plus Flink's
 * documented `IN (SELECT …)` example over inserted rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { assertSameRows, normalize } from './oracle.js';

const SOURCES = `
CREATE SOURCE person (id BIGINT, name VARCHAR, city VARCHAR, state VARCHAR, date_time TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (connector = 'nexmark', table = 'person', events = 20000);
CREATE SOURCE auction (id BIGINT, item_name VARCHAR, initial_bid BIGINT, reserve BIGINT, date_time TIMESTAMP, expires TIMESTAMP,
  seller BIGINT, category BIGINT, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
  WITH (connector = 'nexmark', table = 'auction', events = 20000);
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND) WITH (connector = 'nexmark', table = 'bid', events = 20000);
CREATE MATERIALIZED VIEW person_rows AS SELECT * FROM person;
CREATE MATERIALIZED VIEW auction_rows AS SELECT * FROM auction;
CREATE MATERIALIZED VIEW bid_rows AS SELECT * FROM bid;
CREATE MATERIALIZED VIEW bids_per_auction AS SELECT auction, COUNT(*) AS n FROM bid GROUP BY auction;
`;

/** Queries over person, auction and bid; the oracle reads the *_rows copies. */
const EXAMPLES: { name: string; sql: string }[] = [
  // Nexmark-style: auctions that got a bid over X (RisingWave's IN-subquery example shape).
  { name: 'hot_auctions', sql: `SELECT id, item_name, category FROM auction WHERE id IN (SELECT auction FROM bid WHERE price > 20000000)` },
  // Auctions nobody bid on (a correlated NOT EXISTS: rows leave as their first bid arrives).
  { name: 'unbid_auctions', sql: `SELECT id, seller FROM auction AS a WHERE NOT EXISTS (SELECT * FROM bid AS b WHERE b.auction = a.id)` },
  // Sellers: persons who opened an auction in category 10.
  { name: 'sellers', sql: `SELECT id, name FROM person AS p WHERE EXISTS (SELECT 1 FROM auction AS a WHERE a.seller = p.id AND a.category = 10)` },
  // Bids above their auction's average (a correlated scalar aggregate in WHERE).
  { name: 'above_average', sql: `SELECT auction, bidder, price FROM bid AS b WHERE b.price > (SELECT AVG(price) FROM bid AS b2 WHERE b2.auction = b.auction)` },
  // Per auction, how many bids it has (COUNT of none is 0) and the highest bid over all.
  {
    name: 'bid_counts',
    sql: `SELECT id, (SELECT COUNT(*) FROM bid AS b WHERE b.auction = a.id) AS bids, (SELECT MAX(price) FROM bid) AS top FROM auction AS a`,
  },
  // Over an upstream view's changelog: auctions whose bid count passed 10.
  { name: 'busy_auctions', sql: `SELECT id, category FROM auction WHERE id IN (SELECT auction FROM bids_per_auction WHERE n > 10)` },
  // Persons in a state where no auction's seller lives: NOT IN over a changelog-free column.
  { name: 'not_in_states', sql: `SELECT id, state FROM person WHERE id NOT IN (SELECT seller FROM auction WHERE category < 12)` },
];

const rowsOf = (rows: Record<string, unknown>[]): unknown[][] => rows.map((r) => Object.values(r).map(normalize));

describe('RisingWave / Flink style subqueries over Nexmark equal DuckDB', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open();
    await engine.execute(SOURCES);
    for (const e of EXAMPLES) await engine.execute(`CREATE MATERIALIZED VIEW ${e.name} AS ${e.sql}`);
  });
  afterAll(() => engine.close());

  for (const e of EXAMPLES) {
    it(e.name, async () => {
      const actual = rowsOf(await engine.query(`SELECT * FROM ${e.name}`));
      const oracleSql = e.sql.replace(/\bFROM (person|auction|bid)\b/g, 'FROM $1_rows');
      const expected = rowsOf(await engine.query(oracleSql));
      expect(oracleSql).toContain('_rows');
      expect(expected.length).toBeGreaterThan(0);
      assertSameRows(actual, expected, e.name);
    });
  }
});

describe("Flink's documented IN example", () => {
  it('SELECT user, amount FROM Orders WHERE product IN (SELECT product FROM NewProducts)', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(`CREATE SOURCE orders ("user" VARCHAR, product VARCHAR, amount INT);
        CREATE SOURCE newproducts (product VARCHAR);
        CREATE MATERIALIZED VIEW v AS SELECT "user", amount FROM orders WHERE product IN (SELECT product FROM newproducts)`);
      await engine.insert('orders', [
        { user: 'ann', product: 'rubber', amount: 1 },
        { user: 'bob', product: 'pen', amount: 2 },
        { user: 'cid', product: null, amount: 3 },
      ]);
      expect(rowsOf(await engine.query(`SELECT * FROM v`))).toEqual([]);
      // The match arrives after the order: the order enters the view then.
      await engine.insert('newproducts', [{ product: 'rubber' }, { product: null }, { product: 'rubber' }]);
      expect(rowsOf(await engine.query(`SELECT * FROM v ORDER BY amount`))).toEqual([['ann', 1]]);
      // The same query as a pull query over views, answered by DuckDB.
      await engine.execute(`CREATE MATERIALIZED VIEW o AS SELECT * FROM orders; CREATE MATERIALIZED VIEW np AS SELECT * FROM newproducts`);
      expect(rowsOf(await engine.query(`SELECT "user", amount FROM o WHERE product NOT IN (SELECT product FROM np WHERE product IS NOT NULL)`))).toEqual([
        ['bob', 2],
      ]);
    } finally {
      await engine.close();
    }
  });
});

describe('semi / anti join state survives a restart', () => {
  it('views reopened from a checkpoint end as views that saw every row in one run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-subquery-'));
    const setup = `CREATE SOURCE a (k VARCHAR, x INT); CREATE SOURCE b (k VARCHAR, x INT);
      CREATE MATERIALIZED VIEW v_semi AS SELECT k, x FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.k = a.k AND b.x > 0);
      CREATE MATERIALIZED VIEW v_not_in AS SELECT k, x FROM a WHERE x NOT IN (SELECT x FROM (SELECT x, COUNT(*) AS n FROM b GROUP BY x) AS g WHERE g.n = 1);
      CREATE MATERIALIZED VIEW v_counts AS SELECT k, (SELECT COUNT(*) FROM b WHERE b.k = a.k) AS n FROM a;`;
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ k: ['p', 'q', null][(from + i) % 3], x: (from + i) % 7 === 0 ? null : ((from + i) * 5) % 11 - 3 }));
    const feed = async (e: Engine, from: number, to: number) => {
      await e.insert('a', rows(from, to));
      await e.insert('b', rows(from + 1, to + 2).reverse());
    };
    const read = async (e: Engine) => Promise.all(['v_semi', 'v_not_in', 'v_counts'].map(async (v) => rowsOf(await e.query(`SELECT * FROM ${v}`))));
    try {
      const first = await Engine.open({ path: join(dir, 'db.duckdb') });
      await first.execute(setup);
      await feed(first, 0, 10);
      await first.checkpoint();
      await feed(first, 10, 20);
      await first.checkpoint(); // incremental: what changed since the first

      await feed(first, 20, 25); // after the checkpoint: replayed from the event log on reopen
      await first.close();
      const second = await Engine.open({ path: join(dir, 'db.duckdb') });
      await feed(second, 25, 40);
      const after = await read(second);
      await second.close();

      const whole = await Engine.open();
      await whole.execute(setup);
      await feed(whole, 0, 10);
      await feed(whole, 10, 20);
      await feed(whole, 20, 25);
      await feed(whole, 25, 40);
      const expected = await read(whole);
      await whole.close();
      after.forEach((r, i) => assertSameRows(r, expected[i]!, ['v_semi', 'v_not_in', 'v_counts'][i]!));
      expect(expected.every((r) => r.length > 0)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a left row retracted between two checkpoints stays gone after a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-subquery-'));
    const path = join(dir, 'db.duckdb');
    try {
      const first = await Engine.open({ path });
      await first.execute(`CREATE SOURCE l (x INT); CREATE SOURCE r (x INT);
        CREATE MATERIALIZED VIEW once_matched AS SELECT g.x FROM (SELECT x, COUNT(*) AS n FROM l GROUP BY x) AS g
          WHERE g.n = 1 AND g.x IN (SELECT x FROM r)`);
      await first.insert('l', [{ x: 1 }, { x: 2 }]);
      await first.checkpoint();
      await first.insert('l', [{ x: 1 }]); // x = 1 leaves the left side
      await first.checkpoint();
      await first.close();
      const second = await Engine.open({ path });
      await second.insert('r', [{ x: 1 }, { x: 2 }]);
      expect(rowsOf(await second.query(`SELECT x FROM once_matched`))).toEqual([[2]]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
