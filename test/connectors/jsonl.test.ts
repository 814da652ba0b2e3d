import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileReader } from '../../src/connectors/file/file-source.js';
import { openSourceReader, type ReaderOptions } from '../../src/connectors/source-reader.js';
import { rowsOf } from '../../src/exec/batch.js';
import type { Schema, Value } from '../../src/types.js';
import { lineStarts, ms, readAll, tempDir } from './helpers.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/connectors');

const schema: Schema = [
  { name: 'id', type: 'BIGINT' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'price', type: 'DOUBLE' },
  { name: 'ok', type: 'BOOLEAN' },
  { name: 'ts', type: 'TIMESTAMP' },
  { name: 'day', type: 'DATE' },
  { name: 'qty', type: 'INT' },
];

function opts(path: string, extra: Partial<ReaderOptions> = {}, options: Record<string, string | boolean> = {}): ReaderOptions {
  return { source: 'ev', schema, eventTimeColumn: 4, options: { connector: 'file', path, format: 'jsonl', ...options }, baseDir: FIXTURES, ...extra };
}

const content = readFileSync(join(FIXTURES, 'events.jsonl'));
const starts = lineStarts(content);
const lines = content.toString('utf8').split('\n');

const expectedRows: Value[][] = [
  [1, 'alpha', 1.5, true, ms('2024-01-01T00:00:10Z'), 19723, 3],
  [2, 'béta ☃', 2.25, false, 1704067211000, null, 4],
  [3, null, null, null, ms('2024-01-01T00:00:12.345Z'), null, null],
  [7, 'esc "q" é', 7, null, ms('2024-01-01T00:00:15Z'), null, 7],
  [9, '12.50', null, null, 1704067217000, 19782, null],
  [14, 'true', null, true, ms('2024-01-01T00:00:20.500Z'), null, null],
];
const expectedRowLines = [0, 1, 2, 6, 8, 13];
const expectedDead: [number, string | RegExp][] = [
  [3, /^invalid JSON: /],
  [4, "column price: expected DOUBLE, got 'abc'"],
  [5, 'missing event time column ts'],
  [7, 'column id: 9007199254740993 is out of range for BIGINT (beyond ±2^53)'],
  [9, 'column qty: 2147483648 is out of range for INT'],
  [11, 'invalid JSON: expected an object, got an array'],
  [12, 'column id: expected BIGINT, got 1.5'],
  [14, 'missing event time column ts'],
  [15, "column ts: expected TIMESTAMP, got '2024-13-01T00:00:00Z'"],
];

describe('jsonl source', () => {
  it('reads the fixture: rows, offsets and dead letters', async () => {
    const r = await readAll(await openSourceReader('file', opts('events.jsonl')), schema);
    expect(r.rows).toEqual(expectedRows);
    expect(r.offsets).toEqual(expectedRowLines.map((l) => starts[l]));
    expect(r.dead.map((d) => d.offset)).toEqual(expectedDead.map(([l]) => starts[l]));
    r.dead.forEach((d, k) => {
      const [line, reason] = expectedDead[k]!;
      expect(d.source).toBe('ev');
      expect(d.raw).toBe(lines[line]);
      if (typeof reason === 'string') expect(d.reason).toBe(reason);
      else expect(d.reason).toMatch(reason);
    });
  });

  it('gives the same result for tiny batches and tiny reads', async () => {
    const whole = await readAll(await openSourceReader('file', opts('events.jsonl')), schema);
    for (const [maxRows, chunkSize] of [
      [1, 1],
      [7, 3],
      [1, 7],
      [7, 64],
    ] as const) {
      const r = await readAll(await openFileReader(opts('events.jsonl'), { chunkSize }), schema, maxRows);
      expect(r.rows).toEqual(whole.rows);
      expect(r.offsets).toEqual(whole.offsets);
      expect(r.dead).toEqual(whole.dead);
    }
  });

  it('resumes from position() mid-file and reads the rest exactly once', async () => {
    const whole = await readAll(await openSourceReader('file', opts('events.jsonl')), schema);
    for (const firstBatch of [1, 3, 5, 8, 12]) {
      const first = await openFileReader(opts('events.jsonl'), { chunkSize: 16 });
      const b = await first.next(firstBatch);
      const pos = JSON.parse(JSON.stringify(first.position())) as unknown;
      await first.close();
      const rest = await readAll(await openSourceReader('file', opts('events.jsonl', { resumeFrom: pos })), schema);
      const headRows = rowsOf(b!.data, schema);
      expect([...headRows, ...rest.rows]).toEqual(whole.rows);
      expect([...b!.offsets, ...rest.offsets]).toEqual(whole.offsets);
      expect([...b!.deadLetters, ...rest.dead]).toEqual(whole.dead);
    }
  });

  describe('in a temp folder', () => {
    const tmp = tempDir();
    afterAll(tmp.cleanup);
    const small: Schema = [
      { name: 'k', type: 'BIGINT' },
      { name: 's', type: 'VARCHAR' },
    ];
    const smallOpts = (path: string, options: Record<string, string | boolean> = {}): ReaderOptions => ({
      source: 's',
      schema: small,
      eventTimeColumn: null,
      options: { path, format: 'jsonl', ...options },
      baseDir: tmp.dir,
    });

    it('handles CRLF line ends and a last line without newline', async () => {
      writeFileSync(join(tmp.dir, 'crlf.jsonl'), '{"k":1,"s":"a"}\r\n{"k":2,"s":"b"}\r\n\r\n{"k":3,"s":"c"}');
      const r = await readAll(await openSourceReader('file', smallOpts('crlf.jsonl')), small);
      expect(r.rows).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
      expect(r.offsets).toEqual([0, 17, 36]);
      expect(r.dead).toEqual([]);
    });

    it('decodes a multi-byte character split across read chunks', async () => {
      // '€' is 3 bytes, '😀' 4: with every chunk size from 1 to 40 some read splits them.
      const text = '{"k":1,"s":"x€y😀z"}\n{"k":2,"s":"😀😀"}\n';
      writeFileSync(join(tmp.dir, 'utf8.jsonl'), text);
      for (let chunkSize = 1; chunkSize <= 40; chunkSize++) {
        const r = await readAll(await openFileReader(smallOpts('utf8.jsonl'), { chunkSize }), small, 1);
        expect(r.rows).toEqual([
          [1, 'x€y😀z'],
          [2, '😀😀'],
        ]);
      }
    });

    it('streams a file over 1 MiB the same with small and large chunks', async () => {
      const parts: string[] = [];
      const expected: Value[][] = [];
      let bad = 0;
      for (let i = 0; i < 20_000; i++) {
        if (i % 997 === 5) {
          parts.push(`{"k":${i},"s":`);
          bad++;
          continue;
        }
        const s = `row ${i} ${'é'.repeat(i % 7)} ${'x'.repeat(i % 23)}`;
        parts.push(JSON.stringify({ k: i, s, pad: i % 3 === 0 ? [1, { a: 'b' }] : null }));
        expected.push([i, s]);
      }
      const text = `${parts.join('\n')}\n`;
      expect(Buffer.byteLength(text)).toBeGreaterThan(1 << 20);
      writeFileSync(join(tmp.dir, 'big.jsonl'), text);
      const big = await readAll(await openSourceReader('file', smallOpts('big.jsonl')), small);
      expect(big.rows).toEqual(expected);
      expect(big.dead).toHaveLength(bad);
      const smallChunks = await readAll(await openFileReader(smallOpts('big.jsonl'), { chunkSize: 4093 }), small, 777);
      expect(smallChunks.rows).toEqual(expected);
      expect(smallChunks.offsets).toEqual(big.offsets);
      expect(smallChunks.dead).toEqual(big.dead);
    });

    it('follows a growing file (follow = true)', async () => {
      const path = join(tmp.dir, 'tail.jsonl');
      writeFileSync(path, '{"k":1,"s":"a"}\n{"k":2,"s":"b"}\n');
      const r = await openFileReader(smallOpts('tail.jsonl', { follow: true }), { pollMs: 10 });
      expect(r.bounded).toBe(false);
      const b1 = await r.next(100);
      expect(rowsOf(b1!.data, small)).toEqual([
        [1, 'a'],
        [2, 'b'],
      ]);
      const empty = await r.next(100);
      expect(empty).not.toBeNull();
      expect(empty!.data.numRows).toBe(0);
      appendFileSync(path, '{"k":3,"s":"c"}\n{"k":4,');
      const b2 = await r.next(100);
      expect(rowsOf(b2!.data, small)).toEqual([[3, 'c']]);
      expect(r.position()).toMatchObject({ offset: 48 });
      // The partial line is not consumed until its newline arrives.
      const b3 = await r.next(100);
      expect(b3!.data.numRows).toBe(0);
      expect(b3!.deadLetters).toEqual([]);
      appendFileSync(path, '"s":"d"}\n{"k":5,"s":"e"}\n');
      const b4 = await r.next(100);
      expect(rowsOf(b4!.data, small)).toEqual([
        [4, 'd'],
        [5, 'e'],
      ]);
      expect(Array.from(b4!.offsets)).toEqual([48, 64]);
      await r.close();
    });

    it('handles escaped keys, repeated keys, nested values and odd whitespace like JSON.parse', async () => {
      const text = [
        '{"\\u006b":1,"s":"a"}',
        '{"k":1,"k":2,"s":"b","s":"c"}',
        '{ "k" : 3 , "s" : {"x": [1, "}"]} }',
        '{"k":4,"s":"\\ud83d\\ude00\\n"}',
        '{"k":5,"s":"a",}',
        '{"k":6,"s":[1,2]',
        '{"k":-0.0e0,"s":"\\u00"}',
        '{"k":7}x',
      ].join('\n');
      writeFileSync(join(tmp.dir, 'edge.jsonl'), text);
      const r = await readAll(await openSourceReader('file', smallOpts('edge.jsonl')), small);
      expect(r.rows).toEqual([
        [1, 'a'],
        [2, 'c'],
        [3, '{"x": [1, "}"]}'],
        [4, '😀\n'],
      ]);
      expect(r.dead.map((d) => d.reason.slice(0, 14))).toEqual(['invalid JSON: ', 'invalid JSON: ', 'invalid JSON: ', 'invalid JSON: ']);
    });

    it('rejects a resume position that is not a line start', async () => {
      writeFileSync(join(tmp.dir, 'r.jsonl'), '{"k":1,"s":"a"}\n{"k":2,"s":"b"}\n');
      await expect(openSourceReader('file', { ...smallOpts('r.jsonl'), resumeFrom: { offset: 5 } })).rejects.toMatchObject({ code: 'CONNECTOR' });
      await expect(openSourceReader('file', { ...smallOpts('r.jsonl'), resumeFrom: { offset: 999 } })).rejects.toMatchObject({ code: 'CONNECTOR' });
      const rest = await readAll(await openSourceReader('file', { ...smallOpts('r.jsonl'), resumeFrom: { offset: 16 } }), small);
      expect(rest.rows).toEqual([[2, 'b']]);
    });

    it('reports a missing file, a directory and an unknown format as CONNECTOR errors', async () => {
      await expect(openSourceReader('file', smallOpts('nope.jsonl'))).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining('nope.jsonl') });
      await expect(openSourceReader('file', smallOpts('.'))).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining('directory') });
      await expect(openSourceReader('file', smallOpts('x.jsonl', { format: 'xml' }))).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("'xml'") });
    });
  });
});
