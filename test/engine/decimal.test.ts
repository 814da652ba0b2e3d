/**
 * Exact DECIMAL through the engine (SPEC 2.1, 2.7): views over random DECIMAL columns give,
 * digit for digit, what DuckDB gives for the same SQL over the same rows — arithmetic,
 * comparisons, casts, ROUND, aggregates with GROUP BY, a tumbling window, OVER, and a GROUP
 * BY over a GROUP BY (retractions) — and the values stay exact through the API, jsonl,
 * a reopen, and the error cases.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DuckDBDecimalValue, DuckDBInstance } from '@duckdb/node-api';
import { Decimal, Field, makeData, RecordBatch, Schema, Struct, tableFromArrays } from 'apache-arrow';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, SluiceError } from '../../src/index.js';
import { formatDecimal } from '../../src/decimal.js';
import { runs, T0 } from './oracle.js';

const COLUMNS = 'k VARCHAR, a DECIMAL(10,2), b DECIMAL(6,3), i INT, ts TIMESTAMP';
const SOURCE = `CREATE SOURCE s (${COLUMNS}, WATERMARK FOR ts AS ts)`;
/** The time of the last event, past every window the views below close. */
const FLUSH_TS = T0 + 3_600_000;

/** Runs `f` with a fresh engine (in memory unless `options` say otherwise) and closes it. */
async function withEngine(f: (engine: Engine) => Promise<void>, options?: Parameters<typeof Engine.open>[0]): Promise<void> {
  const engine = await Engine.open(options);
  try {
    await f(engine);
  } finally {
    await engine.close();
  }
}

/** [view name, sluice SQL, DuckDB SQL (the same when omitted)] over s / table s. */
const VIEWS: readonly (readonly [string, string, string?])[] = [
  [
    'arith',
    `SELECT k, a + b AS x1, a - b AS x2, a * b AS x3, a / NULLIF(b, 0) AS x4, a * 2 + 0.5 AS x5, -a AS x6, ABS(b) AS x7,
       a + i AS x8, a * i AS x9, a % NULLIF(b, 0) AS x10, 0.1 + 0.2 AS x11, a * 1.5 - b AS x12 FROM s`,
  ],
  [
    'cmp',
    `SELECT k, a > b AS c1, a = 1.50 AS c2, a BETWEEN -1 AND 1.5 AS c3, a IN (1.50, 2, -0.05) AS c4, b <= i AS c5,
       CASE WHEN i > 0 THEN a ELSE b END AS c6, COALESCE(a, b, 0) AS c7, NULLIF(a, 0.00) AS c8, NULLIF(a, 0) AS c9, NULLIF(b, a) AS c10, COALESCE(a, 100) AS c11 FROM s`,
  ],
  [
    'casts',
    `SELECT k, CAST(a AS DECIMAL(12,1)) AS y1, CAST(b AS INT) AS y2, CAST(a AS BIGINT) AS y3, CAST(a AS VARCHAR) AS y4,
       CAST(a AS DOUBLE) AS y5, CAST(b AS DECIMAL(6,2)) AS y6, CAST(i AS DECIMAL(12,2)) AS y7, CAST(CAST(a AS VARCHAR) AS DECIMAL(11,3)) AS y8,
       ROUND(a, 1) AS r1, ROUND(b) AS r2, ROUND(a, -1) AS r3, ROUND(b, 5) AS r4, FLOOR(b) AS r5, CEIL(b) AS r6 FROM s`,
  ],
  ['agg', `SELECT k, SUM(a) AS sa, AVG(a) AS aa, MIN(b) AS lo, MAX(b) AS hi, SUM(a * b) AS sab, SUM(b) AS sb, COUNT(a) AS n FROM s GROUP BY k`],
  [
    'win',
    `SELECT SUM(a) AS sa, MAX(b) AS mb, AVG(b) AS ab, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end`,
    `SELECT SUM(a) AS sa, MAX(b) AS mb, AVG(b) AS ab, COUNT(*) AS n FROM s
       GROUP BY time_bucket(INTERVAL '10 seconds', ts, TIMESTAMP '1970-01-01')`,
  ],
  ['ovr', `SELECT k, a, SUM(a) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS w FROM s WHERE k <> 'zz'`],
  // A GROUP BY over a GROUP BY: every new row of a key retracts its previous sum.
  ['regroup', `SELECT SUM(sa) AS total, MAX(sa) AS top, MIN(sb) AS low, COUNT(*) AS n FROM (SELECT k, SUM(a) AS sa, SUM(b) AS sb FROM s GROUP BY k)`],
  ['bysum', `SELECT sb, COUNT(*) AS n FROM (SELECT k, SUM(b) AS sb FROM s GROUP BY k) GROUP BY sb`],
];

interface Ev {
  k: string;
  a: number | null;
  b: number | null;
  i: number | null;
}

const unscaled = (max: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: -max, max }) },
    // Halves, for rounding: x.x5 at two decimals, x.xx5 at three.
    { weight: 1, arbitrary: fc.integer({ min: -999, max: 999 }).map((n) => n * 10 + 5) },
  );
const evArb: fc.Arbitrary<Ev> = fc.record({
  k: fc.constantFrom('a', 'b', 'c'),
  a: fc.option(unscaled(99_999_999), { nil: null, freq: 6 }),
  b: fc.option(unscaled(999_999), { nil: null, freq: 6 }),
  i: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null, freq: 6 }),
});

/** A value as both sides print it: DECIMAL digits, other numbers to 12 significant digits. */
function canonical(v: unknown): unknown {
  if (v instanceof DuckDBDecimalValue) return v.toString();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && !Number.isInteger(v)) return Number(v.toPrecision(12));
  return v;
}

const key = (r: readonly unknown[]) => JSON.stringify(r.map(canonical));

describe('DECIMAL views equal DuckDB digit for digit', () => {
  let instance: DuckDBInstance;
  afterAll(() => instance?.closeSync());

  it('on random rows (negatives, NULLs, halves), appended in several inserts', async () => {
    instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    await fc.assert(
      fc.asyncProperty(fc.array(evArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), async (evs, parts) => {
        // Strings and numbers both: the API takes either, exactly.
        const rows = evs.map((e, n) => ({
          k: e.k,
          a: e.a === null ? null : n % 2 === 0 ? formatDecimal(e.a, 2) : Number(formatDecimal(e.a, 2)),
          b: e.b === null ? null : formatDecimal(e.b, 3),
          i: e.i,
          ts: T0 + n * 1500,
        }));
        rows.push({ k: 'zz', a: null, b: null, i: null, ts: FLUSH_TS });
        const engine = await Engine.open();
        try {
          await engine.execute(SOURCE);
          for (const [name, sql] of VIEWS) await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql}`);
          const step = Math.ceil(rows.length / parts);
          for (let at = 0; at < rows.length; at += step) await engine.insert('s', rows.slice(at, at + step));
          await duck.run(`CREATE OR REPLACE TABLE s (${COLUMNS})`);
          const values = rows.map((r) => `('${r.k}', ${r.a === null ? 'NULL' : `'${r.a}'`}, ${r.b === null ? 'NULL' : `'${r.b}'`}, ${r.i ?? 'NULL'}, make_timestamp(${r.ts * 1000}::BIGINT))`);
          await duck.run(`INSERT INTO s VALUES ${values.join(', ')}`);
          for (const [name, sql, duckSql] of VIEWS) {
            const got = (await engine.query(`SELECT * FROM ${name}`)).map((r) => key(Object.values(r))).sort();
            const want = (await duck.runAndReadAll(duckSql ?? sql)).getRows().map((r) => key(r)).sort();
            expect(got, name).toEqual(want);
          }
        } finally {
          await engine.close();
        }
      }),
      { numRuns: runs(6) },
    );
  }, 300_000);

  it('types every view column as DuckDB types the same expression', async () => {
    const duck = await instance.connect();
    await withEngine(async (engine) => {
      await engine.execute(SOURCE);
      await duck.run(`CREATE OR REPLACE TABLE s (${COLUMNS})`);
      for (const [name, sql, duckSql] of VIEWS) {
        await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql}`);
        const ours = await engine.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${name}' ORDER BY ordinal_position`);
        await duck.run(`CREATE OR REPLACE TABLE ${name} AS ${duckSql ?? sql}`);
        const theirs = (await duck.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${name}' ORDER BY ordinal_position`)).getRowObjectsJS();
        // sluice keeps INT results of integer arithmetic as BIGINT and has no HUGEINT: compare the DECIMAL and DOUBLE
        // columns (x10, a DECIMAL %, aside).
        const pick = (rs: readonly Record<string, unknown>[]) =>
          rs.filter((r) => /^(DECIMAL|DOUBLE)/.test(String(r['data_type'])) && String(r['column_name']) !== 'x10').map((r) => `${String(r['column_name'])} ${String(r['data_type'])}`);
        expect(pick(ours), name).toEqual(pick(theirs));
      }
    });
  });
});

describe('DECIMAL through the API, sinks and storage', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'sluice-decimal-'));
    dirs.push(d);
    return d;
  };

  it("0.1 + 0.2 is '0.3'; a DECIMAL(10,2) column reads '1234.50' from a view, a pull query and a transient query", async () => {
    await withEngine(async (engine) => {
      expect(await engine.query('SELECT 0.1 + 0.2 AS x')).toEqual([{ x: '0.3' }]);
      await engine.execute(`CREATE SOURCE pay (id INT, amount DECIMAL(10,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await engine.execute(`CREATE MATERIALIZED VIEW v AS SELECT id, amount, amount + 0.1 + 0.2 AS plus FROM pay`);
      await engine.insert('pay', [{ id: 1, amount: '1234.5', ts: T0 }, { id: 2, amount: 0.1, ts: T0 }]);
      expect(await engine.query('SELECT * FROM v ORDER BY id')).toEqual([
        { id: 1, amount: '1234.50', plus: '1234.80' },
        { id: 2, amount: '0.10', plus: '0.40' },
      ]);
      expect(await engine.query('SELECT SUM(amount) AS t FROM v')).toEqual([{ t: '1234.60' }]);
      expect(await engine.query('SELECT id FROM v WHERE amount > ?', [1])).toEqual([{ id: 1 }]);
      const [r] = await engine.execute('SELECT id, amount * 3 AS triple, CAST(amount AS VARCHAR) AS t FROM pay WHERE amount > 1.00');
      expect(r!.rows).toEqual([{ id: 1, triple: '3703.50', t: '1234.50' }]);
    });
  });

  it('an Arrow Decimal column given to insert is read at its own scale, exactly, rounding half away from zero', async () => {
    await withEngine(async (engine) => {
      await engine.execute(`CREATE SOURCE pay (id INT, amount DECIMAL(10,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await engine.execute(`CREATE MATERIALIZED VIEW v AS SELECT id, amount FROM pay`);
      // Arrow Decimal(scale 3, precision 12, 128-bit): unscaled 12345 (12.345), -1235 (-1.235), 7 (0.007), null.
      const type = new Decimal(3, 12, 128);
      const words = new Uint32Array([12345, 0, 0, 0, -1235 >>> 0, ~0 >>> 0, ~0 >>> 0, ~0 >>> 0, 7, 0, 0, 0, 0, 0, 0, 0]);
      const amount = makeData({ type, length: 4, data: words, nullCount: 1, nullBitmap: new Uint8Array([0b0111]) });
      const batch = tableFromArrays({ id: Int32Array.from([1, 2, 3, 4]), ts: Float64Array.from([T0, T0, T0, T0]) }).batches[0]!;
      const fields = [batch.schema.fields[0]!, new Field('amount', type, true), batch.schema.fields[1]!];
      const children = [batch.data.children[0]!, amount, batch.data.children[1]!];
      const rb = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 4, children }));
      expect(await engine.insert('pay', rb)).toMatchObject({ inserted: 4, rejected: 0 });
      expect(await engine.query('SELECT * FROM v ORDER BY id')).toEqual([
        { id: 1, amount: '12.35' },
        { id: 2, amount: '-1.24' },
        { id: 3, amount: '0.01' },
        { id: 4, amount: null },
      ]);
    });
  });

  it('MATCH_RECOGNIZE aggregates a DECIMAL exactly: SUM keeps the scale, AVG is the DOUBLE of the exact mean', async () => {
    await withEngine(async (engine) => {
      await engine.execute(`CREATE SOURCE ticker (symbol VARCHAR, rowtime TIMESTAMP, price DECIMAL(10,2), WATERMARK FOR rowtime AS rowtime)`);
      // Flink's aggregation example (A+ B while AVG(A.price) < 15) with prices in hundredths.
      await engine.execute(`CREATE MATERIALIZED VIEW v AS SELECT * FROM ticker MATCH_RECOGNIZE (
        PARTITION BY symbol ORDER BY rowtime
        MEASURES FIRST(A.rowtime) AS t0, AVG(A.price) AS avg_price, SUM(A.price) AS total, MAX(A.price) AS top
        ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
        PATTERN (A+ B)
        DEFINE A AS AVG(A.price) < 0.15)`);
      const prices = ['0.12', '0.17', '0.13', '0.16', '0.25', '0.02', '0.04', '0.10', '0.15', '0.25', '0.25', '0.30'];
      await engine.insert('ticker', prices.map((price, i) => ({ symbol: 'ACME', rowtime: T0 + i * 1000, price })));
      await engine.endOfStream('ticker');
      expect((await engine.query('SELECT avg_price, total, top FROM v ORDER BY t0'))).toEqual([
        { avg_price: 0.145, total: '0.58', top: '0.17' },
        { avg_price: 0.135, total: '0.81', top: '0.25' },
      ]);
    });
  });

  it('jsonl and csv sources read a DECIMAL from its digits; too many digits make a dead letter', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'pay.jsonl'),
      ['{"id":1,"amount":12.35,"ts":"2024-01-01T00:00:00Z"}', '{"id":2,"amount":"0.005","ts":"2024-01-01T00:00:01Z"}', '{"id":3,"amount":123456.7,"ts":"2024-01-01T00:00:02Z"}', '{"id":4,"amount":-1e-2,"ts":"2024-01-01T00:00:03Z"}'].join('\n') + '\n',
    );
    writeFileSync(join(dir, 'pay.csv'), 'id,amount,ts\n1,0.10,2024-01-01T00:00:00Z\n2, -2.675 ,2024-01-01T00:00:01Z\n3,abc,2024-01-01T00:00:02Z\n');
    await withEngine(async (engine) => {
      await engine.execute(`
        CREATE SOURCE pj (id INT, amount DECIMAL(6,2), ts TIMESTAMP) WITH (connector = 'file', path = '${join(dir, 'pay.jsonl')}', format = 'jsonl');
        CREATE SOURCE pc (id INT, amount DECIMAL(6,2), ts TIMESTAMP) WITH (connector = 'file', path = '${join(dir, 'pay.csv')}', format = 'csv');
        CREATE MATERIALIZED VIEW vj AS SELECT id, amount FROM pj;
        CREATE MATERIALIZED VIEW vc AS SELECT id, amount FROM pc;`);
      expect(await engine.query('SELECT * FROM vj ORDER BY id')).toEqual([
        { id: 1, amount: '12.35' },
        { id: 2, amount: '0.01' },
        { id: 4, amount: '-0.01' },
      ]);
      expect(await engine.query('SELECT * FROM vc ORDER BY id')).toEqual([
        { id: 1, amount: '0.10' },
        { id: 2, amount: '-2.68' },
      ]);
      const dead = await engine.query(`SELECT source, reason FROM sluice_dead_letters ORDER BY source`);
      expect(dead).toEqual([
        { source: 'pc', reason: expect.stringContaining("column amount: expected DECIMAL(6,2), got 'abc'") },
        { source: 'pj', reason: expect.stringContaining('column amount: 123456.7 is out of range for DECIMAL(6,2)') },
      ]);
    });
  });

  it('a jsonl sink prints the exact digits as JSON numbers, csv the digits', async () => {
    const dir = tmp();
    const engine = await Engine.open();
    try {
      await engine.execute(`CREATE SOURCE pay (id INT, amount DECIMAL(10,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await engine.execute(`CREATE VIEW v AS SELECT id, amount FROM pay`);
      await engine.execute(`CREATE SINK j FROM v WITH (connector = 'file', path = '${join(dir, 'out.jsonl')}')`);
      await engine.execute(`CREATE SINK c FROM v WITH (connector = 'file', path = '${join(dir, 'out.csv')}', format = 'csv')`);
      await engine.insert('pay', [{ id: 1, amount: '1234.50', ts: T0 }, { id: 2, amount: '-0.05', ts: T0 }]);
      await engine.close();
      expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toBe('{"id":1,"amount":1234.50}\n{"id":2,"amount":-0.05}\n');
      expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe('id,amount\n1,1234.50\n2,-0.05\n');
    } finally {
      await engine.close().catch(() => undefined);
    }
  });

  it('keeps exact values across a reopen, in views and in the replayed log', async () => {
    const path = join(tmp(), 'db.duckdb');
    let engine = await Engine.open({ path });
    await engine.execute(`CREATE SOURCE pay (k VARCHAR, amount DECIMAL(20,4), small DECIMAL(4,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    await engine.execute(`CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(amount) AS s, SUM(small) AS t FROM pay GROUP BY k`);
    await engine.insert('pay', [
      { k: 'x', amount: '900719925474.0991', small: '99.99', ts: T0 },
      { k: 'x', amount: '-0.0001', small: '-99.99', ts: T0 },
    ]);
    await engine.close();
    engine = await Engine.open({ path });
    try {
      expect(await engine.query('SELECT * FROM totals')).toEqual([{ k: 'x', s: '900719925474.0990', t: '0.00' }]);
      await engine.insert('pay', [{ k: 'x', amount: '0.0001', small: '0.01', ts: T0 + 1 }]);
      // A view created now replays the log written before the reopen.
      await engine.execute(`CREATE MATERIALIZED VIEW again AS SELECT k, SUM(amount) AS s, MAX(small) AS m FROM pay GROUP BY k`);
      expect(await engine.query('SELECT * FROM again')).toEqual([{ k: 'x', s: '900719925474.0991', m: '99.99' }]);
    } finally {
      await engine.close();
    }
  });

  it('subscribe, CHANGES(v), AS OF and REBUILD give the exact values', async () => {
    const path = join(tmp(), 'db.duckdb');
    await withEngine(async (engine) => {
      await engine.execute(`CREATE SOURCE pay (k VARCHAR, amount DECIMAL(10,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await engine.execute(`CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(amount) AS s FROM pay GROUP BY k`);
      const seen: unknown[] = [];
      const sub = engine.subscribe('totals', (c) => seen.push(c.row['s']));
      await engine.insert('pay', [{ k: 'x', amount: '0.10', ts: T0 }]);
      await engine.insert('pay', [{ k: 'x', amount: '0.20', ts: T0 + 1 }]);
      await new Promise((r) => setTimeout(r, 50));
      sub.unsubscribe();
      expect(seen).toEqual(['0.10', '0.10', '0.30']);
      const changes = await engine.query(`SELECT c.op, c.s FROM CHANGES(totals) c ORDER BY c.seq`);
      expect(changes.map((r) => r['s'])).toEqual(['0.10', '0.10', '0.30']);
      expect(await engine.query('SELECT s FROM totals AS OF OFFSET 0')).toEqual([{ s: '0.10' }]);
      await engine.execute('REBUILD MATERIALIZED VIEW totals');
      expect(await engine.query('SELECT s FROM totals')).toEqual([{ s: '0.30' }]);
    }, { path });
  });

  it('ALTER COLUMN widens a DECIMAL: old events read the same in new views and after a reopen with REBUILD', async () => {
    const path = join(tmp(), 'db.duckdb');
    let engine = await Engine.open({ path });
    await engine.execute(`CREATE SOURCE pay (k VARCHAR, amount DECIMAL(6,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
    await engine.execute(`CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(amount) AS s FROM pay GROUP BY k`);
    await engine.insert('pay', [{ k: 'x', amount: '9999.99', ts: T0 }]);
    await expect(engine.execute(`ALTER SOURCE pay ALTER COLUMN amount TYPE DECIMAL(6,1)`)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    // Widening the scale would change SUM's type, so the view that reads it refuses; more digits do not.
    await expect(engine.execute(`ALTER SOURCE pay ALTER COLUMN amount TYPE DECIMAL(12,3)`)).rejects.toMatchObject({ code: 'CATALOG' });
    await engine.execute(`ALTER SOURCE pay ALTER COLUMN amount TYPE DECIMAL(12,2)`);
    await engine.insert('pay', [{ k: 'x', amount: '123456789.01', ts: T0 + 1 }]);
    expect(await engine.query('SELECT * FROM totals')).toEqual([{ k: 'x', s: '123466789.00' }]);
    await engine.execute(`CREATE MATERIALIZED VIEW again AS SELECT k, SUM(amount) AS s, MIN(amount) AS m FROM pay GROUP BY k`);
    expect(await engine.query('SELECT * FROM again')).toEqual([{ k: 'x', s: '123466789.00', m: '9999.99' }]);
    await engine.close();
    engine = await Engine.open({ path });
    try {
      await engine.execute('REBUILD MATERIALIZED VIEW again');
      expect(await engine.query('SELECT * FROM again')).toEqual([{ k: 'x', s: '123466789.00', m: '9999.99' }]);
    } finally {
      await engine.close();
    }
  });

  it('a postgres sink keeps numeric(p,s) columns with the exact values', async () => {
    const url = process.env['SLUICE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
    const table = `dec_${process.pid}_totals`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const engine = await Engine.open();
    try {
      await engine.execute(`
        CREATE SOURCE pay (k BIGINT, amount DECIMAL(12,2), ts TIMESTAMP, WATERMARK FOR ts AS ts);
        CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(amount) AS total, MAX(amount) AS top FROM pay GROUP BY k;
        CREATE SINK dec_${process.pid}_s FROM totals WITH (connector = 'postgres', url = '${url}', table = '${table}');`);
      await engine.insert('pay', [
        { k: 1, amount: '0.10', ts: T0 },
        { k: 1, amount: '0.20', ts: T0 },
        { k: 2, amount: '99999999.99', ts: T0 },
        { k: 2, amount: '-0.01', ts: T0 },
      ]);
      await engine.checkpoint();
      const cols = await client.query(`SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table]);
      expect(cols.rows.slice(1)).toEqual([
        { column_name: 'total', data_type: 'numeric', numeric_precision: 38, numeric_scale: 2 },
        { column_name: 'top', data_type: 'numeric', numeric_precision: 12, numeric_scale: 2 },
      ]);
      const rows = await client.query(`SELECT k::text, total::text, top::text FROM "${table}" ORDER BY k`);
      expect(rows.rows).toEqual([
        { k: '1', total: '0.30', top: '0.20' },
        { k: '2', total: '99999999.98', top: '99999999.99' },
      ]);
    } finally {
      await engine.close();
      await client.query(`DROP TABLE IF EXISTS "${table}"`);
      await client.query(`DELETE FROM sluice_sink_positions WHERE sink LIKE 'dec_${process.pid}%'`).catch(() => undefined);
      await client.end();
    }
  });

  it('refuses an out-of-range value with OVERFLOW and writes nothing of the insert', async () => {
    await withEngine(async (engine) => {
      await engine.execute(`CREATE SOURCE pay (id INT, amount DECIMAL(6,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await engine.execute(`CREATE MATERIALIZED VIEW n AS SELECT COUNT(*) AS n FROM pay`);
      const bad = engine.insert('pay', [{ id: 1, amount: '1.00', ts: T0 }, { id: 2, amount: '12345.67', ts: T0 }]);
      await expect(bad).rejects.toThrow(SluiceError);
      await expect(bad).rejects.toMatchObject({ code: 'OVERFLOW', message: expect.stringMatching(/row 1: column amount.*'12345\.67'.*DECIMAL\(6,2\)/) });
      await expect(engine.execute(`INSERT INTO pay VALUES (3, 99999.5, TIMESTAMP '2024-01-01 00:00:00')`)).rejects.toMatchObject({ code: 'OVERFLOW' });
      expect(await engine.query('SELECT n FROM n')).toEqual([{ n: 0 }]);
      await expect(engine.execute(`SELECT CAST(123.45 AS DECIMAL(4,2)) AS x`)).rejects.toMatchObject({ code: 'OVERFLOW' });
      await expect(engine.execute(`CREATE VIEW w AS SELECT CAST(amount AS DECIMAL(39,2)) AS x FROM pay`)).rejects.toMatchObject({ code: 'TYPE' });
    });
  });

  it('a product past 2^53 unscaled is an OVERFLOW, never a rounded float', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(`CREATE SOURCE pay (id INT, amount DECIMAL(18,6), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await engine.execute(`CREATE MATERIALIZED VIEW sq AS SELECT amount * amount AS x FROM pay`);
      await engine.insert('pay', [{ id: 1, amount: '3.000001', ts: T0 }]);
      expect(await engine.query('SELECT x FROM sq')).toEqual([{ x: '9.000006000001' }]);
      await expect(engine.insert('pay', [{ id: 2, amount: '123456.123456', ts: T0 }])).rejects.toMatchObject({ code: 'OVERFLOW' });
    } finally {
      await engine.close().catch(() => undefined);
    }
  });

  it('a SUM past 2^53 unscaled is an OVERFLOW naming the aggregate', async () => {
    const engine = await Engine.open();
    try {
      await engine.execute(`CREATE SOURCE pay (id INT, amount DECIMAL(18,2), ts TIMESTAMP, WATERMARK FOR ts AS ts)`);
      await engine.execute(`CREATE MATERIALIZED VIEW total AS SELECT SUM(amount) AS s FROM pay`);
      await engine.insert('pay', [{ id: 1, amount: '50000000000000.00', ts: T0 }]);
      expect(await engine.query('SELECT s FROM total')).toEqual([{ s: '50000000000000.00' }]);
      await expect(engine.insert('pay', [{ id: 2, amount: '50000000000000.00', ts: T0 }])).rejects.toMatchObject({
        code: 'OVERFLOW',
        message: expect.stringContaining('SUM over DECIMAL(18,2) is out of range for DECIMAL(38,2)'),
      });
    } finally {
      await engine.close().catch(() => undefined);
    }
  });
});
