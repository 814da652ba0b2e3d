/**
 * Differential test of the expression compiler against DuckDB: random rows with NULLs, ~90
 * expressions written once as DuckDB SQL and once as a BoundExpr; the compiled result must
 * equal DuckDB's, the row-at-a-time interpreter (evalScalar/castValue), and itself when the
 * batch is cut into random slices. Where sluice differs from DuckDB by design (x / 0, DOUBLE
 * casts of bad text) the SQL spells out sluice's
 * semantics (NULLIF, round, TRY_CAST) and compile.test.ts checks the difference directly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Data } from 'apache-arrow';
import type { BoundExpr } from '../../../src/plan/expr.js';
import type { SqlType, Value } from '../../../src/types.js';
import { batchFromRows, columnsOf, readValue } from '../../../src/exec/batch.js';
import { compileExpr, compilePredicate } from '../../../src/exec/expr/index.js';
import { concatColumns, sliceColumn } from '../../../src/exec/vector/index.js';
import { C, L, SCHEMA, caseWhen, cast, fn, interval, ts } from './build.js';
import { fromDuck, interpret, useDuckTable } from './duck-oracle.js';

const { i, b, d, s, f, t } = C;

/** [DuckDB SQL over table t(i, b, d, s, f, t), the same expression as a BoundExpr]. */
const CASES: readonly (readonly [string, BoundExpr])[] = [
  // arithmetic (INT op INT widens to BIGINT in sluice: the SQL widens too)
  ['i::BIGINT + b', fn('add', i, b)],
  ['i::BIGINT * i', fn('mul', i, i)],
  ['b - i', fn('sub', b, i)],
  ['d * 0.908 + 1', fn('add', fn('mul', d, L(0.908)), L(1))],
  ['d / NULLIF(i, 0)', fn('div', d, i)],
  ['b / NULLIF(b, 0)', fn('div', b, b)],
  ['b % NULLIF(i, 0)', fn('mod', b, i)],
  ['i % 7', fn('mod', i, L(7))],
  ['d - d * 2', fn('sub', d, fn('mul', d, L(2)))],
  ['-i', fn('neg', i)],
  ['-d', fn('neg', d)],
  // comparisons with NULLs
  ['i < b', fn('lt', i, b)],
  ['d >= 0', fn('ge', d, L(0))],
  ['i <> 5', fn('ne', i, L(5))],
  ['i = NULL', fn('eq', i, L(null))],
  ["s = 'abc'", fn('eq', s, L('abc'))],
  ["s < 'b'", fn('lt', s, L('b'))],
  ["s >= 'é'", fn('ge', s, L('é'))],
  ["s > 'a rather long constant string'", fn('gt', s, L('a rather long constant string'))],
  ["s = 'a rather long constant string'", fn('eq', s, L('a rather long constant string'))],
  ["s <= lower(s)", fn('le', s, fn('LOWER', s))],
  ['f = true', fn('eq', f, L(true))],
  ['f < (i > 0)', fn('lt', f, fn('gt', i, L(0)))],
  ["t > TIMESTAMP '2000-01-01 00:00:00'", fn('gt', t, ts('2000-01-01 00:00:00'))],
  ["t <= '2010-06-01 12:00:00'", fn('le', t, L('2010-06-01 12:00:00'))],
  ['i IS DISTINCT FROM b', fn('is_distinct', i, b)],
  ["s IS NOT DISTINCT FROM 'abc'", fn('is_not_distinct', s, L('abc'))],
  // boolean logic, three-valued
  ['f AND b > 0', fn('and', f, fn('gt', b, L(0)))],
  ['f OR d < 0', fn('or', f, fn('lt', d, L(0)))],
  ['NOT f', fn('not', f)],
  ['(i > 0 AND f) OR (s IS NULL AND NOT f)', fn('or', fn('and', fn('gt', i, L(0)), f), fn('and', fn('is_null', s), fn('not', f)))],
  ['f AND NULL', fn('and', f, L(null))],
  ['f OR NULL', fn('or', f, L(null))],
  ['s IS NULL', fn('is_null', s)],
  ['t IS NOT NULL', fn('is_not_null', t)],
  // IN, BETWEEN
  ['i IN (1, 2, 3, NULL)', fn('in', i, L(1), L(2), L(3), L(null))],
  ['b IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0)', fn('in', b, ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0].map((x) => L(x)))],
  ["s IN ('abc', 'é', 'x', '')", fn('in', s, L('abc'), L('é'), L('x'), L(''))],
  [
    "s IN ('a', 'b', 'c', 'ab', 'bc', 'abc', 'x', 'é', '日本', 'zz')",
    fn('in', s, ...['a', 'b', 'c', 'ab', 'bc', 'abc', 'x', 'é', '日本', 'zz'].map((x) => L(x))),
  ],
  ['i IN (b, 5, NULL)', fn('in', i, b, L(5), L(null))],
  ['d IN (1.5, -2.5)', fn('in', d, L(1.5), L(-2.5))],
  ['i BETWEEN -5 AND 5', fn('and', fn('ge', i, L(-5)), fn('le', i, L(5)))],
  // LIKE
  ["s LIKE 'ab%'", fn('like', s, L('ab%'))],
  ["s LIKE '%c'", fn('like', s, L('%c'))],
  ["s LIKE '%bc%'", fn('like', s, L('%bc%'))],
  ["s LIKE 'a_c'", fn('like', s, L('a_c'))],
  ["s LIKE 'abc'", fn('like', s, L('abc'))],
  ["s LIKE '%é%'", fn('like', s, L('%é%'))],
  ["s LIKE '_'", fn('like', s, L('_'))],
  ["s LIKE '%a%b%'", fn('like', s, L('%a%b%'))],
  ["s LIKE '日%_'", fn('like', s, L('日%_'))],
  ["s LIKE '%'", fn('like', s, L('%'))],
  ["lower(s) LIKE '%a%'", fn('like', fn('LOWER', s), L('%a%'))],
  ["s LIKE s", fn('like', s, s)],
  // CASE, COALESCE, NULLIF
  ["CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' END", caseWhen([[fn('gt', i, L(0)), L('pos')], [fn('lt', i, L(0)), L('neg')]])],
  ['CASE WHEN f THEN d ELSE -d END', caseWhen([[f, d]], fn('neg', d))],
  ["CASE WHEN s IS NULL THEN 'none' ELSE s END", caseWhen([[fn('is_null', s), L('none')]], s)],
  ["CASE WHEN i = 0 THEN NULL ELSE b - b % i END", caseWhen([[fn('eq', i, L(0)), L(null)]], fn('sub', b, fn('mod', b, i)))],
  ["CASE WHEN f THEN upper(s) ELSE s END", caseWhen([[f, fn('UPPER', s)]], s)],
  ['CASE WHEN i > 0 THEN i WHEN f THEN b END', caseWhen([[fn('gt', i, L(0)), i], [f, b]])],
  ['CASE WHEN d > 0 THEN f ELSE NOT f END', caseWhen([[fn('gt', d, L(0)), f]], fn('not', f))],
  ['COALESCE(i, b, 0)', fn('COALESCE', i, b, L(0))],
  ["COALESCE(s, 'x')", fn('COALESCE', s, L('x'))],
  ["COALESCE(s, upper(s), 'z')", fn('COALESCE', s, fn('UPPER', s), L('z'))],
  ['COALESCE(f, i > 0)', fn('COALESCE', f, fn('gt', i, L(0)))],
  ['NULLIF(i, 0)', fn('NULLIF', i, L(0))],
  ["NULLIF(s, 'abc')", fn('NULLIF', s, L('abc'))],
  // casts
  ['CAST(i AS VARCHAR)', cast(i, 'VARCHAR')],
  ['CAST(b AS DOUBLE)', cast(b, 'DOUBLE')],
  ['CAST(d AS BIGINT)', cast(d, 'BIGINT')],
  ['TRY_CAST(d AS INT)', cast(d, 'INT')],
  ['TRY_CAST(b AS INT)', cast(b, 'INT')],
  ['CAST(f AS INT)', cast(f, 'INT')],
  ['CAST(i AS BOOLEAN)', cast(i, 'BOOLEAN')],
  ['CAST(t AS DATE)', cast(t, 'DATE')],
  ['CAST(t AS VARCHAR)', cast(t, 'VARCHAR')],
  ['CAST(d AS VARCHAR)', cast(d, 'VARCHAR')],
  ['CAST(f AS VARCHAR)', cast(f, 'VARCHAR')],
  ['TRY_CAST(s AS INT)', cast(s, 'INT')],
  ['TRY_CAST(s AS DOUBLE)', cast(s, 'DOUBLE')],
  ['TRY_CAST(s AS TIMESTAMP)', cast(s, 'TIMESTAMP')],
  ['TRY_CAST(s AS BOOLEAN)', cast(s, 'BOOLEAN')],
  ['TRY_CAST(s AS DATE)', cast(s, 'DATE')],
  // strings
  ["s || 'x'", fn('concat_op', s, L('x'))],
  ['s || i', fn('concat_op', s, i)],
  ['CONCAT(s, i, NULL)', fn('CONCAT', s, i, L(null))],
  ['lower(s)', fn('LOWER', s)],
  // the wider function library (src/plan/more-functions.ts)
  ["regexp_extract(s, '[a-c]+')", fn('REGEXP_EXTRACT', s, L('[a-c]+'))],
  ["regexp_extract(s, '(b)(c)?', 1)", fn('REGEXP_EXTRACT', s, L('(b)(c)?'), L(1))],
  ["regexp_matches(s, '^a')", fn('REGEXP_MATCHES', s, L('^a'))],
  ["regexp_replace(s, 'b', 'X')", fn('REGEXP_REPLACE', s, L('b'), L('X'))],
  ["regexp_replace(s, 'b', 'X', 'g')", fn('REGEXP_REPLACE', s, L('b'), L('X'), L('g'))],
  ["split_part(s, 'b', 2)", fn('SPLIT_PART', s, L('b'), L(2))],
  ["split_part(s, 'b', -1)", fn('SPLIT_PART', s, L('b'), L(-1))],
  ["split_part(s, 'bc', 1)", fn('SPLIT_PART', s, L('bc'), L(1))],
  ["replace(s, 'a', 'zz')", fn('REPLACE', s, L('a'), L('zz'))],
  ["strpos(s, 'c')", fn('STRPOS', s, L('c'))],
  ["starts_with(s, 'a')", fn('STARTS_WITH', s, L('a'))],
  ["\"left\"(s, 2)", fn('LEFT', s, L(2))],
  ["\"right\"(s, 2)", fn('RIGHT', s, L(2))],
  ['reverse(s)', fn('REVERSE', s)],
  ["lpad(s, 5, '*')", fn('LPAD', s, L(5), L('*'))],
  ['greatest(i, b)', fn('GREATEST', i, b)],
  ['least(d, 0)', fn('LEAST', d, L(0))],
  ['sqrt(abs(d))', fn('SQRT', fn('ABS', d))],
  ['power(d, 2)', fn('POWER', d, L(2))],
  ['sign(d)', fn('SIGN', d)],
  ['epoch_ms(t)', fn('EPOCH_MS', t)],
  ['upper(s)', fn('UPPER', s)],
  ['length(s)', fn('LENGTH', s)],
  ['length(upper(s))', fn('LENGTH', fn('UPPER', s))],
  ['substring(s, 2, 3)', fn('SUBSTRING', s, L(2), L(3))],
  ['substring(s, i % 5)', fn('SUBSTRING', s, fn('mod', i, L(5)))],
  ['substring(s, -2)', fn('SUBSTRING', s, L(-2))],
  ['trim(s)', fn('TRIM', s)],
  ['ltrim(s)', fn('LTRIM', s)],
  ['rtrim(s)', fn('RTRIM', s)],
  // numbers
  ['abs(i)', fn('ABS', i)],
  ['abs(d)', fn('ABS', d)],
  ['round(d)', fn('ROUND', d)],
  ['round(d, 2)', fn('ROUND', d, L(2))],
  ['round(i, -1)', fn('ROUND', i, L(-1))],
  ['round(d, -2)', fn('ROUND', d, L(-2))],
  ['floor(d)', fn('FLOOR', d)],
  ['ceil(d)', fn('CEIL', d)],
  // time
  ...['year', 'quarter', 'month', 'week', 'day', 'dow', 'doy', 'hour', 'minute', 'millisecond', 'epoch', 'isodow'].map(
    (field) => [`extract(${field} FROM t)`, fn('EXTRACT', L(field), t)] as const,
  ),
  ['extract(second FROM t)', fn('EXTRACT', L('second'), t)],
  ['extract(year FROM CAST(t AS DATE))', fn('EXTRACT', L('year'), cast(t, 'DATE'))],
  ...['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'].map(
    (unit) => [`date_trunc('${unit}', t)`, fn('DATE_TRUNC', L(unit), t)] as const,
  ),
  ["t + INTERVAL '10' SECOND", fn('add', t, interval(10_000))],
  ["t - INTERVAL '1' DAY", fn('sub', t, interval(86_400_000))],
  ["t - TIMESTAMP '2000-01-01 00:00:00'", fn('sub', t, ts('2000-01-01 00:00:00'))],
  ["extract(epoch FROM t - TIMESTAMP '2000-01-01 00:00:00')", fn('EXTRACT', L('epoch'), fn('sub', t, ts('2000-01-01 00:00:00')))],
  ['CAST(t AS DATE) + 1', fn('add', cast(t, 'DATE'), L(1))],
  ["CAST(t AS DATE) + INTERVAL '1' HOUR", fn('add', cast(t, 'DATE'), interval(3_600_000))],
];

// ---- data ----------------------------------------------------------------------------------

const TEXTS = [
  'abc', 'ab', 'bc', 'a', 'b', 'c', 'x', '', ' abc ', '  a', 'b  ', 'é', 'ébc', 'aé', '日本', '日本語', 'Straße', 'İi',
  '🎉', 'a🎉c', 'ABC', 'aXbYc', 'a%c', 'a_c', '12', ' 3.5 ', '-7', '1e3', '2.5', '1_000', 'true', 'f', 'yes', 'no', '2',
  '2024-01-01 10:00:00', '2024-02-30', '2024-03-01T05:06:07.123', '1999-12-31', 'a rather long constant string',
  'a rather long constant strings', 'ﬀ', '\uE000x',
];

const rowArb = fc.tuple(
  fc.option(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(0, 1, -1, 5)), { freq: 5 }),
  fc.option(fc.oneof(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.constantFrom(0, 1, 3, -3)), { freq: 5 }),
  fc.option(
    fc.oneof(
      fc.integer({ min: -2000, max: 2000 }).map((x) => x / 2),
      fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
      fc.constantFrom(0, 1.005, 2.5, -2.5, 1234.5, 1e-7, 123456789.25),
    ),
    { freq: 5 },
  ),
  fc.option(fc.oneof(fc.constantFrom(...TEXTS), fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '日', '🎉', ' ', '%', '_'), maxLength: 6 })), { freq: 5 }),
  fc.option(fc.boolean(), { freq: 4 }),
  fc.option(fc.integer({ min: -200_000_000_000, max: 2_200_000_000_000 }), { freq: 5 }),
);

type Row = [number | null, number | null, number | null, string | null, boolean | null, number | null];

function same(a: Value, e: Value, type: SqlType): boolean {
  if (a === null || e === null) return a === e;
  if (typeof a === 'number' && typeof e === 'number') {
    if (a !== a || e !== e) return a !== a && e !== e;
    if (type === 'DOUBLE') return a === e || Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e));
    return a === e;
  }
  return a === e;
}

function columnValues(col: Data, type: SqlType, n: number): Value[] {
  const out: Value[] = [];
  for (let r = 0; r < n; r++) {
    const v = readValue(col, r, type);
    out.push(typeof v === 'number' && Object.is(v, -0) ? 0 : v);
  }
  return out;
}

/** Evaluates in random slices and concatenates: must equal the one-batch result. */
function evaluateSliced(e: BoundExpr, cols: readonly Data[], n: number, cuts: readonly number[]): Data {
  const compiled = compileExpr(e);
  const parts: Data[] = [];
  let at = 0;
  for (const c of [...cuts, n]) {
    const end = Math.min(n, Math.max(at, c));
    if (end > at) {
      parts.push(compiled.evaluate(cols.map((x) => sliceColumn(x, at, end - at)), end - at));
      at = end;
    }
  }
  return parts.length === 0 ? compiled.evaluate(cols, 0) : concatColumns(parts);
}

const duck = useDuckTable(SCHEMA);

describe('compiled expressions vs DuckDB', () => {
  it('match DuckDB, the interpreter, and sliced evaluation on random rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 160 }),
        fc.array(fc.integer({ min: 0, max: 160 }), { maxLength: 6 }).map((xs) => [...xs].sort((x, y) => x - y)),
        async (rows0, cuts) => {
          const rows = rows0 as Row[];
          await duck.load(rows);
          const batch = batchFromRows(SCHEMA, rows);
          const cols = columnsOf(batch);
          const n = rows.length;
          for (const [sql, e] of CASES) {
            const got = columnValues(compileExpr(e).evaluate(cols, n), e.type, n);
            const reader = await duck.con.runAndReadAll(`SELECT ${sql} AS x FROM t ORDER BY id`);
            const want = reader.getRows().map((r) => fromDuck(r[0]));
            for (let r = 0; r < n; r++) {
              if (!same(got[r]!, want[r]!, e.type)) {
                expect.fail(`${sql} on row ${JSON.stringify(rows[r])}: sluice ${String(got[r])}, DuckDB ${String(want[r])}`);
              }
              const interp = interpret(e, rows[r]!);
              if (!same(got[r]!, typeof interp === 'number' && Object.is(interp, -0) ? 0 : interp, e.type)) {
                expect.fail(`${sql} on row ${JSON.stringify(rows[r])}: compiled ${String(got[r])}, interpreted ${String(interp)}`);
              }
            }
            const sliced = columnValues(evaluateSliced(e, cols, n, cuts), e.type, n);
            expect(sliced, `${sql} evaluated in slices ${cuts.join(',')}`).toEqual(got);
            if (e.type === 'BOOLEAN') {
              const { sel, count } = compilePredicate(e).select(cols, n);
              const want = got.flatMap((v, r) => (v === true ? [r] : []));
              expect([...sel.subarray(0, count)], `${sql} as a predicate`).toEqual(want);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
