/**
 * MATCH_RECOGNIZE against the backtracking reference (reference-matcher.ts) on random
 * patterns, DEFINE conditions (row-local and reading the match), AFTER MATCH SKIP modes,
 * WITHIN bounds and partitions, fed in random order and batches: the operator must find the
 * same matches as the standard's matching over the rows in event-time order.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../../src/index.js';
import { referenceMatches, type Assignment, type Define, type Pat, type RefRow, type Skip } from './reference-matcher.js';

const NAMES = ['A', 'B', 'C'];
const T0 = Date.UTC(2024, 0, 1);

/** A DEFINE condition as SQL (for variable `x`) and as the reference's function. */
interface Cond {
  readonly sql: (x: string) => string;
  readonly js: (v: number) => Define;
}

const rowsOfVar = (rows: readonly RefRow[], pos: number, a: Assignment, self: number, v: number | null): RefRow[] => [
  ...a.filter((x) => v === null || x.v === v).map((x) => rows[x.row]!),
  ...(v === null || v === self ? [rows[pos]!] : []),
];

const CONDS: readonly Cond[] = [
  { sql: (x) => `${x}.price > PREV(${x}.price)`, js: () => (rows, pos) => pos > 0 && rows[pos]!.price > rows[pos - 1]!.price },
  { sql: (x) => `${x}.price < 5`, js: () => (rows, pos) => rows[pos]!.price < 5 },
  { sql: () => `PREV(price, 2) IS NULL OR price <> PREV(price, 2)`, js: () => (rows, pos) => pos < 2 || rows[pos]!.price !== rows[pos - 2]!.price },
  {
    sql: (x) => `${x}.price >= LAST(A.price, ${x === 'A' ? 1 : 0})`,
    js: (v) => (rows, pos, a) => {
      const as = rowsOfVar(rows, pos, a, v, 0);
      const ref = as[as.length - 1 - (v === 0 ? 1 : 0)];
      return ref !== undefined && rows[pos]!.price >= ref.price;
    },
  },
  { sql: (x) => `SUM(${x}.price) < 12`, js: (v) => (rows, pos, a) => rowsOfVar(rows, pos, a, v, v).reduce((s, r) => s + r.price, 0) < 12 },
  { sql: () => `COUNT(*) <= 3`, js: () => (_rows, _pos, a) => a.length + 1 <= 3 },
  { sql: (x) => `FIRST(price) <= ${x}.price`, js: (v) => (rows, pos, a) => rowsOfVar(rows, pos, a, v, null)[0]!.price <= rows[pos]!.price },
];

function nullable(p: Pat): boolean {
  switch (p.kind) {
    case 'var':
      return false;
    case 'seq':
      return p.items.every(nullable);
    case 'alt':
      return p.items.some(nullable);
    case 'quant':
      return p.min === 0 || nullable(p.term);
  }
}

const QUANTS: readonly [string, number, number | null][] = [
  ['*', 0, null],
  ['+', 1, null],
  ['?', 0, 1],
  ['{2}', 2, 2],
  ['{1,}', 1, null],
  ['{1,2}', 1, 2],
  ['{0,2}', 0, 2],
];

const varArb: fc.Arbitrary<Pat> = fc.integer({ min: 0, max: 2 }).map((v) => ({ kind: 'var', v }));
function patArb(depth: number): fc.Arbitrary<Pat> {
  if (depth === 0) return varArb;
  const sub = patArb(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: varArb },
    { weight: 2, arbitrary: fc.array(sub, { minLength: 2, maxLength: 3 }).map((items): Pat => ({ kind: 'seq', items })) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 2, maxLength: 2 }).map((items): Pat => ({ kind: 'alt', items })) },
    {
      weight: 2,
      arbitrary: fc.record({ term: sub, q: fc.integer({ min: 0, max: QUANTS.length - 1 }), reluctant: fc.boolean() }).map(({ term, q, reluctant }): Pat => {
        // A quantified part that can match nothing repeats emptily: the standard leaves that to implementations.
        if (nullable(term)) return term;
        const [, min, max] = QUANTS[q]!;
        return { kind: 'quant', term, min, max, reluctant };
      }),
    },
  );
}

function patSql(p: Pat): string {
  switch (p.kind) {
    case 'var':
      return NAMES[p.v]!;
    case 'seq':
      return `(${p.items.map(patSql).join(' ')})`;
    case 'alt':
      return `(${p.items.map(patSql).join(' | ')})`;
    case 'quant': {
      const q = QUANTS.find(([, min, max]) => min === p.min && max === p.max)![0];
      return `(${patSql(p.term)})${q}${p.reluctant ? '?' : ''}`;
    }
  }
}

function varsOf(p: Pat, into = new Set<number>()): Set<number> {
  if (p.kind === 'var') into.add(p.v);
  else if (p.kind === 'quant') varsOf(p.term, into);
  else p.items.forEach((i) => varsOf(i, into));
  return into;
}

interface Case {
  readonly pattern: Pat;
  readonly conds: readonly (number | null)[];
  readonly skip: number;
  readonly skipVar: number;
  readonly within: number | null;
  readonly rows: readonly { sym: string; price: number }[];
  readonly order: readonly number[];
  readonly cuts: readonly number[];
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    // A is always there (the measures and some conditions read it); the whole pattern never matches nothing.
    pattern: patArb(3)
      .map((p): Pat => (varsOf(p).has(0) ? p : { kind: 'seq', items: [{ kind: 'var', v: 0 }, p] }))
      .map((p): Pat => (nullable(p) ? { kind: 'seq', items: [p, { kind: 'var', v: 2 }] } : p)),
    conds: fc.array(fc.option(fc.integer({ min: 0, max: CONDS.length - 1 }), { nil: null }), { minLength: 3, maxLength: 3 }),
    skip: fc.integer({ min: 0, max: 3 }),
    skipVar: fc.integer({ min: 0, max: 2 }),
    within: fc.option(fc.constantFrom(2000, 4000), { nil: null, freq: 3 }),
    rows: fc.array(fc.record({ sym: fc.constantFrom('X', 'Y'), price: fc.integer({ min: 0, max: 9 }) }), { maxLength: 30 }),
    cuts: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
    seed: fc.integer(),
  })
  .map((c) => {
    // Arrival order: a deterministic shuffle of the event-time order.
    const order = c.rows.map((_, i) => i).sort((a, b) => ((a * 7919 + c.seed) % 13) - ((b * 7919 + c.seed) % 13) || a - b);
    return { ...c, order };
  });

function sqlOf(c: Case, source: string): string {
  const vars = [...varsOf(c.pattern)].sort();
  const defines = vars.filter((v) => c.conds[v] !== null).map((v) => `${NAMES[v]} AS ${CONDS[c.conds[v]!]!.sql(NAMES[v]!)}`);
  if (defines.length === 0) defines.push(`${NAMES[vars[0]!]} AS TRUE`);
  const skipVar = NAMES[vars[c.skipVar % vars.length]!];
  const skip = ['SKIP PAST LAST ROW', 'SKIP TO NEXT ROW', `SKIP TO FIRST ${skipVar}`, `SKIP TO LAST ${skipVar}`][c.skip];
  return `SELECT * FROM ${source} MATCH_RECOGNIZE (
    PARTITION BY sym ORDER BY ts
    MEASURES MATCH_NUMBER() AS mno, FIRST(ts) AS t0, LAST(ts) AS t1, COUNT(A.*) AS na, SUM(price) AS total, CLASSIFIER() AS cls
    ONE ROW PER MATCH AFTER MATCH ${skip}
    PATTERN (${patSql(c.pattern)})${c.within === null ? '' : ` WITHIN INTERVAL '${c.within}' MILLISECOND`}
    DEFINE ${defines.join(', ')}
  ) AS m`;
}

function expected(c: Case): unknown[][] {
  const vars = [...varsOf(c.pattern)].sort();
  const defines = NAMES.map((_, v) => (vars.includes(v) && c.conds[v] !== null ? CONDS[c.conds[v]!]!.js(v) : null));
  const skipVar = vars[c.skipVar % vars.length]!;
  const skip: Skip = [{ kind: 'PAST_LAST_ROW' } as const, { kind: 'TO_NEXT_ROW' } as const, { kind: 'TO_FIRST', v: skipVar } as const, { kind: 'TO_LAST', v: skipVar } as const][c.skip]!;
  const out: unknown[][] = [];
  for (const sym of ['X', 'Y']) {
    const rows: RefRow[] = c.rows.flatMap((r, i) => (r.sym === sym ? [{ ts: T0 + i * 1000, price: r.price }] : []));
    referenceMatches(c.pattern, defines, rows, skip, c.within).forEach((m, k) => {
      const a = m.assigned;
      out.push([sym, k + 1, rows[a[0]!.row]!.ts, rows[a[a.length - 1]!.row]!.ts, a.filter((x) => x.v === 0).length, a.reduce((s, x) => s + rows[x.row]!.price, 0), NAMES[a[a.length - 1]!.v]]);
    });
  }
  return out.sort(byJson);
}

const byJson = (a: unknown[], b: unknown[]) => JSON.stringify(a).localeCompare(JSON.stringify(b));

let engine: Engine;
let n = 0;

beforeAll(async () => {
  engine = await Engine.open();
});
afterAll(async () => {
  await engine.close();
});

async function actual(c: Case): Promise<unknown[][]> {
  const id = n++;
  await engine.execute(`CREATE SOURCE s${id} (sym VARCHAR, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)`);
  await engine.execute(`CREATE MATERIALIZED VIEW v${id} AS ${sqlOf(c, `s${id}`)}`);
  for (let i = 0, k = 0; i < c.order.length; k++) {
    const step = c.cuts[k % c.cuts.length]!;
    const batch = c.order.slice(i, i + step).map((j) => ({ sym: c.rows[j]!.sym, price: c.rows[j]!.price, ts: new Date(T0 + j * 1000) }));
    await engine.insert(`s${id}`, batch);
    i += step;
  }
  await engine.endOfStream(`s${id}`);
  const rows = await engine.query(`SELECT sym, mno, t0, t1, na, total, cls FROM v${id}`);
  await engine.execute(`DROP MATERIALIZED VIEW v${id}`);
  await engine.execute(`DROP SOURCE s${id}`);
  return rows.map((r) => Object.values(r).map((x) => (x instanceof Date ? x.getTime() : x))).sort(byJson);
}

describe('MATCH_RECOGNIZE equals the standard matching by backtracking', () => {
  it('on random patterns, conditions, skip modes and arrival orders', async () => {
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const want = expected(c);
        if (want.length > 0) nonEmpty++;
        expect(await actual(c), sqlOf(c, 's')).toEqual(want);
      }),
      { numRuns: 80 },
    );
    // The property would hold vacuously if nothing ever matched (about half the cases match).
    expect(nonEmpty).toBeGreaterThan(20);
  }, 120_000);
});
