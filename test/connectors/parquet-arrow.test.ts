import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  Bool,
  Dictionary,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
  DateDay,
  makeData,
  tableToIPC,
  Schema as ArrowSchema,
  Field,
  Struct,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSourceReader, type ReaderOptions } from '../../src/connectors/source-reader.js';
import { rowsOf } from '../../src/exec/batch.js';
import type { Schema, Value } from '../../src/types.js';
import { ms, readAll, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

// Declared in another order and case than the files' columns; `ts` is the event time.
const schema: Schema = [
  { name: 'TS', type: 'TIMESTAMP' },
  { name: 'id', type: 'BIGINT' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'price', type: 'DOUBLE' },
  { name: 'day', type: 'DATE' },
  { name: 'flag', type: 'BOOLEAN' },
  { name: 'qty', type: 'INT' },
];

const N = 5000;
const T0 = ms('2024-01-01T00:00:00Z');
/** Row i of both fixtures; row 7 has no event time, rows divisible by 10 have NULLs. */
function expectedRow(i: number): Value[] {
  const nulls = i % 10 === 0;
  return [T0 + i * 1500, i, nulls ? null : `n${i}é`, nulls ? null : i * 0.5, 19723 + (i % 40), nulls ? null : i % 3 === 0, i - 2500];
}
const expected = (): { rows: Value[][]; offsets: number[] } => {
  const rows: Value[][] = [];
  const offsets: number[] = [];
  for (let i = 0; i < N; i++) {
    if (i === 7) continue;
    rows.push(expectedRow(i));
    offsets.push(i);
  }
  return { rows, offsets };
};

function opts(file: string, format: string, extra: Partial<ReaderOptions> = {}): ReaderOptions {
  return { source: 'src', schema, eventTimeColumn: 0, options: { path: file, format }, baseDir: tmp.dir, ...extra };
}

/** A µs Timestamp column built by hand (the Arrow builders take ms numbers). */
function microTimestamps(msValues: (number | null)[]): Data {
  const n = msValues.length;
  const values = new BigInt64Array(n);
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  msValues.forEach((v, i) => {
    if (v === null) nulls++;
    else {
      values[i] = BigInt(v) * 1000n;
      bitmap[i >> 3]! |= 1 << (i & 7);
    }
  });
  return makeData({ type: new TimestampMicrosecond(), length: n, nullCount: nulls, nullBitmap: bitmap, data: values });
}

/** One dictionary of every name, shared by all batches (the IPC file format cannot replace it). */
const NAME_DICT = vectorFromArray(
  Array.from({ length: N }, (_, i) => `n${i}é`),
  new Utf8(),
);
function dictionaryNames(idx: number[]): Data {
  const keys = new Int32Array(idx.length);
  const bitmap = new Uint8Array((idx.length + 7) >> 3);
  let nulls = 0;
  idx.forEach((i, k) => {
    if (i % 10 === 0) nulls++;
    else {
      keys[k] = i;
      bitmap[k >> 3]! |= 1 << (k & 7);
    }
  });
  return makeData({ type: new Dictionary(new Utf8(), new Int32(), 0), length: idx.length, nullCount: nulls, nullBitmap: bitmap, data: keys, dictionary: NAME_DICT });
}

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`COPY (
      SELECT i::BIGINT AS id,
             CASE WHEN i % 10 = 0 THEN NULL ELSE 'n' || i || 'é' END AS Name,
             CASE WHEN i % 10 = 0 THEN NULL ELSE i * 0.5 END AS price,
             CASE WHEN i = 7 THEN NULL ELSE TIMESTAMP '2024-01-01' + to_milliseconds(i * 1500) END AS ts,
             DATE '2024-01-01' + (i % 40)::INT AS day,
             CASE WHEN i % 10 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
             (i - 2500)::INTEGER AS qty,
             'ignored' AS other
      FROM range(${N}) t(i) ORDER BY i
    ) TO '${join(tmp.dir, 'x.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`);
  c.closeSync();
  db.closeSync();

  // Arrow: three record batches, Int64 ids, a Dictionary<Utf8> name, µs timestamps.
  const batches: RecordBatch[] = [];
  const fields = [
    new Field('id', new Int64(), true),
    new Field('name', new Dictionary(new Utf8(), new Int32(), 0), true),
    new Field('price', new Float64(), true),
    new Field('ts', new TimestampMicrosecond(), true),
    new Field('day', new DateDay(), true),
    new Field('flag', new Bool(), true),
    new Field('qty', new Int32(), true),
  ];
  const aschema = new ArrowSchema(fields);
  for (const [lo, hi] of [
    [0, 1200],
    [1200, 1201],
    [1201, N],
  ] as const) {
    const idx = Array.from({ length: hi - lo }, (_, k) => lo + k);
    const cols = [
      vectorFromArray(idx.map((i) => BigInt(i)), new Int64()),
      dictionaryNames(idx),
      vectorFromArray(idx.map((i) => (i % 10 === 0 ? null : i * 0.5)), new Float64()),
      microTimestamps(idx.map((i) => (i === 7 ? null : T0 + i * 1500))),
      vectorFromArray(idx.map((i) => (19723 + (i % 40)) * 86400000), new DateDay()),
      vectorFromArray(idx.map((i) => (i % 10 === 0 ? null : i % 3 === 0)), new Bool()),
      vectorFromArray(idx.map((i) => i - 2500), new Int32()),
    ];
    const data = makeData({ type: new Struct(fields), length: idx.length, nullCount: 0, children: cols.map((v) => ('data' in v && Array.isArray(v.data) ? v.data[0]! : v) as Data) });
    batches.push(new RecordBatch(aschema, data));
  }
  writeFileSync(join(tmp.dir, 'x.arrow'), tableToIPC(new Table(batches), 'file'));
  writeFileSync(join(tmp.dir, 'x.arrows'), tableToIPC(new Table(batches), 'stream'));
});

describe.each([
  ['parquet', 'x.parquet'],
  ['arrow', 'x.arrow'],
  ['arrow', 'x.arrows'],
])('%s source (%s)', (format, file) => {
  it('reads every row with offsets = row numbers, and a dead letter for the missing event time', async () => {
    const r = await readAll(await openSourceReader('file', opts(file, format)), schema, 1000);
    const e = expected();
    expect(r.rows.length).toBe(e.rows.length);
    expect(r.rows).toEqual(e.rows);
    expect(r.offsets).toEqual(e.offsets);
    expect(r.dead.map((d) => [d.offset, d.reason])).toEqual([[7, 'missing event time column TS']]);
    expect(r.dead[0]!.raw).toContain('n7é');
  });

  it('resumes from position() exactly after the last row returned', async () => {
    const e = expected();
    for (const k of [1, 7, 1999]) {
      const first = await openSourceReader('file', opts(file, format));
      const head = await first.next(k);
      const pos = JSON.parse(JSON.stringify(first.position())) as unknown;
      await first.close();
      const rest = await readAll(await openSourceReader('file', opts(file, format, { resumeFrom: pos })), schema, 333);
      const all = [...rowsOf(head!.data, schema), ...rest.rows];
      expect(all).toEqual(e.rows);
      expect([...head!.offsets, ...rest.offsets]).toEqual(e.offsets);
    }
  });

  it('names a missing column and an incompatible type', async () => {
    const missing: Schema = [...schema, { name: 'nope', type: 'INT' }];
    await expect(openSourceReader('file', { ...opts(file, format), schema: missing })).rejects.toMatchObject({
      code: 'CONNECTOR',
      message: expect.stringContaining('column nope'),
    });
    const wrong: Schema = [{ name: 'flag', type: 'TIMESTAMP' }];
    await expect(openSourceReader('file', { ...opts(file, format), schema: wrong, eventTimeColumn: null })).rejects.toMatchObject({
      code: 'CONNECTOR',
      message: expect.stringContaining('column flag'),
    });
  });

  it('checks values against the declared type: a fractional price declared BIGINT is a dead letter', async () => {
    const s: Schema = [
      { name: 'id', type: 'INT' },
      { name: 'price', type: 'BIGINT' },
    ];
    const r = await readAll(await openSourceReader('file', { ...opts(file, format), schema: s, eventTimeColumn: null }), s);
    // Odd ids have price i * 0.5, a fraction: those rows are dead letters.
    expect(r.rows.length + r.dead.length).toBe(N);
    expect(r.dead.length).toBe(N / 2);
    expect(r.rows.slice(0, 3)).toEqual([
      [0, null],
      [2, 1],
      [4, 2],
    ]);
    expect(r.dead[0]!.reason).toBe('column price: expected BIGINT, got 0.5');
  });
});

describe('arrow source details', () => {
  it('reads millisecond timestamps and plain Utf8 as well', async () => {
    const t = new Table({
      ts: vectorFromArray([T0, T0 + 1], new TimestampMillisecond()),
      s: vectorFromArray(['a', 'ü'], new Utf8()),
    });
    writeFileSync(join(tmp.dir, 'ms.arrow'), tableToIPC(t, 'file'));
    const s: Schema = [
      { name: 's', type: 'VARCHAR' },
      { name: 'ts', type: 'TIMESTAMP' },
    ];
    const r = await readAll(await openSourceReader('file', { source: 'm', schema: s, eventTimeColumn: 1, options: { path: 'ms.arrow' }, baseDir: tmp.dir }), s);
    expect(r.rows).toEqual([
      ['a', T0],
      ['ü', T0 + 1],
    ]);
  });

  it('reports a file that is not Arrow as a CONNECTOR error', async () => {
    writeFileSync(join(tmp.dir, 'bad.arrow'), 'this is not arrow');
    await expect(
      openSourceReader('file', { source: 'b', schema, eventTimeColumn: null, options: { path: 'bad.arrow' }, baseDir: tmp.dir }),
    ).rejects.toMatchObject({ code: 'CONNECTOR' });
    writeFileSync(join(tmp.dir, 'bad.parquet'), 'this is not parquet');
    await expect(
      openSourceReader('file', { source: 'b', schema, eventTimeColumn: null, options: { path: 'bad.parquet' }, baseDir: tmp.dir }),
    ).rejects.toMatchObject({ code: 'CONNECTOR' });
  });
});
