/**
 * csv records whose quoted fields hold line breaks (RFC 4180): read as DuckDB's read_csv
 * reads them (the oracle), whatever the read chunk, batch size or resume point; a malformed
 * record over several lines costs its first line only; a quote left open is bounded; a
 * followed file waits for the record's closing quote; and what the csv sink writes reads
 * back.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { openFileReader } from '../../src/connectors/file/file-source.js';
import { MAX_QUOTED_RECORD } from '../../src/connectors/file/line-source.js';
import { openSourceReader, type ReaderOptions } from '../../src/connectors/source-reader.js';
import { rowsOf } from '../../src/exec/batch.js';
import { Engine } from '../../src/index.js';
import type { Schema } from '../../src/types.js';
import { readAll, tempDir } from './helpers.js';

const tmp = tempDir('sluice-csv-ml-');
afterAll(tmp.cleanup);

const schema: Schema = [
  { name: 'id', type: 'BIGINT' },
  { name: 'a', type: 'VARCHAR' },
  { name: 'b', type: 'VARCHAR' },
];

function opts(file: string, extra: Partial<ReaderOptions> = {}, options: Record<string, string> = {}): ReaderOptions {
  return { source: 's', schema, eventTimeColumn: null, options: { path: file, format: 'csv', ...options }, baseDir: tmp.dir, ...extra };
}

/** A field as a csv writer quotes it: only when it holds a quote, the delimiter or a line break. */
function quote(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

async function duckdbRows(path: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(
      `SELECT id, a, b FROM read_csv('${path}', header = true, delim = ',', quote = '"', escape = '"', columns = {'id': 'BIGINT', 'a': 'VARCHAR', 'b': 'VARCHAR'}) ORDER BY id`,
    );
    return r.getRows().map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

// Text with the characters that matter to the record splitter, often.
const piece = fc.constantFrom('x', 'y z', ',', '"', '""', '\n', '\r\n', '\r', 'é', '😀', ' ');
const text = fc.array(piece, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));

describe('csv: quoted fields with line breaks', () => {
  it('reads what DuckDB reads, for any chunk and batch size', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (rows, chunkSize, batch, crlf) => {
          const eol = crlf ? '\r\n' : '\n';
          const body = rows.map(([a, b], i) => `${i},${quote(a)},${quote(b)}`).join(eol);
          const file = `p${run++}.csv`;
          const path = join(tmp.dir, file);
          writeFileSync(path, `id,a,b${eol}${body}${eol}`);
          const expected = await duckdbRows(path);
          // DuckDB keeps a field's line breaks as written (\r\n stays \r\n), as sluice does.
          expect(expected).toEqual(rows.map(([a, b], i) => [i, a, b]));
          const r = await readAll(await openFileReader(opts(file), { chunkSize }), schema, batch);
          expect(r.dead).toEqual([]);
          expect(r.rows).toEqual(expected);
        },
      ),
      { numRuns: 150, seed: 20261205 },
    );
  });

  it('resumes after any record with the rest unchanged, offsets at record starts', async () => {
    const rows = [
      ['one', 'two\nlines'],
      ['"quoted"\r\nand, more', ''],
      ['plain', 'x'],
      ['a\n\nb', '""'],
    ];
    const content = `id,a,b\n${rows.map(([a, b], i) => `${i},${quote(a!)},${quote(b!)}`).join('\n')}\n`;
    writeFileSync(join(tmp.dir, 'r.csv'), content);
    const whole = await readAll(await openSourceReader('file', opts('r.csv')), schema);
    expect(whole.rows).toEqual(rows.map(([a, b], i) => [i, a, b === '' ? null : b]));
    const starts = rows.map((_, i) => Buffer.byteLength(content.slice(0, content.indexOf(`\n${i},`) + 1)));
    expect(whole.offsets).toEqual(starts);
    for (let k = 1; k < rows.length; k++) {
      const first = await openSourceReader('file', opts('r.csv'));
      const b = await first.next(k);
      const pos = first.position();
      await first.close();
      expect(pos).toMatchObject({ offset: starts[k] });
      const rest = await readAll(await openSourceReader('file', opts('r.csv', { resumeFrom: pos })), schema);
      expect([...rowsOf(b!.data, schema), ...rest.rows]).toEqual(whole.rows);
    }
  });

  it('takes a malformed record over several lines back to its first line', async () => {
    const lines = ['id,a,b', '1,"open,x', '2,ok,"y"', '3,"two', 'lines",z', '4,"shut"x,w', '5,fine,"a', 'b"'];
    writeFileSync(join(tmp.dir, 'm.csv'), lines.join('\n') + '\n');
    const r = await readAll(await openFileReader(opts('m.csv'), { chunkSize: 3 }), schema);
    // Line 1's quote would close on line 2 and make one record of 2 fields too many: line 1
    // alone is the dead letter, and line 2 is read as itself.
    expect(r.rows).toEqual([
      [2, 'ok', 'y'],
      [3, 'two\nlines', 'z'],
      [5, 'fine', 'a\nb'],
    ]);
    expect(r.dead.map((d) => [d.raw, d.reason])).toEqual([
      ['1,"open,x', 'unterminated quoted field'],
      ['4,"shut"x,w', 'malformed quoted field (text after the closing quote)'],
    ]);
  });

  it('cuts a record that a quote holds open past the limit at its first newline', async () => {
    const filler = Array.from({ length: Math.ceil(MAX_QUOTED_RECORD / 20) + 10 }, (_, i) => `${i + 10},abcdefgh,ijkl`);
    writeFileSync(join(tmp.dir, 'o.csv'), ['id,a,b', '1,x,"never closed', ...filler].join('\n') + '\n');
    const r = await readAll(await openSourceReader('file', opts('o.csv')), schema);
    expect(r.dead.map((d) => [d.raw, d.reason])).toEqual([['1,x,"never closed', 'unterminated quoted field']]);
    expect(r.rows.length).toBe(filler.length);
    expect(r.rows[0]).toEqual([10, 'abcdefgh', 'ijkl']);
  });

  it('waits, in a followed file, for the quote that closes a record', async () => {
    const path = join(tmp.dir, 'f.csv');
    writeFileSync(path, 'id,a,b\n1,"first\n');
    const r = await openFileReader(opts('f.csv', {}, { follow: 'true' }), { pollMs: 10 });
    const b1 = await r.next(10);
    expect(b1!.data.numRows).toBe(0);
    expect(b1!.deadLetters).toEqual([]);
    expect(r.position()).toMatchObject({ offset: 7 });
    appendFileSync(path, 'second",x\n2,y,z\n');
    const b2 = await r.next(10);
    expect(rowsOf(b2!.data, schema)).toEqual([
      [1, 'first\nsecond', 'x'],
      [2, 'y', 'z'],
    ]);
    expect(Array.from(b2!.offsets)).toEqual([7, 26]);
    await r.close();
  });

  it('reads back what the csv sink writes', async () => {
    const out = join(tmp.dir, 'sink.csv');
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE src (id BIGINT, a VARCHAR, b VARCHAR)`);
      await e.execute(`CREATE VIEW v AS SELECT id, a, b FROM src`);
      await e.execute(`CREATE SINK out FROM v WITH (connector = 'file', path = '${out}', format = 'csv')`);
      const rows = [
        { id: 1, a: 'line one\nline two', b: 'say "hi", then\r\nleave' },
        { id: 2, a: 'plain', b: '' },
      ];
      await e.insert('src', rows);
      await e.query('SELECT 1');
    } finally {
      await e.close();
    }
    const back = await Engine.open();
    try {
      await back.execute(`CREATE SOURCE again (id BIGINT, a VARCHAR, b VARCHAR) WITH (connector = 'file', path = '${out}', format = 'csv')`);
      await back.execute(`CREATE MATERIALIZED VIEW w AS SELECT id, a, b FROM again`);
      expect(await back.query('SELECT id, a, b FROM w ORDER BY id')).toEqual([
        { id: 1, a: 'line one\nline two', b: 'say "hi", then\r\nleave' },
        { id: 2, a: 'plain', b: '' },
      ]);
    } finally {
      await back.close();
    }
  });
});
