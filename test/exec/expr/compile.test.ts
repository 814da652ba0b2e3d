/**
 * The compiler's own semantics, including where sluice differs from DuckDB by design, and
 * its handling of parameters, constants, shapes of input (nulls, offsets) and bad trees.
 */
import { describe, expect, it } from 'vitest';
import type { Data } from 'apache-arrow';
import type { BoundExpr } from '../../../src/plan/expr.js';
import type { Schema, SqlType, Value } from '../../../src/types.js';
import { batchFromRows, columnsOf, readValue } from '../../../src/exec/batch.js';
import { SluiceError } from '../../../src/errors.js';
import { compileExpr, compilePredicate } from '../../../src/exec/expr/index.js';
import { C, L, SCHEMA, caseWhen, cast, fn, interval, param, ts } from './build.js';

const { i, b, d, s, f, t } = C;

function cols(schema: Schema, rows: readonly (readonly Value[])[]): readonly Data[] {
  return columnsOf(batchFromRows(schema, rows));
}

function evalRows(e: BoundExpr, rows: readonly (readonly Value[])[], params?: readonly Value[], schema: Schema = SCHEMA): Value[] {
  const out = compileExpr(e).evaluate(cols(schema, rows), rows.length, params);
  return rows.map((_, r) => readValue(out, r, e.type));
}

/** One-column rows of the test schema: `only(2, [1.5, null])` puts values in column d. */
function only(index: number, values: readonly Value[]): Value[][] {
  return values.map((v) => SCHEMA.map((_, j) => (j === index ? v : null)));
}

describe('sluice semantics that differ from DuckDB by design', () => {
  it('divides by zero to NULL (DuckDB gives ±inf or NaN)', () => {
    expect(evalRows(fn('div', d, L(0)), only(2, [1, -1, 0, null]))).toEqual([null, null, null, null]);
    expect(evalRows(fn('div', L(1), i), only(0, [0, 2]))).toEqual([null, 0.5]);
    expect(evalRows(fn('mod', d, L(0.0)), only(2, [5.5]))).toEqual([null]);
  });

  it('casts DOUBLE to integers rounding half to even as DuckDB does, NULL when out of range', () => {
    const values = [2.5, -2.5, 0.5, 3.5, -0.4, 2147483647.4, 2147483648, NaN, Infinity, 2.6];
    expect(evalRows(cast(d, 'INT'), only(2, values))).toEqual([2, -2, 0, 4, 0, 2147483647, null, null, null, 3]);
    expect(evalRows(cast(d, 'BIGINT'), only(2, values))).toEqual([2, -2, 0, 4, 0, 2147483647, 2147483648, null, null, 3]);
  });

  it('gives whole seconds in EXTRACT(SECOND), as DuckDB does', () => {
    expect(evalRows(fn('EXTRACT', L('second'), t), only(5, [Date.UTC(2024, 0, 1, 0, 0, 10, 500)]))).toEqual([10]);
  });

  it('casts unparseable text to NULL instead of failing', () => {
    expect(evalRows(cast(s, 'INT'), only(3, ['abc', '', '12', '9999999999']))).toEqual([null, null, 12, null]);
    expect(evalRows(cast(s, 'TIMESTAMP'), only(3, ['2024-02-30', 'x', '2024-01-01T00:00:00Z']))).toEqual([
      null,
      null,
      Date.UTC(2024, 0, 1),
    ]);
  });

  it('applies a timestamp offset when parsing text', () => {
    expect(evalRows(cast(s, 'TIMESTAMP'), only(3, ['2024-01-01 05:00:00+02:00']))).toEqual([Date.UTC(2024, 0, 1, 3)]);
  });
});

describe('three-valued logic', () => {
  const schema: Schema = [
    { name: 'x', type: 'BOOLEAN' },
    { name: 'y', type: 'BOOLEAN' },
  ];
  const x: BoundExpr = { kind: 'Column', index: 0, name: 'x', type: 'BOOLEAN' };
  const y: BoundExpr = { kind: 'Column', index: 1, name: 'y', type: 'BOOLEAN' };
  const vals = [true, false, null];
  const rows = vals.flatMap((a) => vals.map((c) => [a, c]));
  const and3 = (a: Value, c: Value): Value => (a === false || c === false ? false : a === null || c === null ? null : true);
  const or3 = (a: Value, c: Value): Value => (a === true || c === true ? true : a === null || c === null ? null : false);

  it('AND, OR and NOT follow the truth tables', () => {
    expect(evalRows(fn('and', x, y), rows, [], schema)).toEqual(rows.map(([a, c]) => and3(a!, c!)));
    expect(evalRows(fn('or', x, y), rows, [], schema)).toEqual(rows.map(([a, c]) => or3(a!, c!)));
    expect(evalRows(fn('not', x), rows, [], schema)).toEqual(rows.map(([a]) => (a === null ? null : !a)));
    expect(evalRows(fn('and', x, y, fn('not', y)), rows, [], schema)).toEqual(rows.map(([a, c]) => and3(and3(a!, c!), c === null ? null : !c)));
  });

  it('a predicate keeps only TRUE rows', () => {
    const { sel, count } = compilePredicate(fn('or', x, y)).select(cols(schema, rows), rows.length);
    expect([...sel.subarray(0, count)]).toEqual(rows.flatMap(([a, c], r) => (or3(a!, c!) === true ? [r] : [])));
  });

  it('IS [NOT] DISTINCT FROM treats NULL as a value', () => {
    expect(evalRows(fn('is_distinct', x, y), rows, [], schema)).toEqual(
      rows.map(([a, c]) => a !== c),
    );
  });
});

describe('lazy and conditional evaluation', () => {
  it('CASE takes the first matching branch and ignores what other branches would give', () => {
    const e = caseWhen([[fn('eq', i, L(0)), L(0)]], fn('div', L(10), i));
    expect(evalRows(e, only(0, [0, 5, null]))).toEqual([0, 2, null]);
    const noElse = caseWhen([[fn('gt', i, L(0)), L('pos')]]);
    expect(evalRows(noElse, only(0, [1, -1, null]))).toEqual(['pos', null, null]);
  });

  it('COALESCE returns the first non-NULL value, strings without decoding', () => {
    const rows = [[1, null, null, 'a', null, null], [null, 7, null, null, null, null], [null, null, null, null, null, null]];
    expect(evalRows(fn('COALESCE', i, b, L(0)), rows)).toEqual([1, 7, 0]);
    expect(evalRows(fn('COALESCE', s, L('z')), rows)).toEqual(['a', 'z', 'z']);
  });

  it('IN is NULL when nothing matches and the list holds a NULL', () => {
    const long = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => L(v));
    expect(evalRows(fn('in', i, ...long, L(null)), only(0, [3, 40, null]))).toEqual([true, null, null]);
    expect(evalRows(fn('in', i, ...long), only(0, [12, 40]))).toEqual([true, false]);
    const words = 'a b c d e f g h i j'.split(' ').map((w) => L(w));
    expect(evalRows(fn('in', s, ...words), only(3, ['j', 'k', null]))).toEqual([true, false, null]);
  });

  it('keeps the constants of each expression when another compiles to the same code', () => {
    // Two long IN lists generate the same source with their sets as constants: the loops
    // share compiled code (compile.ts keeps one factory per source), not constants.
    const low = compileExpr(fn('in', i, ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => L(v))));
    const high = compileExpr(fn('in', i, ...[11, 12, 13, 14, 15, 16, 17, 18, 19].map((v) => L(v))));
    expect(low.source()).toBe(high.source());
    const rows = only(0, [3, 13]);
    const read = (c: typeof low): Value[] => {
      const out = c.evaluate(cols(SCHEMA, rows), rows.length);
      return rows.map((_, r) => readValue(out, r, 'BOOLEAN'));
    };
    expect(read(low)).toEqual([true, false]);
    expect(read(high)).toEqual([false, true]);
    expect(read(low)).toEqual([true, false]);
  });
});

describe('values', () => {
  it('compares DOUBLE NaN as DuckDB: equal to itself, above every number', () => {
    const rows = only(2, [NaN, 1, Infinity]);
    expect(evalRows(fn('eq', d, L(NaN, 'DOUBLE')), rows)).toEqual([true, false, false]);
    expect(evalRows(fn('gt', d, L(1e308)), rows)).toEqual([true, false, true]);
    expect(evalRows(fn('lt', d, d), rows)).toEqual([false, false, false]);
    expect(evalRows(fn('ge', d, L(Infinity, 'DOUBLE')), rows)).toEqual([true, false, true]);
  });

  it('turns INT overflow of ABS and unary minus into NULL', () => {
    expect(evalRows(fn('ABS', i), only(0, [-2147483648, -5]))).toEqual([null, 5]);
    expect(evalRows(fn('neg', i), only(0, [-2147483648, 5]))).toEqual([null, -5]);
  });

  it('LIKE matches _ as one code point and treats regex characters literally', () => {
    const rows = only(3, ['日本', 'a.c', 'abc', 'a+b(x)', '🎉x']);
    expect(evalRows(fn('like', s, L('_本')), rows)).toEqual([true, false, false, false, false]);
    expect(evalRows(fn('like', s, L('a.c')), rows)).toEqual([false, true, false, false, false]);
    expect(evalRows(fn('like', s, L('%+b(_)')), rows)).toEqual([false, false, false, true, false]);
    expect(evalRows(fn('like', s, L('__')), rows)).toEqual([true, false, false, false, true]);
  });

  it('does timestamp arithmetic on epoch milliseconds', () => {
    const at = Date.UTC(2024, 0, 1, 12);
    const rows = only(5, [at]);
    expect(evalRows(fn('sub', t, interval(3_600_000)), rows)).toEqual([at - 3_600_000]);
    expect(evalRows(fn('sub', t, ts('2024-01-01 00:00:00')), rows)).toEqual([12 * 3_600_000]);
    expect(evalRows(fn('DATE_TRUNC', L('week'), t), rows)).toEqual([Date.UTC(2024, 0, 1)]);
    expect(evalRows(cast(fn('add', cast(t, 'DATE'), L(1)), 'VARCHAR'), rows)).toEqual(['2024-01-02']);
  });

  it('formats repeated times and substrings of repeated text once, without mixing up rows or NULLs', () => {
    const a = Date.UTC(2024, 0, 1, 9, 30);
    const z = Date.UTC(2024, 0, 2, 23, 5);
    const rows = only(5, [a, a, null, a, z, z, null, a]);
    const A = '2024-01-01 09:30:00';
    const Z = '2024-01-02 23:05:00';
    expect(evalRows(cast(t, 'VARCHAR'), rows)).toEqual([A, A, null, A, Z, Z, null, A]);
    expect(evalRows(fn('SUBSTRING', cast(t, 'VARCHAR'), L(12), L(5)), rows)).toEqual(['09:30', '09:30', null, '09:30', '23:05', '23:05', null, '09:30']);
    // A position read from a column is not constant: no reuse across rows.
    const texts = [['ab', 1], ['ab', 2], ['ab', 2]].map(([x, k]) => SCHEMA.map((c) => (c.name === 's' ? x! : c.name === 'i' ? k! : null)));
    expect(evalRows(fn('SUBSTRING', s, i), texts)).toEqual(['ab', 'b', 'b']);
    expect(evalRows(fn('UPPER', s), only(3, ['ab', 'ab', null, 'cd', 'ab']))).toEqual(['AB', 'AB', null, 'CD', 'AB']);
  });
});

describe('parameters, constants and input shapes', () => {
  it('reads parameters per call', () => {
    const e = fn('and', fn('gt', d, param(0, 'DOUBLE')), fn('eq', s, param(1, 'VARCHAR')));
    const rows = [[null, null, 5, 'x', null, null], [null, null, 1, 'x', null, null], [null, null, 9, 'y', null, null]];
    const p = compilePredicate(e);
    const c = cols(SCHEMA, rows);
    const picked = (params: Value[]): number[] => {
      const { sel, count } = p.select(c, rows.length, params);
      return [...sel.subarray(0, count)];
    };
    expect(picked([2, 'x'])).toEqual([0]);
    expect(picked([0, 'x'])).toEqual([0, 1]);
    expect(picked([null, 'x'])).toEqual([]);
  });

  it('takes parameters where constants usually stand (LIKE pattern, IN list, field and unit names)', () => {
    const at = Date.UTC(2024, 4, 17, 13, 30);
    const rows = [[2, null, null, 'abc', null, at], [5, null, null, 'xbz', null, null]];
    expect(evalRows(fn('like', s, param(0, 'VARCHAR')), rows, ['_b%'])).toEqual([true, true]);
    expect(evalRows(fn('like', s, param(0, 'VARCHAR')), rows, [null])).toEqual([null, null]);
    expect(evalRows(fn('in', i, param(0, 'INT'), L(5)), rows, [2])).toEqual([true, true]);
    expect(evalRows(fn('EXTRACT', param(0, 'VARCHAR'), t), rows, ['month'])).toEqual([5, null]);
    expect(evalRows(fn('EXTRACT', param(0, 'VARCHAR'), t), rows, ['fortnight'])).toEqual([null, null]);
    expect(evalRows(fn('DATE_TRUNC', param(0, 'VARCHAR'), t), rows, ['hour'])).toEqual([Date.UTC(2024, 4, 17, 13), null]);
    expect(evalRows(fn('ROUND', cast(i, 'DOUBLE'), param(0, 'INT')), rows, [-1])).toEqual([0, 10]);
    expect(evalRows(caseWhen([[fn('gt', i, L(3)), fn('UPPER', s)]], param(0, 'VARCHAR')), rows, ['p'])).toEqual(['p', 'XBZ']);
  });

  it('fails with ARGUMENT when a parameter is missing', () => {
    const e = compileExpr(fn('add', d, param(0, 'DOUBLE')));
    expect(() => e.evaluate(cols(SCHEMA, only(2, [1])), 1)).toThrow(SluiceError);
    expect(() => e.evaluate(cols(SCHEMA, only(2, [1])), 1, [])).toThrow(/parameter 1/);
  });

  it('folds constant subtrees and returns a plain column unchanged', () => {
    const c = cols(SCHEMA, only(0, [1, 2]));
    const folded = compileExpr(fn('add', i, fn('mul', L(2), L(3))));
    expect(folded.source()).toMatch(/\+ 6;/);
    expect(evalRows(fn('mul', L(2), L(3)), only(0, [1, 2]))).toEqual([6, 6]);
    expect(compileExpr(i).evaluate(c, 2)).toBe(c[0]);
    const p = compilePredicate(fn('or', L(true, 'BOOLEAN'), fn('gt', i, L(0))));
    expect(p.select(c, 2).count).toBe(2);
    expect(compilePredicate(fn('and', L(null, 'BOOLEAN'), fn('gt', i, L(0)))).select(c, 2).count).toBe(0);
  });

  it('gives the same results for batches with and without NULLs from one compiled expression', () => {
    const e = compileExpr(fn('add', fn('mul', i, L(2)), b));
    const noNulls = cols(SCHEMA, [[1, 2, null, null, null, null]].map((r) => r));
    const withNulls = cols(SCHEMA, [[1, null, null, null, null, null], [3, 4, null, null, null, null]]);
    expect(readValue(e.evaluate(noNulls, 1), 0, 'BIGINT')).toBe(4);
    const out = e.evaluate(withNulls, 2);
    expect([readValue(out, 0, 'BIGINT'), readValue(out, 1, 'BIGINT')]).toEqual([null, 10]);
    expect(e.evaluate(noNulls, 1).nullCount).toBe(0);
  });

  it('reads Arrow-sliced inputs (non-zero offset) correctly', () => {
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((k) => [k, null, k / 2, `s${k}`, k % 3 === 0 ? null : k % 2 === 0, null]);
    const c = cols(SCHEMA, rows).map((x) => x.slice(5, 6));
    const e = fn('concat_op', s, cast(fn('COALESCE', f, L(false)), 'VARCHAR'), cast(d, 'VARCHAR'));
    const out = compileExpr(e).evaluate(c, 6);
    expect([0, 1, 2, 3, 4, 5].map((r) => readValue(out, r, 'VARCHAR'))).toEqual([
      's5false2.5',
      's6false3.0',
      's7false3.5',
      's8true4.0',
      's9false4.5',
      's10true5.0',
    ]);
  });

  it('rejects malformed trees with INTERNAL', () => {
    const bad: BoundExpr = { kind: 'Call', fn: 'frobnicate' as 'add', args: [i], type: 'INT' };
    expect(() => compileExpr(bad)).toThrow(/cannot compile function frobnicate/);
    const outOfRange: BoundExpr = { kind: 'Column', index: 9, name: 'z', type: 'INT' };
    expect(() => compileExpr(fn('add', outOfRange, L(1))).evaluate(cols(SCHEMA, only(0, [1])), 1)).toThrow(SluiceError);
    const wrongType: BoundExpr = { kind: 'Column', index: 3, name: 's', type: 'DOUBLE' as SqlType };
    try {
      compileExpr(fn('add', wrongType, L(1))).evaluate(cols(SCHEMA, only(0, [1])), 1);
      expect.fail('no error');
    } catch (err) {
      expect((err as SluiceError).code).toBe('INTERNAL');
    }
  });
});
