/**
 * The scalar function catalog: typing rules (including the errors a user sees), single-value
 * evaluation, casts, and the time/text conversions. Expected texts and values were checked
 * against DuckDB 1.5 except where the comment says sluice differs on purpose.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SqlType } from '../../src/types.js';
import {
  canCast,
  castValue,
  commonType,
  dateTruncFn,
  evalScalar,
  extractFieldFn,
  extractResultType,
  formatDate,
  formatDouble,
  formatInterval,
  formatIsoTimestamp,
  formatTimestamp,
  parseDate,
  parseInterval,
  parseTimestamp,
  resolveFunction,
  substringOf,
} from '../../src/plan/functions.js';

describe('resolveFunction', () => {
  const ok: [string, SqlType[], SqlType, SqlType[]][] = [
    ['add', ['INT', 'INT'], 'BIGINT', ['BIGINT', 'BIGINT']],
    ['add', ['INT', 'DOUBLE'], 'DOUBLE', ['DOUBLE', 'DOUBLE']],
    ['mul', ['BIGINT', 'INT'], 'BIGINT', ['BIGINT', 'BIGINT']],
    ['div', ['INT', 'INT'], 'DOUBLE', ['DOUBLE', 'DOUBLE']],
    ['mod', ['INT', 'BIGINT'], 'BIGINT', ['BIGINT', 'BIGINT']],
    ['add', ['TIMESTAMP', 'INTERVAL'], 'TIMESTAMP', ['TIMESTAMP', 'INTERVAL']],
    ['add', ['INTERVAL', 'TIMESTAMP'], 'TIMESTAMP', ['INTERVAL', 'TIMESTAMP']],
    ['sub', ['TIMESTAMP', 'INTERVAL'], 'TIMESTAMP', ['TIMESTAMP', 'INTERVAL']],
    ['sub', ['TIMESTAMP', 'TIMESTAMP'], 'INTERVAL', ['TIMESTAMP', 'TIMESTAMP']],
    ['sub', ['TIMESTAMP', 'DATE'], 'INTERVAL', ['TIMESTAMP', 'TIMESTAMP']],
    ['sub', ['DATE', 'DATE'], 'BIGINT', ['DATE', 'DATE']],
    ['add', ['DATE', 'INT'], 'DATE', ['DATE', 'INT']],
    ['sub', ['DATE', 'BIGINT'], 'DATE', ['DATE', 'BIGINT']],
    ['add', ['DATE', 'INTERVAL'], 'TIMESTAMP', ['TIMESTAMP', 'INTERVAL']],
    ['add', ['INTERVAL', 'INTERVAL'], 'INTERVAL', ['INTERVAL', 'INTERVAL']],
    ['mul', ['INTERVAL', 'DOUBLE'], 'INTERVAL', ['INTERVAL', 'DOUBLE']],
    ['mul', ['INT', 'INTERVAL'], 'INTERVAL', ['INT', 'INTERVAL']],
    ['add', ['NULL', 'INT'], 'BIGINT', ['BIGINT', 'BIGINT']],
    ['add', ['TIMESTAMP', 'NULL'], 'TIMESTAMP', ['TIMESTAMP', 'INTERVAL']],
    ['neg', ['INT'], 'INT', ['INT']],
    ['neg', ['INTERVAL'], 'INTERVAL', ['INTERVAL']],
    ['eq', ['INT', 'DOUBLE'], 'BOOLEAN', ['DOUBLE', 'DOUBLE']],
    ['lt', ['DATE', 'TIMESTAMP'], 'BOOLEAN', ['TIMESTAMP', 'TIMESTAMP']],
    ['ge', ['VARCHAR', 'TIMESTAMP'], 'BOOLEAN', ['TIMESTAMP', 'TIMESTAMP']],
    ['eq', ['NULL', 'VARCHAR'], 'BOOLEAN', ['VARCHAR', 'VARCHAR']],
    ['is_distinct', ['BIGINT', 'INT'], 'BOOLEAN', ['BIGINT', 'BIGINT']],
    ['and', ['BOOLEAN', 'NULL'], 'BOOLEAN', ['BOOLEAN', 'BOOLEAN']],
    ['not', ['BOOLEAN'], 'BOOLEAN', ['BOOLEAN']],
    ['is_null', ['VARCHAR'], 'BOOLEAN', ['VARCHAR']],
    ['in', ['INT', 'BIGINT', 'NULL', 'INT'], 'BOOLEAN', ['BIGINT', 'BIGINT', 'BIGINT', 'BIGINT']],
    ['like', ['VARCHAR', 'VARCHAR'], 'BOOLEAN', ['VARCHAR', 'VARCHAR']],
    ['concat_op', ['VARCHAR', 'INT'], 'VARCHAR', ['VARCHAR', 'VARCHAR']],
    ['CONCAT', ['VARCHAR', 'TIMESTAMP', 'NULL'], 'VARCHAR', ['VARCHAR', 'VARCHAR', 'VARCHAR']],
    ['LOWER', ['VARCHAR'], 'VARCHAR', ['VARCHAR']],
    ['LENGTH', ['VARCHAR'], 'BIGINT', ['VARCHAR']],
    ['SUBSTRING', ['VARCHAR', 'INT'], 'VARCHAR', ['VARCHAR', 'BIGINT']],
    ['SUBSTR', ['VARCHAR', 'INT', 'BIGINT'], 'VARCHAR', ['VARCHAR', 'BIGINT', 'BIGINT']],
    ['TRIM', ['VARCHAR'], 'VARCHAR', ['VARCHAR']],
    ['ABS', ['INT'], 'INT', ['INT']],
    ['ROUND', ['DOUBLE', 'INT'], 'DOUBLE', ['DOUBLE', 'INT']],
    ['FLOOR', ['BIGINT'], 'BIGINT', ['BIGINT']],
    ['CEILING', ['DOUBLE'], 'DOUBLE', ['DOUBLE']],
    ['COALESCE', ['NULL', 'INT', 'BIGINT'], 'BIGINT', ['BIGINT', 'BIGINT', 'BIGINT']],
    ['NULLIF', ['VARCHAR', 'VARCHAR'], 'VARCHAR', ['VARCHAR', 'VARCHAR']],
    ['DATE_TRUNC', ['VARCHAR', 'DATE'], 'TIMESTAMP', ['VARCHAR', 'TIMESTAMP']],
    ['EXTRACT', ['VARCHAR', 'TIMESTAMP'], 'DOUBLE', ['VARCHAR', 'TIMESTAMP']],
    ['EXTRACT', ['VARCHAR', 'INTERVAL'], 'DOUBLE', ['VARCHAR', 'INTERVAL']],
    ['lower', ['VARCHAR'], 'VARCHAR', ['VARCHAR']],
  ];
  it.each(ok)('%s(%j) is %s', (name, args, type, argTypes) => {
    const r = resolveFunction(name, args);
    expect(r).toEqual({ fn: expect.any(String), type, argTypes });
  });

  const errors: [string, SqlType[], string][] = [
    ['add', ['VARCHAR', 'INT'], 'cannot apply + to VARCHAR and INT'],
    ['sub', ['INTERVAL', 'TIMESTAMP'], 'cannot apply - to INTERVAL and TIMESTAMP'],
    ['mod', ['TIMESTAMP', 'INT'], 'cannot apply % to TIMESTAMP and INT'],
    ['neg', ['VARCHAR'], 'cannot apply unary - to VARCHAR'],
    ['eq', ['VARCHAR', 'INT'], 'cannot apply = to VARCHAR and INT'],
    ['lt', ['BOOLEAN', 'INT'], 'cannot apply < to BOOLEAN and INT'],
    ['and', ['BOOLEAN', 'INT'], 'AND expects BOOLEAN arguments, got BOOLEAN and INT'],
    ['not', ['VARCHAR'], 'NOT expects a BOOLEAN argument, got VARCHAR'],
    ['like', ['INT', 'VARCHAR'], 'LIKE expects VARCHAR arguments, got INT and VARCHAR'],
    ['in', ['INT', 'VARCHAR'], 'cannot compare INT with VARCHAR in IN'],
    ['LOWER', ['BIGINT'], 'LOWER expects a VARCHAR argument, got BIGINT'],
    ['LOWER', ['VARCHAR', 'VARCHAR'], 'LOWER takes 1 argument, got 2'],
    ['SUBSTRING', ['VARCHAR'], 'SUBSTRING takes 2 or 3 arguments, got 1'],
    ['SUBSTRING', ['VARCHAR', 'VARCHAR'], 'SUBSTRING expects integer positions, got VARCHAR'],
    ['ABS', ['VARCHAR'], 'ABS expects a numeric argument, got VARCHAR'],
    ['ROUND', ['DOUBLE', 'DOUBLE'], 'ROUND expects an integer number of digits, got DOUBLE'],
    ['COALESCE', ['INT', 'VARCHAR'], 'COALESCE cannot combine INT and VARCHAR'],
    ['COALESCE', [], 'COALESCE takes at least 1 argument, got 0'],
    ['DATE_TRUNC', ['VARCHAR', 'INT'], 'DATE_TRUNC expects a unit name and a TIMESTAMP, got VARCHAR and INT'],
  ];
  it.each(errors)('%s(%j) fails: %s', (name, args, message) => {
    expect(resolveFunction(name, args)).toBe(message);
  });

  it('returns undefined for unknown names, including operators spelled as SQL functions', () => {
    expect(resolveFunction('FROBNICATE', ['INT'])).toBeUndefined();
    expect(resolveFunction('ADD', ['INT', 'INT'])).toBeUndefined();
  });

  it('knows the result type of each EXTRACT field', () => {
    expect(extractResultType('YEAR')).toBe('BIGINT');
    expect(extractResultType('epoch')).toBe('DOUBLE');
    expect(extractResultType('second')).toBe('BIGINT');
    expect(extractResultType('fortnight')).toBeUndefined();
  });
});

describe('commonType and canCast', () => {
  it.each([
    ['INT', 'BIGINT', 'BIGINT'],
    ['DOUBLE', 'INT', 'DOUBLE'],
    ['NULL', 'VARCHAR', 'VARCHAR'],
    ['DATE', 'TIMESTAMP', 'TIMESTAMP'],
    ['VARCHAR', 'TIMESTAMP', 'TIMESTAMP'],
    ['BOOLEAN', 'BOOLEAN', 'BOOLEAN'],
    ['BOOLEAN', 'INT', undefined],
    ['VARCHAR', 'INT', undefined],
    ['INTERVAL', 'TIMESTAMP', undefined],
  ] as const)('%s, %s → %s', (a, b, want) => {
    expect(commonType(a, b)).toBe(want);
    expect(commonType(b, a)).toBe(want);
  });

  it('allows the casts CastExpr defines', () => {
    expect(canCast('VARCHAR', 'TIMESTAMP')).toBe(true);
    expect(canCast('DOUBLE', 'BOOLEAN')).toBe(true);
    expect(canCast('TIMESTAMP', 'DATE')).toBe(true);
    expect(canCast('TIMESTAMP', 'BIGINT')).toBe(false);
    expect(canCast('INTERVAL', 'INT')).toBe(false);
  });
});

describe('evalScalar', () => {
  it('follows SQL NULL semantics', () => {
    expect(evalScalar('add', [1, null], 'BIGINT')).toBeNull();
    expect(evalScalar('and', [false, null], 'BOOLEAN')).toBe(false);
    expect(evalScalar('and', [true, null], 'BOOLEAN')).toBeNull();
    expect(evalScalar('or', [true, null], 'BOOLEAN')).toBe(true);
    expect(evalScalar('or', [false, null], 'BOOLEAN')).toBeNull();
    expect(evalScalar('is_null', [null], 'BOOLEAN')).toBe(true);
    expect(evalScalar('is_distinct', [null, null], 'BOOLEAN')).toBe(false);
    expect(evalScalar('in', [2, 1, null], 'BOOLEAN')).toBeNull();
    expect(evalScalar('in', [1, 1, null], 'BOOLEAN')).toBe(true);
    expect(evalScalar('concat_op', ['a', null], 'VARCHAR')).toBeNull();
    expect(evalScalar('concat', ['a', null, '1'], 'VARCHAR')).toBe('a1');
    expect(evalScalar('coalesce', [null, 2, 3], 'INT')).toBe(2);
    expect(evalScalar('nullif', [1, 1], 'INT')).toBeNull();
  });

  it('computes arithmetic and functions as DuckDB', () => {
    expect(evalScalar('div', [1, 0], 'DOUBLE')).toBeNull();
    expect(evalScalar('mod', [-7, 3], 'BIGINT')).toBe(-1);
    expect(evalScalar('mul', [-3, 0], 'BIGINT')).toBe(0);
    expect(Object.is(evalScalar('mul', [-3, 0], 'BIGINT'), -0)).toBe(false);
    expect(evalScalar('neg', [-2147483648], 'INT')).toBeNull();
    expect(evalScalar('round', [2.5], 'DOUBLE')).toBe(3);
    expect(evalScalar('round', [-2.5], 'DOUBLE')).toBe(-3);
    expect(evalScalar('round', [1.005, 2], 'DOUBLE')).toBe(1);
    expect(evalScalar('round', [1234.5, -2], 'DOUBLE')).toBe(1200);
    expect(evalScalar('round', [15, -1], 'INT')).toBe(20);
    expect(evalScalar('round', [-15, -1], 'INT')).toBe(-20);
    expect(evalScalar('length', ['日本🎉'], 'BIGINT')).toBe(3);
    expect(evalScalar('upper', ['straße ﬀ'], 'VARCHAR')).toBe('STRAẞE ﬀ');
    expect(evalScalar('lower', ['İ'], 'VARCHAR')).toBe('i');
    expect(evalScalar('trim', ['\t a \n'], 'VARCHAR')).toBe('\t a \n');
    expect(evalScalar('trim', ['  a  '], 'VARCHAR')).toBe('a');
    expect(evalScalar('ltrim', ['  a  '], 'VARCHAR')).toBe('a  ');
    expect(evalScalar('trim', ['xxaxx', 'x'], 'VARCHAR')).toBe('a');
    expect(evalScalar('like', ['日本', '_本'], 'BOOLEAN')).toBe(true);
    expect(evalScalar('like', ['a\nb', 'a%b'], 'BOOLEAN')).toBe(true);
    expect(evalScalar('like', ['abc', 'ABC'], 'BOOLEAN')).toBe(false);
    expect(evalScalar('lt', ['\u{1F389}', '\uFF00'], 'BOOLEAN')).toBe(false);
    expect(evalScalar('eq', [NaN, NaN], 'BOOLEAN')).toBe(true);
    expect(evalScalar('gt', [NaN, Infinity], 'BOOLEAN')).toBe(true);
  });

  it.each([
    ['hello', 0, 2, 'h'],
    ['hello', -2, 2, 'lo'],
    ['hello', -3, undefined, 'llo'],
    ['hello', 3, -1, 'e'],
    ['hello', 2, undefined, 'ello'],
    ['hello', 10, undefined, ''],
    ['héllo', 2, 2, 'él'],
    ['🎉ab', 1, 2, '🎉a'],
  ] as const)('SUBSTRING(%s, %s, %s) = %s', (str, start, len, want) => {
    expect(substringOf(str, start, len)).toBe(want);
  });

  it('extracts fields and truncates timestamps in UTC', () => {
    const ms = Date.UTC(2024, 11, 29, 13, 45, 10, 250); // a Sunday
    const x = (field: string, v = ms, type: SqlType = 'TIMESTAMP'): number => extractFieldFn(field, type)!(v);
    expect([x('year'), x('quarter'), x('month'), x('day'), x('hour'), x('minute')]).toEqual([2024, 4, 12, 29, 13, 45]);
    expect([x('dow'), x('isodow'), x('doy'), x('week'), x('isoyear')]).toEqual([0, 7, 364, 52, 2024]);
    expect(x('week', Date.UTC(2024, 11, 30))).toBe(1);
    expect(x('week', Date.UTC(2021, 0, 3))).toBe(53);
    expect([x('second'), x('millisecond'), x('epoch')]).toEqual([10, 10250, ms / 1000]);
    const early = Date.UTC(1969, 11, 31, 23, 59, 59, 999);
    expect([x('year', early), x('dow', early), x('millisecond', early), x('epoch', early)]).toEqual([1969, 3, 59999, -0.001]);
    expect([x('day', -(2 * 86_400_000 + 5_400_000), 'INTERVAL'), x('minute', -5_400_000, 'INTERVAL')]).toEqual([-2, -30]);
    const trunc = (unit: string, v = ms): string => formatTimestamp(dateTruncFn(unit)!(v));
    expect(trunc('second')).toBe('2024-12-29 13:45:10');
    expect(trunc('minute')).toBe('2024-12-29 13:45:00');
    expect(trunc('day')).toBe('2024-12-29 00:00:00');
    expect(trunc('week')).toBe('2024-12-23 00:00:00');
    expect(trunc('month')).toBe('2024-12-01 00:00:00');
    expect(trunc('quarter')).toBe('2024-10-01 00:00:00');
    expect(trunc('year')).toBe('2024-01-01 00:00:00');
    expect(trunc('week', Date.UTC(1969, 11, 31, 10))).toBe('1969-12-29 00:00:00');
    expect(dateTruncFn('fortnight')).toBeUndefined();
    expect(evalScalar('extract', ['fortnight', ms], 'DOUBLE')).toBeNull();
  });
});

describe('castValue', () => {
  it.each([
    ['1.5', 'INT', 2],
    ['-2.5', 'INT', -3],
    [' 12 ', 'INT', 12],
    ['1e3', 'BIGINT', 1000],
    ['0x10', 'INT', 16],
    ['1_000', 'INT', 1000],
    ['abc', 'INT', null],
    ['', 'INT', null],
    ['3000000000', 'INT', null],
    ['.5', 'DOUBLE', 0.5],
    ['inf', 'DOUBLE', Infinity],
    ['T', 'BOOLEAN', true],
    ['no', 'BOOLEAN', false],
    [' true ', 'BOOLEAN', null],
    ['2', 'BOOLEAN', null],
    ['2024-01-01', 'DATE', 19723],
    ['2024-01-01 10:00:00', 'DATE', 19723],
    ['2024-02-30', 'DATE', null],
    ['10 seconds', 'INTERVAL', 10_000],
    ['1 day 2 hours', 'INTERVAL', 93_600_000],
    ['00:00:10', 'INTERVAL', 10_000],
    ['1.5 s', 'INTERVAL', 1500],
    ['-5 minutes', 'INTERVAL', -300_000],
    ['2 weeks', 'INTERVAL', 14 * 86_400_000],
    ['10', 'INTERVAL', 10_000],
    ['1 month', 'INTERVAL', null],
  ] as const)('%j AS %s = %j', (text, to, want) => {
    expect(castValue(text, 'VARCHAR', to)).toBe(want);
  });

  it('converts between numbers, booleans and times', () => {
    expect(castValue(2.5, 'DOUBLE', 'BIGINT')).toBe(2); // half to even, as DuckDB
    expect(castValue(-0.4, 'DOUBLE', 'INT')).toBe(0);
    expect(Object.is(castValue(-0.4, 'DOUBLE', 'INT'), -0)).toBe(false);
    expect(castValue(2 ** 31, 'BIGINT', 'INT')).toBeNull();
    expect(castValue(NaN, 'DOUBLE', 'BIGINT')).toBeNull();
    expect(castValue(true, 'BOOLEAN', 'INT')).toBe(1);
    expect(castValue(0.5, 'DOUBLE', 'BOOLEAN')).toBe(true);
    expect(castValue(Date.UTC(1969, 11, 31, 23), 'TIMESTAMP', 'DATE')).toBe(-1);
    expect(castValue(1, 'DATE', 'TIMESTAMP')).toBe(86_400_000);
    expect(castValue(null, 'VARCHAR', 'INT')).toBeNull();
    expect(castValue(5, 'INT', 'NULL')).toBeNull();
  });

  it.each([
    [1, 'DOUBLE', '1.0'],
    [0.30000000000000004, 'DOUBLE', '0.30000000000000004'],
    [1e15, 'DOUBLE', '1000000000000000.0'],
    [1e16, 'DOUBLE', '1e+16'],
    [1.2345678901234568e17, 'DOUBLE', '1.2345678901234568e+17'],
    [0.0001, 'DOUBLE', '0.0001'],
    [0.00001, 'DOUBLE', '1e-05'],
    [-1.5, 'DOUBLE', '-1.5'],
    [-0, 'DOUBLE', '-0.0'],
    [NaN, 'DOUBLE', 'nan'],
    [-Infinity, 'DOUBLE', '-inf'],
    [42, 'BIGINT', '42'],
    [true, 'BOOLEAN', 'true'],
    [19723, 'DATE', '2024-01-01'],
    [Date.UTC(2024, 0, 1, 0, 0, 0, 500), 'TIMESTAMP', '2024-01-01 00:00:00.5'],
    [Date.UTC(2024, 0, 1, 0, 0, 0, 123), 'TIMESTAMP', '2024-01-01 00:00:00.123'],
    [Date.UTC(1960, 2, 1, 10, 0, 0, 250), 'TIMESTAMP', '1960-03-01 10:00:00.25'],
    [10_000, 'INTERVAL', '00:00:10'],
    [1500, 'INTERVAL', '00:00:01.5'],
    [-5_400_000, 'INTERVAL', '-01:30:00'],
    [-(86_400_000 + 3 * 3_600_000), 'INTERVAL', '-1 day -03:00:00'],
    [2 * 86_400_000 + 1, 'INTERVAL', '2 days 00:00:00.001'],
    [14 * 86_400_000, 'INTERVAL', '14 days'],
  ] as const)('%s AS VARCHAR from %s = %s', (v, from, want) => {
    expect(castValue(v, from, 'VARCHAR')).toBe(want);
  });
});

describe('timestamp text', () => {
  it.each([
    ['2024-01-01 00:00:00', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00:00.123Z', Date.UTC(2024, 0, 1, 0, 0, 0, 123)],
    ['2024-01-01 00:00:00.5', Date.UTC(2024, 0, 1, 0, 0, 0, 500)],
    ['2024-01-01 00:00:00.1239', Date.UTC(2024, 0, 1, 0, 0, 0, 123)],
    ['2024-01-01', Date.UTC(2024, 0, 1)],
    ['2024-1-1 5:00', Date.UTC(2024, 0, 1, 5)],
    ['2024-01-01 05:00:00+02:00', Date.UTC(2024, 0, 1, 3)],
    ['2024-01-01T05:00:00-0130', Date.UTC(2024, 0, 1, 6, 30)],
    ['2024-01-01 05:00:00 +02', Date.UTC(2024, 0, 1, 3)],
    ['2024-01-01 24:00:00', Date.UTC(2024, 0, 2)],
    [' 2024-01-01 ', Date.UTC(2024, 0, 1)],
    ['1969-07-20 20:17:40', Date.UTC(1969, 6, 20, 20, 17, 40)],
    ['2024-02-30', null],
    ['2024-01-01 25:00:00', null],
    ['2024-01-01 05', null],
    ['2024-01-01 10:00:00 junk', null],
    ['yesterday', null],
    ['', null],
  ] as const)('parses %j', (text, want) => {
    expect(parseTimestamp(text)).toBe(want);
  });

  it('round-trips every millisecond timestamp through both printed forms', () => {
    fc.assert(
      fc.property(fc.integer({ min: -30_000_000_000_000, max: 250_000_000_000_000 }), (ms) => {
        expect(parseTimestamp(formatTimestamp(ms))).toBe(ms);
        expect(parseTimestamp(formatIsoTimestamp(ms))).toBe(ms);
        expect(formatIsoTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips dates and intervals', () => {
    fc.assert(
      fc.property(fc.integer({ min: -700_000, max: 2_900_000 }), fc.integer({ min: -1e12, max: 1e12 }), (days, ms) => {
        expect(parseDate(formatDate(days))).toBe(days);
        expect(parseInterval(formatInterval(ms))).toBe(ms);
      }),
      { numRuns: 1000 },
    );
    expect(formatTimestamp(Date.UTC(2024, 0, 1, 0, 0, 10))).toBe('2024-01-01 00:00:10');
    expect(formatIsoTimestamp(Date.UTC(2024, 0, 1, 0, 0, 10))).toBe('2024-01-01T00:00:10.000Z');
    expect(formatDouble(2.5)).toBe('2.5');
  });
});
