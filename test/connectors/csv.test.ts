import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileReader } from '../../src/connectors/file/file-source.js';
import { openSourceReader, type ReaderOptions } from '../../src/connectors/source-reader.js';
import { rowsOf } from '../../src/exec/batch.js';
import type { Schema } from '../../src/types.js';
import { lineStarts, ms, readAll, tempDir } from './helpers.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/connectors');

// Declared in another order and case than the header (ID;Price;Name;ts;note).
const schema: Schema = [
  { name: 'name', type: 'VARCHAR' },
  { name: 'id', type: 'BIGINT' },
  { name: 'TS', type: 'TIMESTAMP' },
  { name: 'price', type: 'DOUBLE' },
];

function opts(path: string, options: Record<string, string | boolean> = {}, extra: Partial<ReaderOptions> = {}): ReaderOptions {
  return { source: 'orders', schema, eventTimeColumn: 2, options: { path, format: 'csv', delimiter: ';', ...options }, baseDir: FIXTURES, ...extra };
}

const content = readFileSync(join(FIXTURES, 'orders.csv'));
const starts = lineStarts(content);
const lines = content.toString('utf8').split('\r\n');

describe('csv source', () => {
  it('matches header names, handles quoting, empty = NULL, and bad records', async () => {
    const r = await readAll(await openSourceReader('file', opts('orders.csv')), schema);
    expect(r.rows).toEqual([
      ['Smith; John', 1, ms('2024-01-01T00:00:10Z'), 1.5],
      ['say "hi"', 2, ms('2024-01-01T00:00:11Z'), null],
      ['', 5, 1704067215000, 5],
      ['  spaced  ', 9, ms('2024-01-01T00:00:19.250Z'), 9],
    ]);
    expect(r.offsets).toEqual([1, 2, 5, 9].map((l) => starts[l]));
    expect(r.dead.map((d) => [d.offset, d.reason, d.raw])).toEqual([
      [starts[3], "column price: expected DOUBLE, got 'abc'", lines[3]],
      [starts[4], 'expected 5 fields, got 3', lines[4]],
      [starts[6], 'unterminated quoted field', lines[6]],
      [starts[7], 'malformed quoted field (text after the closing quote)', lines[7]],
      [starts[8], 'missing event time column TS', lines[8]],
    ]);
  });

  it('is independent of batch and chunk sizes, and resumes after the header', async () => {
    const whole = await readAll(await openSourceReader('file', opts('orders.csv')), schema);
    const tiny = await readAll(await openFileReader(opts('orders.csv'), { chunkSize: 5 }), schema, 1);
    expect(tiny.rows).toEqual(whole.rows);
    expect(tiny.dead).toEqual(whole.dead);
    for (const k of [1, 2, 4]) {
      const first = await openSourceReader('file', opts('orders.csv'));
      const b = await first.next(k);
      const pos = first.position();
      await first.close();
      const rest = await readAll(await openSourceReader('file', opts('orders.csv', {}, { resumeFrom: pos })), schema);
      expect([...rowsOf(b!.data, schema), ...rest.rows]).toEqual(whole.rows);
      expect([...b!.deadLetters, ...rest.dead]).toEqual(whole.dead);
    }
  });

  it('fails at open when a declared column is not in the header', async () => {
    const bad: Schema = [...schema, { name: 'missing', type: 'INT' }];
    const r = await openSourceReader('file', { ...opts('orders.csv'), schema: bad });
    await expect(r.next(10)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining('column missing') });
    await r.close();
  });

  describe('in a temp folder', () => {
    const tmp = tempDir();
    afterAll(tmp.cleanup);
    const pos: Schema = [
      { name: 'a', type: 'INT' },
      { name: 'b', type: 'BOOLEAN' },
      { name: 'c', type: 'VARCHAR' },
      { name: 'd', type: 'DATE' },
    ];

    it('reads positional fields with header = false and a tab delimiter', async () => {
      writeFileSync(join(tmp.dir, 'p.tsv'), '1\tt\tx,y\t2024-03-01\n2\tFALSE\t"q\tq"\t\n3\t1\t\t\n4\tyes\tz\t2024-01-01\n5\t0\n');
      const o: ReaderOptions = {
        source: 'p',
        schema: pos,
        eventTimeColumn: null,
        options: { path: 'p.tsv', format: 'csv', header: 'false', delimiter: '\\t' },
        baseDir: tmp.dir,
      };
      const r = await readAll(await openSourceReader('file', o), pos);
      expect(r.rows).toEqual([
        [1, true, 'x,y', 19783],
        [2, false, 'q\tq', null],
        [3, true, null, null],
      ]);
      expect(r.dead.map((d) => d.reason)).toEqual(["column b: expected BOOLEAN, got 'yes'", 'expected 4 fields, got 2']);
    });

    it('reads a comma csv with the default options and a final line without newline', async () => {
      writeFileSync(join(tmp.dir, 'c.csv'), '\ufeffa,b,c,d\n1,true,"a,b",\n2,f,,2024-01-02');
      const o: ReaderOptions = { source: 'c', schema: pos, eventTimeColumn: null, options: { path: 'c.csv' }, baseDir: tmp.dir };
      const r = await readAll(await openSourceReader('file', o), pos);
      expect(r.rows).toEqual([
        [1, true, 'a,b', null],
        [2, false, null, 19724],
      ]);
    });
  });
});
