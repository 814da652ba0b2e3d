/**
 * NaN and ±Infinity through checkpoints and as keys. JSON writes them as null, so before, a
 * restored OVER or Top-N held NULL where it had held NaN (and its retraction no longer found
 * the row), and a group, window or partition keyed by NaN shared its checkpoint entry with
 * the NULL one. valueJson keeps them apart and writes finite values exactly as JSON does
 * (checkpoints written before read as they did).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, type Row } from '../src/index.js';
import { parseValueJson, valueJson } from '../src/value-json.js';
import { useDuck } from './exec/operators/duck.js';

const duck = useDuck();

const valueArb = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, 0, 1.5, '', 'null', 'NaN', true),
  fc.double(),
  fc.string(),
);
const stateArb = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, valueArb, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 3 })),
})).node;

describe('valueJson', () => {
  it('gives back every value it wrote, NaN and ±Infinity included', () => {
    fc.assert(
      fc.property(stateArb, (v) => {
        // -0 is JSON's 0 (as before): compare with it made 0.
        const plain = (x: unknown): unknown =>
          Array.isArray(x) ? x.map(plain) : x !== null && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, plain(y)])) : Object.is(x, -0) ? 0 : x;
        expect(parseValueJson(valueJson(v))).toEqual(plain(v));
      }),
      { numRuns: 500 },
    );
  });

  it('writes what JSON writes when every number is finite', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void expect(valueJson(v)).toBe(JSON.stringify(v))), { numRuns: 300 });
  });

  it('tells NaN, ±Infinity and NULL apart as keys', () => {
    const keys = [[Number.NaN], [null], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY], ['NaN'], [{ '~n': 'x' }]].map(valueJson);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

const T0 = Date.UTC(2024, 0, 1);
const VALUES = [Number.NaN, null, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1];

/** [view, sluice SQL, DuckDB SQL when it differs]: operators whose state or keys hold the values. */
const VIEWS: [string, string, string?][] = [
  ['over_changelog', `SELECT id, x, SUM(id) OVER (ORDER BY x, id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS t FROM (SELECT k, MAX(x) AS x, MAX(id) AS id FROM s GROUP BY k)`],
  ['top_n', `SELECT * FROM (SELECT id, k, x, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC, id) AS r FROM s) WHERE r <= 2`],
  ['group_by', `SELECT x, COUNT(*) AS n, MAX(id) AS hi, MIN(x) AS lo FROM s GROUP BY x`],
  [
    'tumble',
    `SELECT x, window_start, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY x, window_start, window_end`,
    `SELECT x, time_bucket(INTERVAL '10 seconds', ts) AS window_start, COUNT(*) AS n FROM s GROUP BY ALL`,
  ],
  ['dedup', `SELECT id, x FROM (SELECT id, x, ROW_NUMBER() OVER (PARTITION BY x ORDER BY ts) AS r FROM s) WHERE r = 1`],
  ['over_changelog_input', `SELECT x, COUNT(*) AS n FROM (SELECT x FROM s GROUP BY x, k) GROUP BY x`],
  ['semi_join', `SELECT id, x FROM s WHERE x IN (SELECT x FROM s WHERE k = 0)`],
];

describe('views over NaN and ±Infinity, reopened from a checkpoint midway, equal DuckDB', () => {
  it('keys and held rows come back as they were', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...VALUES), { minLength: 2, maxLength: 24 }), fc.nat(), async (xs, cut) => {
        const events = xs.map((x, i) => ({ id: i, k: i % 3, x, ts: new Date(T0 + i * 1000) }));
        const at = 1 + (cut % (events.length - 1));
        const dir = mkdtempSync(join(tmpdir(), 'sluice-nan-'));
        const path = join(dir, 'nan.duckdb');
        try {
          let e = await Engine.open({ path });
          await e.execute(`CREATE SOURCE s (id BIGINT, k BIGINT, x DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`);
          for (const [v, q] of VIEWS) await e.execute(`CREATE MATERIALIZED VIEW ${v} AS ${q}`);
          for (const ev of events.slice(0, at)) await e.insert('s', [ev]);
          await e.checkpoint();
          await e.close();
          e = await Engine.open({ path });
          for (const ev of events.slice(at)) await e.insert('s', [ev]);
          await e.endOfStream('s');
          const got: Record<string, string[]> = {};
          for (const [v] of VIEWS) got[v] = norm((await e.query(`SELECT * FROM ${v}`)) as Row[]);
          await e.close();
          await duck().run('CREATE OR REPLACE TABLE s (id BIGINT, k BIGINT, x DOUBLE, ts TIMESTAMP)');
          const lit = (x: number | null) => (x === null ? 'NULL' : `'${x}'::DOUBLE`);
          await duck().run(`INSERT INTO s VALUES ${events.map((r) => `(${r.id}, ${r.k}, ${lit(r.x)}, make_timestamp(${r.ts.getTime() * 1000}))`).join(', ')}`);
          for (const [v, q, dq] of VIEWS) {
            expect(got[v], v).toEqual(norm((await duck().runAndReadAll(dq ?? q)).getRowObjectsJS() as Record<string, unknown>[]));
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 12 },
    );
  }, 240_000);
});

/** Rows as sorted texts, NaN and the infinities spelled out (JSON would make them null). */
function norm(rows: readonly object[]): string[] {
  const v = (x: unknown) => (x instanceof Date ? x.getTime() : typeof x === 'bigint' ? Number(x) : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x);
  return rows.map((r) => JSON.stringify(Object.values(r).map(v))).sort();
}
