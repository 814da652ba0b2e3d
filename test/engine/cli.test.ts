/**
 * `sluice run` end to end (SPEC 1.1, 5, 6), as a child process on SQL files: file sources in
 * every format (jsonl, csv, parquet, arrow — the binary fixtures are written at test time
 * with DuckDB's COPY and apache-arrow), each windowed by the same view and compared with the
 * same query in DuckDB; `--format table|jsonl|csv`, `--changelog`, `--output`; bad lines
 * become dead letters; a SQL error and a missing file exit 1 with a rendered error.
 *
 * Runs the built CLI (`npm test` builds first); skipped when dist/ is missing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Float64, Int32, Int64, Schema as ArrowSchema, Table, TimestampMillisecond, Utf8, RecordBatch, makeData, Struct, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, CLI, sluice } from '../cli/cli-runner.js';
import { oracleWindowed, Oracle, T0, watermarksBefore, windowsOf, type Ev } from './oracle.js';

if (!built) console.warn(`cli.test.ts: ${CLI} is missing; run \`npm run build\` (npm test does) to run the CLI tests`);

const DELAY = 2000;
const W = { kind: 'TUMBLE', size: 10_000 } as const;

/** 40 events a little out of order, then one late event (offset 40). */
const EVENTS: Ev[] = [
  ...Array.from({ length: 40 }, (_, i): Ev => ({
    k: ['a', 'b', 'c'][i % 3]!,
    x: i % 7 === 0 ? null : i - 10,
    b: i * 1_000_003,
    d: i % 5 === 0 ? null : i * 1.25,
    v: i % 4 === 0 ? null : ['apple', 'é ü', 'x,y', 'say "hi"'][i % 4]!,
    ts: T0 + i * 700 + ((i * 37) % 5) * 300,
  })),
  { k: 'a', x: 1, b: 1, d: 1, v: 'late', ts: T0 + 5_000 },
];

const COLUMNS = `k VARCHAR, x INT, b BIGINT, d DOUBLE, v VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND`;
const FORMATS = ['jsonl', 'csv', 'parquet', 'arrow'] as const;

let dir: string;
let oracle: Oracle;
/** The windowed view over the on-time events, as DuckDB computes it (timestamps as ISO text). */
let expected: unknown[][];

const iso = (ms: number) => new Date(ms).toISOString();

function jsonlLines(): string[] {
  const lines = EVENTS.map((e, i) => JSON.stringify({ ...e, ts: i % 2 === 0 ? iso(e.ts) : e.ts }));
  return lines;
}

const csvField = (v: string | number | null) => (v === null ? '' : typeof v === 'string' ? `"${v.replaceAll('"', '""')}"` : String(v));

function arrowTable(): Table {
  const schema = new ArrowSchema([
    new Field('k', new Utf8(), true),
    new Field('x', new Int32(), true),
    new Field('b', new Int64(), true),
    new Field('d', new Float64(), true),
    new Field('v', new Utf8(), true),
    new Field('ts', new TimestampMillisecond(), true),
  ]);
  const cols = [
    vectorFromArray(EVENTS.map((e) => e.k), new Utf8()),
    vectorFromArray(EVENTS.map((e) => e.x), new Int32()),
    vectorFromArray(EVENTS.map((e) => (e.b === null ? null : BigInt(e.b))), new Int64()),
    vectorFromArray(EVENTS.map((e) => e.d), new Float64()),
    vectorFromArray(EVENTS.map((e) => e.v), new Utf8()),
    vectorFromArray(EVENTS.map((e) => new Date(e.ts)), new TimestampMillisecond()),
  ];
  const data = makeData({ type: new Struct(schema.fields), length: EVENTS.length, nullCount: 0, children: cols.map((c) => c.data[0]!) });
  return new Table([new RecordBatch(schema, data)]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  oracle = await Oracle.create();
  await oracle.load(EVENTS);
  // jsonl with three bad lines after event 10: not JSON, a wrong type, no event time.
  const lines = jsonlLines();
  lines.splice(10, 0, 'this is not json', JSON.stringify({ k: 'a', x: 'many', ts: iso(T0) }), JSON.stringify({ k: 'a', x: 1 }));
  writeFileSync(join(dir, 'events.jsonl'), lines.join('\n') + '\n');
  writeFileSync(
    join(dir, 'events.csv'),
    ['k,x,b,d,v,ts', ...EVENTS.map((e) => [e.k, e.x, e.b, e.d, e.v, iso(e.ts)].map(csvField).join(','))].join('\n') + '\n',
  );
  await oracle.run(
    `COPY (SELECT k, x, b, d, v, make_timestamp(ts * 1000) AS ts FROM t ORDER BY off) TO '${join(dir, 'events.parquet')}' (FORMAT parquet)`,
  );
  writeFileSync(join(dir, 'events.arrow'), tableToIPC(arrowTable(), 'file'));

  const sources = FORMATS.map((f) => `CREATE SOURCE ${f}_src (${COLUMNS}) WITH (connector = 'file', path = 'events.${f}', format = '${f}');`);
  const views = FORMATS.map(
    (f) => `CREATE MATERIALIZED VIEW ${f}_w AS SELECT window_start, window_end, k, COUNT(*) AS n, SUM(x) AS sx, MAX(v) AS mv, AVG(d) AS ad
      FROM TUMBLE(${f}_src, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE;`,
  );
  const reads = FORMATS.map((f) => `SELECT '${f}' AS f, * FROM ${f}_w ORDER BY window_start, k;`);
  const system = [
    `SELECT source, "offset", raw, reason FROM sluice_dead_letters ORDER BY "offset";`,
    `SELECT source, "offset", event_time, "view" FROM sluice_late_events ORDER BY source;`,
  ];
  writeFileSync(join(dir, 'formats.sql'), [...sources, ...views, ...reads, ...system].join('\n'));

  const wms = watermarksBefore(EVENTS, DELAY);
  const onTime = EVENTS.flatMap((e, i) => windowsOf(W, e.ts).filter(([, end]) => wms[i]! < end).map(([s, end]) => [i, s, end] as [number, number, number]));
  await oracle.loadPairs(onTime, 'ok');
  expected = (
    await oracle.rows(
      `SELECT window_start, window_end, k, COUNT(*), SUM(x)::BIGINT, MAX(v), AVG(d) FROM ${oracleWindowed(W)} JOIN ok USING (off, window_start, window_end)
       GROUP BY ALL ORDER BY window_start, k`,
    )
  ).map((r) => [iso(r[0] as number), iso(r[1] as number), ...r.slice(2)]);
});

afterAll(() => {
  oracle?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const jsonl = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.skipIf(!built)('sluice run (child process)', () => {
  it('reads jsonl, csv, parquet and arrow files to the same windows as DuckDB (--format jsonl); dead letters and late events', async () => {
    const r = await sluice(['run', join(dir, 'formats.sql'), '--format', 'jsonl']);
    // Not silent about what it set aside: per source, naming the system table to read.
    expect(r.stderr).toBe(
      [
        'Warning: 3 events could not be read and went to the dead letters (jsonl_src: 3): see sluice_dead_letters',
        'Warning: 4 events arrived late, behind the watermark, and were left out (arrow_src: 1, csv_src: 1, jsonl_src: 1, parquet_src: 1): see sluice_late_events',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
    const rows = jsonl(r.stdout);
    for (const f of FORMATS) {
      const got = rows.filter((row) => row['f'] === f).map((row) => [row['window_start'], row['window_end'], row['k'], row['n'], row['sx'], row['mv'], row['ad']]);
      expect(got, f).toEqual(expected);
    }
    // The three bad lines of the jsonl file, with their byte offsets, the line and a reason.
    const dead = rows.filter((x) => 'reason' in x);
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n');
    const offsetOf = (line: number) => Buffer.byteLength(lines.slice(0, line).map((l) => l + '\n').join(''));
    expect(dead.map((d) => [d['source'], d['offset'], d['raw']])).toEqual([
      ['jsonl_src', offsetOf(10), lines[10]],
      ['jsonl_src', offsetOf(11), lines[11]],
      ['jsonl_src', offsetOf(12), lines[12]],
    ]);
    expect(dead[0]!['reason']).toMatch(/JSON/i);
    expect(dead[1]!['reason']).toMatch(/\bx\b/);
    expect(dead[2]!['reason']).toMatch(/event time|\bts\b/);
    // The last event came after its window had closed: one record per source, its offset
    // the position in the file (the jsonl line 43, the 41st row of the others).
    const late = rows.filter((x) => 'view' in x).map((x) => [x['source'], x['offset'], x['event_time'], x['view']]);
    expect(late).toEqual([
      ['arrow_src', 40, iso(T0 + 5000), 'arrow_w'],
      ['csv_src', Buffer.byteLength(readFileSync(join(dir, 'events.csv'), 'utf8').split('\n').slice(0, 41).join('\n') + '\n'), iso(T0 + 5000), 'csv_w'],
      ['jsonl_src', offsetOf(43), iso(T0 + 5000), 'jsonl_w'],
      ['parquet_src', 40, iso(T0 + 5000), 'parquet_w'],
    ]);
  });

  it('--format csv --output FILE writes CSV with a header to the file and nothing to stdout', async () => {
    const out = join(dir, 'out.csv');
    const r = await sluice(['run', join(dir, 'formats.sql'), '--format', 'csv', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    // One header per result, then its rows.
    expect(lines.filter((l) => l === 'f,window_start,window_end,k,n,sx,mv,ad')).toHaveLength(FORMATS.length);
    // … and the dead letters (3) and late events (4) with their headers.
    expect(lines).toHaveLength(FORMATS.length * (expected.length + 1) + 4 + 5);
    const first = expected[0]!;
    expect(lines[1]!.startsWith(`jsonl,${first[0]},${first[1]},${first[2]},${first[3]},`)).toBe(true);
  });

  it('--format table prints aligned tables with a row count', async () => {
    const sql = join(dir, 'table.sql');
    writeFileSync(
      sql,
      `CREATE SOURCE s (${COLUMNS}) WITH (connector = 'file', path = 'events.parquet', format = 'parquet');
       SELECT k, COUNT(*) AS n FROM s GROUP BY k ORDER BY k;`,
    );
    const r = await sluice(['run', sql, '--format', 'table']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.some((l) => /│\s+k\s+│\s+n\s+│/.test(l))).toBe(true);
    // 14 + the late event: a non-windowed aggregate takes late events like any other.
    expect(lines.some((l) => /│\s+a\s+│\s+15\s+│/.test(l))).toBe(true);
    expect(r.stdout).toContain('3 rows');
  });

  it('--changelog prints every change of a streaming SELECT with its op; folding them gives the result', async () => {
    const sql = join(dir, 'changelog.sql');
    writeFileSync(
      sql,
      `SET batch_size = 7;
       CREATE SOURCE s (${COLUMNS}) WITH (connector = 'file', path = 'events.csv', format = 'csv');
       SELECT k, COUNT(*) AS n, MAX(d) AS md FROM s GROUP BY k;`,
    );
    const [changes, final] = await Promise.all([sluice(['run', sql, '--changelog', '--format', 'jsonl']), sluice(['run', sql, '--format', 'jsonl'])]);
    expect(changes.code).toBe(0);
    const log = jsonl(changes.stdout);
    expect(new Set(log.map((c) => c['op']))).toEqual(new Set(['+I', '-U', '+U']));
    const folded = new Map<string, Record<string, unknown>>();
    for (const { op, ...row } of log) {
      if (op === '+I' || op === '+U') folded.set(JSON.stringify(row), row);
      else expect(folded.delete(JSON.stringify(row))).toBe(true);
    }
    const byK = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => String(a['k']).localeCompare(String(b['k'])));
    const result = byK(jsonl(final.stdout));
    expect(byK([...folded.values()])).toEqual(result);
    expect(result).toEqual((await oracle.rows(`SELECT k, COUNT(*), MAX(d) FROM t GROUP BY k ORDER BY k`)).map(([k, n, md]) => ({ k, n, md })));
  });

  it('a SQL error exits 1 with the rendered error (line and caret) on stderr and no stack trace', async () => {
    const sql = join(dir, 'bad.sql');
    writeFileSync(sql, `CREATE SOURCE s (${COLUMNS});\nSELECT k,\n       nope + 1\nFROM s;\n`);
    const r = await sluice(['run', sql]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Binder Error: .*nope.*\(line 3, column 8\)/);
    expect(r.stderr).toContain('LINE 3:        nope + 1\n');
    expect(r.stderr).toMatch(/\n {15}\^{4}\n?$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing data file exits 1 with a CONNECTOR error naming the file', async () => {
    const sql = join(dir, 'missing.sql');
    writeFileSync(sql, `CREATE SOURCE s (${COLUMNS}) WITH (connector = 'file', path = 'nowhere.jsonl', format = 'jsonl');\nSELECT * FROM s;\n`);
    const r = await sluice(['run', sql]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Connector Error: .*nowhere\.jsonl/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
