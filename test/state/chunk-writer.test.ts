import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/state/database.js';
import { ColumnBuilder, readValue } from '../../src/exec/batch.js';
import type { SqlType, Value } from '../../src/types.js';

function column(type: SqlType, values: Value[]) {
  const b = new ColumnBuilder(type);
  for (const v of values) b.append(v);
  return { type, data: b.finish() };
}

describe('appending columns to DuckDB', () => {
  it('round-trips every type, NULLs, negative and large values, across chunk boundaries', async () => {
    const db = await Database.open();
    await db.run(
      'CREATE TABLE t (o BIGINT, b BOOLEAN, i INTEGER, big BIGINT, d DOUBLE, s VARCHAR, ts TIMESTAMP, dt DATE, iv INTERVAL)',
    );
    const n = 5000;
    const rows: Value[][] = [];
    for (let k = 0; k < n; k++) {
      const nul = k % 7 === 3;
      rows.push([
        nul ? null : k % 2 === 0,
        nul ? null : k - 2500,
        nul ? null : (k % 3 === 0 ? -1 : 1) * (2 ** 52 + k),
        nul ? null : k / 3,
        // Lengths 0 to 30 bytes around the 12 DuckDB stores inline, multi-byte characters.
        nul ? null : k % 4 === 0 ? `s${k}é` : 'é'.repeat(k % 9) + 'x'.repeat(k % 15),
        nul ? null : Date.UTC(2024, 0, 1) + k * 1000 - 5_000_000 + (k % 5 === 0 ? -86_400_000 * 20000 : 0),
        nul ? null : 19_000 + k,
        nul ? null : k * 10,
      ]);
    }
    const types: SqlType[] = ['BOOLEAN', 'INT', 'BIGINT', 'DOUBLE', 'VARCHAR', 'TIMESTAMP', 'DATE', 'INTERVAL'];
    const offsets = Float64Array.from({ length: n }, (_, k) => k);
    await db.append(
      't',
      [{ type: 'BIGINT', numbers: offsets }, ...types.map((t, j) => column(t, rows.map((r) => r[j]!)))],
      n,
    );
    const back = await db.query('SELECT * FROM t ORDER BY o');
    expect(back.rows.length).toBe(n);
    for (let k = 0; k < n; k++) expect(back.rows[k]!.slice(1)).toEqual(rows[k]);
    // DuckDB compares and groups the inline and the heap strings as the values they are.
    for (const probe of ['x'.repeat(12), 'é'.repeat(6), 'é'.repeat(6) + 'x', '']) {
      const want = rows.filter((r) => r[4] === probe).length;
      const got = await db.query(`SELECT count(*) AS c FROM t WHERE s = '${probe}'`);
      expect(Number(got.rows[0]![0])).toBe(want);
    }
    const distinct = await db.query('SELECT count(DISTINCT s) FROM t');
    expect(Number(distinct.rows[0]![0])).toBe(new Set(rows.map((r) => r[4]).filter((v) => v !== null)).size);
    // And back into columns, chunk by chunk.
    let k = 0;
    for await (const chunk of db.readColumns('SELECT * EXCLUDE (o) FROM t ORDER BY o', types)) {
      for (let i = 0; i < chunk.length; i++, k++) {
        expect(types.map((t, j) => readValue(chunk.columns[j]!, i, t))).toEqual(rows[k]);
      }
    }
    expect(k).toBe(n);

    // Parts of uneven sizes share chunks: every row lands once, in order, at its own place.
    await db.run('DELETE FROM t');
    const sizes = [1, 2046, 0, 3, 2048, 700, 202];
    const parts = [];
    let at = 0;
    for (const m of sizes) {
      const part = rows.slice(at, at + m);
      parts.push({
        columns: [{ type: 'BIGINT' as const, numbers: offsets.slice(at, at + m) }, ...types.map((t, j) => column(t, part.map((r) => r[j]!)))],
        n: m,
      });
      at += m;
    }
    await db.appendMany('t', parts);
    const again = await db.query('SELECT * FROM t ORDER BY o');
    expect(again.rows.length).toBe(at);
    for (let r = 0; r < at; r++) expect(again.rows[r]!.slice(1)).toEqual(rows[r]);
    db.close();
  });

  it('a long append (the appender flushed on the way, inside a transaction) lands every row once', async () => {
    const db = await Database.open();
    await db.run('CREATE TABLE t (o BIGINT, s VARCHAR)');
    const n = 100_000;
    const text = Array.from({ length: n }, (_, k) => (k % 11 === 0 ? null : `row ${k} ${'y'.repeat(k % 20)}`));
    await db.transaction(() => db.append('t', [{ type: 'BIGINT', numbers: Float64Array.from({ length: n }, (_, k) => k) }, column('VARCHAR', text)], n));
    const r = await db.query("SELECT count(*), count(DISTINCT o), sum(o), count(s), sum(length(s)) FROM t");
    const len = text.reduce((a, s) => a + (s === null ? 0 : s.length), 0);
    expect(r.rows[0]!.map(Number)).toEqual([n, n, (n * (n - 1)) / 2, text.filter((s) => s !== null).length, len]);
    db.close();
  });

  it('strings of any length, NULLs among them, land as they were in parts of any size (long ones share one heap string per chunk)', async () => {
    const db = await Database.open();
    await db.run('CREATE TABLE t (o BIGINT, s VARCHAR)');
    const text = fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 12 }),
      fc.string({ minLength: 13, maxLength: 80, unit: 'grapheme' }),
      fc.string({ minLength: 11, maxLength: 16 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(text, { maxLength: 3000 }), { minLength: 1, maxLength: 4 }), async (parts) => {
        await db.run('DELETE FROM t');
        let o = 0;
        const want: (string | null)[] = [];
        const chunkParts = parts.map((values) => {
          const numbers = Float64Array.from(values, () => o++);
          want.push(...values);
          return { columns: [{ type: 'BIGINT' as const, numbers }, column('VARCHAR', values)], n: values.length };
        });
        await db.appendMany('t', chunkParts);
        const back = await db.query('SELECT s FROM t ORDER BY o');
        expect(back.rows.map((r) => r[0])).toEqual(want);
        // Compared and hashed by DuckDB as the values they are (a long string's first 4 bytes are in its slot).
        const distinct = await db.query('SELECT count(DISTINCT s) FROM t');
        expect(Number(distinct.rows[0]![0])).toBe(new Set(want.filter((s) => s !== null)).size);
      }),
      { numRuns: 30 },
    );
    db.close();
  });

  it('parts with and without NULLs, of any size, land as they were whichever way each column of a chunk is written', async () => {
    // A column without NULLs in a part goes straight into DuckDB's vector; one with NULLs through
    // the API's JS-side vector, which then takes the rest of that chunk's rows: both orders, in one chunk.
    const db = await Database.open();
    const types: SqlType[] = ['INT', 'BIGINT', 'DOUBLE', 'VARCHAR', 'TIMESTAMP', 'BOOLEAN'];
    await db.run('CREATE TABLE t (o BIGINT, i INTEGER, big BIGINT, d DOUBLE, s VARCHAR, ts TIMESTAMP, b BOOLEAN)');
    const value = (t: SqlType, k: number): Value => {
      switch (t) {
        case 'INT':
          return (k * 7919) % 100_003 - 50_000;
        case 'BIGINT':
          return (k % 2 === 0 ? -1 : 1) * (2 ** 40 + k * 977);
        case 'DOUBLE':
          return k / 7 - 100;
        case 'VARCHAR':
          return k % 3 === 0 ? `s${k}` : `a longer string number ${k} ${'é'.repeat(k % 5)}`;
        case 'TIMESTAMP':
          return 1.7e12 + k * 1001;
        default:
          return k % 3 === 0;
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 2500 }), nulls: fc.array(fc.boolean(), { minLength: types.length, maxLength: types.length }) }), { minLength: 1, maxLength: 5 }),
        async (spec) => {
          await db.run('DELETE FROM t');
          let o = 0;
          const want: Value[][] = [];
          const parts = spec.map(({ n, nulls }) => {
            const rows = Array.from({ length: n }, (_, i) => types.map((t, j) => (nulls[j] && (o + i) % 5 === 2 ? null : value(t, o + i + j))));
            const numbers = Float64Array.from(rows, () => o++);
            want.push(...rows);
            return { columns: [{ type: 'BIGINT' as const, numbers }, ...types.map((t, j) => column(t, rows.map((r) => r[j]!)))], n };
          });
          await db.appendMany('t', parts);
          const back = await db.query('SELECT * EXCLUDE (o) FROM t ORDER BY o');
          expect(back.rows).toEqual(want);
        },
      ),
      { numRuns: 40 },
    );
    db.close();
  });
});
