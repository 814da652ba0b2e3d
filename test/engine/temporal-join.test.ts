/**
 * Event-time temporal join (SPEC 2.7): `orders JOIN rates FOR SYSTEM_TIME AS OF o.ts` over
 * random, out-of-order (never late) orders and rate versions, interleaved in random chunks,
 * must equal DuckDB's ASOF JOIN over the same rows (ties at one time resolved to the later
 * appended version) — INNER and LEFT, against a keyed source and a view with a primary key —
 * and must come out the same after a checkpoint mid-stream and a crash (the DuckDB file as
 * it was, reopened). Plus the errors and the plan.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { SluiceError } from '../../src/errors.js';
import { assertSameRows, normalize, Oracle, T0 } from './oracle.js';

interface Order {
  currency: string | null;
  ts: number;
  amount: number;
}
interface Rate {
  currency: string;
  ts: number;
  rate: number;
}

const DELAY = 3_000;
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'];

/** Times rising by 0–2 s, each moved back by less than the delay: out of order, never late. */
const timesArb = (n: number) =>
  fc.tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n })).map(
    ([steps, back]) => {
      let t = T0 + 10_000;
      return steps.map((s, i) => ((t += s * 1000), t - back[i]! * 1000));
    },
  );

const ordersArb = fc.integer({ min: 5, max: 60 }).chain((n) =>
  fc.tuple(timesArb(n), fc.array(fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 1, max: 99 })), { minLength: n, maxLength: n })).map(([ts, rest]) =>
    ts.map((t, i): Order => ({ currency: rest[i]![0] < 0 ? null : CURRENCIES[rest[i]![0]]!, ts: t, amount: rest[i]![1] })),
  ),
);
// Rates start a little earlier, so some orders come before their currency's first rate.
const ratesArb = fc.integer({ min: 3, max: 40 }).chain((n) =>
  fc.tuple(timesArb(n), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 500 })), { minLength: n, maxLength: n })).map(([ts, rest]) =>
    ts.map((t, i): Rate => ({ currency: CURRENCIES[rest[i]![0]]!, ts: t - 4_000, rate: rest[i]![1] })),
  ),
);
/** How the two streams interleave: chunk sizes, alternating orders and rates. */
const chunksArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 30 });

const DDL = [
  `CREATE SOURCE orders (currency VARCHAR, ts TIMESTAMP, amount INT, WATERMARK FOR ts AS ts - INTERVAL '${DELAY}' MILLISECOND)`,
  `CREATE SOURCE rates (currency VARCHAR, ts TIMESTAMP, rate INT, WATERMARK FOR ts AS ts - INTERVAL '${DELAY}' MILLISECOND) WITH (key = 'currency')`,
  `CREATE MATERIALIZED VIEW rate_versions WITH (primary_key = 'currency') AS SELECT currency, rate * 2 AS rate2, ts FROM rates`,
];
const VIEWS: Record<string, string> = {
  inner_src: `SELECT o.currency, o.ts, o.amount, r.ts AS rts, r.rate FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency`,
  left_src: `SELECT o.currency, o.ts, o.amount, r.ts AS rts, r.rate FROM orders AS o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts r ON r.currency = o.currency`,
  inner_view: `SELECT o.currency, o.ts, o.amount, v.ts AS rts, v.rate2 FROM orders o JOIN rate_versions FOR SYSTEM_TIME AS OF o.ts AS v ON o.currency = v.currency`,
  residual: `SELECT o.currency, o.ts, o.amount, r.ts AS rts, r.rate FROM orders o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency AND r.rate > 100`,
};
const LATEST = `(SELECT * FROM r QUALIFY row_number() OVER (PARTITION BY currency, ts ORDER BY off DESC) = 1)`;
const ORACLE: Record<string, string> = {
  inner_src: `SELECT o.currency, o.ts, o.amount, r.ts, r.rate FROM o ASOF JOIN ${LATEST} r ON o.currency = r.currency AND o.ts >= r.ts`,
  left_src: `SELECT o.currency, o.ts, o.amount, r.ts, r.rate FROM o ASOF LEFT JOIN ${LATEST} r ON o.currency = r.currency AND o.ts >= r.ts`,
  inner_view: `SELECT o.currency, o.ts, o.amount, r.ts, r.rate * 2 FROM o ASOF JOIN ${LATEST} r ON o.currency = r.currency AND o.ts >= r.ts`,
  residual: `SELECT o.currency, o.ts, o.amount, CASE WHEN r.rate > 100 THEN r.ts END, CASE WHEN r.rate > 100 THEN r.rate END
             FROM o ASOF LEFT JOIN ${LATEST} r ON o.currency = r.currency AND o.ts >= r.ts`,
};

let oracle: Oracle;
beforeAll(async () => {
  oracle = await Oracle.create();
});
afterAll(() => oracle.close());

async function loadOracle(orders: readonly Order[], rates: readonly Rate[]): Promise<void> {
  await oracle.run(`CREATE OR REPLACE TABLE o (currency VARCHAR, ts BIGINT, amount INT, off BIGINT)`);
  await oracle.run(`CREATE OR REPLACE TABLE r (currency VARCHAR, ts BIGINT, rate INT, off BIGINT)`);
  const s = (v: string | null) => (v === null ? 'NULL' : `'${v}'`);
  if (orders.length) await oracle.run(`INSERT INTO o VALUES ${orders.map((x, i) => `(${s(x.currency)}, ${x.ts}, ${x.amount}, ${i})`).join(', ')}`);
  if (rates.length) await oracle.run(`INSERT INTO r VALUES ${rates.map((x, i) => `(${s(x.currency)}, ${x.ts}, ${x.rate}, ${i})`).join(', ')}`);
}

/** The two streams as one arrival sequence of inserts: chunks taken alternately. */
function interleave(orders: readonly Order[], rates: readonly Rate[], chunks: readonly number[]): ['orders' | 'rates', object[]][] {
  const out: ['orders' | 'rates', object[]][] = [];
  let [i, j, c] = [0, 0, 0];
  while (i < orders.length || j < rates.length) {
    const size = chunks[c % chunks.length]!;
    const useRates = (c % 2 === 1 && j < rates.length) || i >= orders.length;
    if (useRates) out.push(['rates', rates.slice(j, (j += size)).map((r) => ({ ...r, ts: new Date(r.ts) }))]);
    else out.push(['orders', orders.slice(i, (i += size)).map((o) => ({ ...o, ts: new Date(o.ts) }))]);
    c++;
  }
  return out;
}

async function readAll(engine: Engine): Promise<Map<string, unknown[][]>> {
  const out = new Map<string, unknown[][]>();
  for (const name of Object.keys(VIEWS)) out.set(name, (await engine.query(`SELECT * FROM ${name}`)).map((r) => Object.values(r).map(normalize)));
  return out;
}

async function compare(got: Map<string, unknown[][]>): Promise<void> {
  for (const name of Object.keys(VIEWS)) assertSameRows(got.get(name)!, await oracle.rows(ORACLE[name]!), name);
}

async function setUp(engine: Engine): Promise<void> {
  for (const sql of DDL) await engine.execute(sql);
  for (const [name, sql] of Object.entries(VIEWS)) await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql}`);
}

describe('temporal join', () => {
  it('equals DuckDB ASOF JOIN over random out-of-order streams', async () => {
    await fc.assert(
      fc.asyncProperty(ordersArb, ratesArb, chunksArb, async (orders, rates, chunks) => {
        await loadOracle(orders, rates);
        const engine = await Engine.open();
        try {
          await setUp(engine);
          for (const [source, rows] of interleave(orders, rates, chunks)) await engine.insert(source, rows);
          await engine.endOfStream('orders');
          await engine.endOfStream('rates');
          await compare(await readAll(engine));
          expect(await engine.query(`SELECT count(*) AS n FROM sluice_late_events`)).toEqual([{ n: 0 }]);
        } finally {
          await engine.close();
        }
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  it('keeps state bounded by keys: one version per key once the watermark passes', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(DDL[0]!);
      await engine.execute(DDL[1]!);
      await engine.execute(`CREATE MATERIALIZED VIEW j AS ${VIEWS['inner_src']}`);
      for (let i = 0; i < 50; i++) await engine.insert('rates', CURRENCIES.map((currency, k) => ({ currency, ts: new Date(T0 + i * 1000 + k), rate: i })));
      await engine.insert('orders', [{ currency: 'EUR', ts: new Date(T0 + 60_000), amount: 1 }]);
      // Rates below the watermark (T0 + 46 s) keep only their newest version; the order waits.
      expect(engine.metrics().stateSize).toBeLessThanOrEqual(CURRENCIES.length * 5 + 1);
      expect(engine.metrics().stateSize).toBeGreaterThan(CURRENCIES.length);
    } finally {
      await engine.close();
    }
  });

  it('records a late order in sluice_late_events and does not join it', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(DDL[0]!);
      await engine.execute(DDL[1]!);
      await engine.execute(`CREATE MATERIALIZED VIEW j AS ${VIEWS['inner_src']}`);
      await engine.insert('rates', [{ currency: 'EUR', ts: new Date(T0), rate: 7 }]);
      await engine.insert('orders', [{ currency: 'EUR', ts: new Date(T0 + 10_000), amount: 1 }]);
      await engine.insert('orders', [{ currency: 'EUR', ts: new Date(T0 + 1_000), amount: 2 }]);
      await engine.endOfStream('orders');
      await engine.endOfStream('rates');
      expect((await engine.query(`SELECT amount, rate FROM j`)).map((r) => Object.values(r))).toEqual([[1, 7]]);
      const late = await engine.query(`SELECT source, "view" FROM sluice_late_events`);
      expect(late).toEqual([{ source: 'orders', view: 'j' }]);
    } finally {
      await engine.close();
    }
  });

  it('comes out the same after a checkpoint mid-stream and a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-tj-'));
    try {
      const [orders, rates, chunks] = fc.sample(fc.tuple(ordersArb, ratesArb, chunksArb), { numRuns: 1, seed: 42 })[0]!;
      await loadOracle(orders, rates);
      const steps = interleave(orders, rates, chunks);
      const half = Math.floor(steps.length / 2);
      const path = join(dir, 'a.duckdb');
      const crashed = join(dir, 'b.duckdb');
      const engine = await Engine.open({ path });
      await setUp(engine);
      for (const [source, rows] of steps.slice(0, half)) await engine.insert(source, rows);
      await engine.checkpoint();
      // Logged but not checkpointed: the reopened engine must replay these from the log.
      for (const [source, rows] of steps.slice(half, half + 2)) await engine.insert(source, rows);
      copyFileSync(path, crashed);
      if (existsSync(`${path}.wal`)) copyFileSync(`${path}.wal`, `${crashed}.wal`);
      await engine.close();
      const again = await Engine.open({ path: crashed });
      try {
        for (const [source, rows] of steps.slice(half + 2)) await again.insert(source, rows);
        await again.endOfStream('orders');
        await again.endOfStream('rates');
        await compare(await readAll(again));
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('joins the versions of a GROUP BY view (a changelog keyed by its groups), materialized or plain', async () => {
    const engine = await Engine.open();
    try {
      for (const sql of DDL.slice(0, 2)) await engine.execute(sql);
      const latest = `SELECT currency, MAX(ts) AS ts, SUM(rate) AS total FROM rates GROUP BY currency`;
      await engine.execute(`CREATE MATERIALIZED VIEW latest AS ${latest}`);
      await engine.execute(`CREATE VIEW latest_plain AS ${latest}`);
      const join = (v: string) => `SELECT o.ts, o.amount, r.ts AS rts, r.total FROM orders o JOIN ${v} FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency`;
      await engine.execute(`CREATE MATERIALIZED VIEW j1 AS ${join('latest')}`);
      await engine.execute(`CREATE MATERIALIZED VIEW j2 AS ${join('latest_plain')}`);
      // One insert per rate, so each is a version: (1 s, 10), (3 s, 15), then a late-arriving
      // rate at 2 s leaves MAX(ts) at 3 s: a second version at 3 s, (3 s, 16), appended later.
      for (const [t, rate] of [[1, 10], [3, 5], [2, 1]]) await engine.insert('rates', [{ currency: 'EUR', ts: new Date(T0 + t! * 1000), rate }]);
      await engine.insert('orders', [2, 3, 5].map((t) => ({ currency: 'EUR', ts: new Date(T0 + t * 1000), amount: t })));
      await engine.endOfStream('orders');
      await engine.endOfStream('rates');
      const expected = [
        [T0 + 2000, 2, T0 + 1000, 10],
        [T0 + 3000, 3, T0 + 3000, 16],
        [T0 + 5000, 5, T0 + 3000, 16],
      ];
      for (const v of ['j1', 'j2']) assertSameRows((await engine.query(`SELECT * FROM ${v}`)).map((r) => Object.values(r).map(normalize)), expected, v);
    } finally {
      await engine.close();
    }
  });

  it('shows TemporalJoin in EXPLAIN', async () => {
    const engine = await Engine.open();
    try {
      for (const sql of DDL.slice(0, 2)) await engine.execute(sql);
      const [r] = await engine.execute(`EXPLAIN ${VIEWS['left_src']}`);
      expect(JSON.stringify(r)).toContain('TemporalJoin: LEFT keys=[currency = currency] as of ts versions by ts');
    } finally {
      await engine.close();
    }
  });

  it('refuses what it cannot join, naming the thing at fault', async () => {
    const engine = await Engine.open();
    try {
      for (const sql of DDL) await engine.execute(sql);
      await engine.execute(`CREATE SOURCE plain (currency VARCHAR, ts TIMESTAMP, rate INT, WATERMARK FOR ts AS ts)`);
      const fails = async (sql: string, code: string, text: string) => {
        const e = await engine.execute(sql).then(
          () => null,
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(SluiceError);
        expect((e as SluiceError).code).toBe(code);
        expect((e as SluiceError).message).toContain(text);
      };
      await fails(`SELECT * FROM orders o JOIN plain FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency`, 'BIND', "'plain' has no key");
      await fails(`SELECT * FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.amount = r.rate`, 'BIND', 'equate each key column');
      await fails(`SELECT * FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.amount AS r ON o.currency = r.currency`, 'BIND', 'event-time column of the left side');
      await fails(`SELECT * FROM orders o FULL JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency`, 'UNSUPPORTED', 'INNER or LEFT');
      await fails(`SELECT * FROM rates FOR SYSTEM_TIME AS OF ts`, 'UNSUPPORTED', 'right side of a JOIN');
      await fails(`CREATE MATERIALIZED VIEW bad WITH (primary_key = 'nope') AS SELECT currency, ts FROM rates`, 'BIND', "primary_key 'nope'");
      await fails(`CREATE MATERIALIZED VIEW bad WITH (colour = 'red') AS SELECT currency, ts FROM rates`, 'BIND', "unknown view option 'colour'");
    } finally {
      await engine.close();
    }
  });
});
