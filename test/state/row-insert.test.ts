/**
 * A lone event is written through a prepared INSERT (row-insert.ts) instead of an
 * appender: the row stored must be the one the appender stores, value for value, and a
 * value the statement cannot bind exactly must leave the table untouched for the appender.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColumnBuilder } from '../../src/exec/batch.js';
import type { ChunkColumn } from '../../src/state/chunk-writer.js';
import { Database } from '../../src/state/database.js';
import { RowInsert } from '../../src/state/row-insert.js';
import type { SqlType, Value } from '../../src/types.js';

const TYPES: SqlType[] = ['BIGINT', 'TIMESTAMP', 'INT', 'DOUBLE', 'VARCHAR', 'BOOLEAN', 'BIGINT', 'TIMESTAMP', 'DOUBLE'];
/** Columns 6–8 come as plain numbers (as offsets and ingest times do), the rest as Arrow data. */
const AS_NUMBERS = new Set([6, 7, 8]);
const DDL = TYPES.map((t, i) => `c${i} ${t === 'INT' ? 'INTEGER' : t}`).join(', ');

const bigint = fc.oneof(fc.constant(null), fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31) - 1));
const time = fc.oneof(fc.constant(null), fc.integer({ min: -2e12, max: 4e12 }), fc.constantFrom(1.7e12 + 0.5, 1.7e12 + 0.9999, -1.5, 0.001));
const double = fc.oneof(fc.constant(null), fc.double(), fc.constantFrom(NaN, -0, Infinity, -Infinity, 0.1));
const int = fc.oneof(fc.constant(null), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const text = fc.oneof(fc.constant(null), fc.string(), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('', '\uFEFFbom', 'a\u0000b', 'x'.repeat(40)));
const bool = fc.oneof(fc.constant(null), fc.boolean());
const rowArb = fc.tuple(bigint, time, int, double, text, bool, bigint, time, double);

/** One row as the table's columns, the way the event log hands them over. */
function columns(row: readonly Value[]): ChunkColumn[] {
  return TYPES.map((type, j) => {
    if (AS_NUMBERS.has(j)) return { type: type as 'BIGINT', numbers: Float64Array.of((row[j] as number | null) ?? 0) };
    const b = new ColumnBuilder(type, 1);
    b.append(row[j] ?? null);
    return { type, data: b.finish() };
  });
}

let db: Database;
beforeAll(async () => {
  db = await Database.open();
  await db.run(`CREATE TABLE by_insert (${DDL})`);
  await db.run(`CREATE TABLE by_appender (${DDL})`);
});
afterAll(() => db.close());

describe('RowInsert', () => {
  it('stores the row the appender stores', async () => {
    const insert = (await RowInsert.prepare(db, 'by_insert', TYPES))!;
    expect(insert).not.toBeNull();
    await fc.assert(
      fc.asyncProperty(rowArb, async (row) => {
        await db.run('DELETE FROM by_insert');
        await db.run('DELETE FROM by_appender');
        const cols = columns(row);
        expect(await insert.run(cols)).toBe(true);
        await db.append('by_appender', cols, 1);
        // As text too: -0, NaN and the last microsecond of a timestamp must survive.
        const read = async (t: string) => {
          const r = await db.query(`SELECT *, ${TYPES.map((_, i) => `c${i}::VARCHAR`).join(', ')} FROM ${t}`);
          return r.rows;
        };
        expect(await read('by_insert')).toEqual(await read('by_appender'));
      }),
      { numRuns: 300 },
    );
    insert.close();
  });

  it('declines what it cannot bind exactly, writing nothing', async () => {
    const insert = (await RowInsert.prepare(db, 'by_insert', TYPES))!;
    await db.run('DELETE FROM by_insert');
    const row: Value[] = [1, 1.7e12, 1, 1, 'a', true, 1, 1.7e12, 1];
    const beyond = columns(row);
    beyond[6] = { type: 'BIGINT', numbers: Float64Array.of(2 ** 60) };
    expect(await insert.run(beyond)).toBe(false);
    const notUtf8 = columns(row);
    const b = new ColumnBuilder('VARCHAR', 1);
    b.appendUtf8(Uint8Array.of(0xff, 0xfe), 0, 2);
    notUtf8[4] = { type: 'VARCHAR', data: b.finish() };
    expect(await insert.run(notUtf8)).toBe(false);
    expect(await db.query('SELECT count(*)::INT FROM by_insert')).toMatchObject({ rows: [[0]] });
    // The statement is still good for the next row.
    expect(await insert.run(columns(row))).toBe(true);
    expect(await db.query('SELECT count(*)::INT FROM by_insert')).toMatchObject({ rows: [[1]] });
    insert.close();
    expect(await RowInsert.prepare(db, 'by_insert', ['BIGINT', 'DATE'])).toBeNull();
  });
});
