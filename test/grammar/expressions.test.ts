import { describe, expect, it } from 'vitest';
import { parseExpression } from '../../grammar/index.js';
import type { Expr, FrameBound } from '../../grammar/ast.js';
import { bin, col, firstExpr, fn, id, interval, num, orderItem, param, str, strip, type, unary } from './ast-helpers.js';

/** Renders an expression fully parenthesized, to check how the parser grouped it. */
function render(e: Expr): string {
  switch (e.kind) {
    case 'NumberLit':
      return e.text;
    case 'StringLit':
      return `'${e.value}'`;
    case 'BoolLit':
      return e.value ? 'TRUE' : 'FALSE';
    case 'NullLit':
      return 'NULL';
    case 'IntervalLit':
      return `${e.ms}ms`;
    case 'TypedLit':
      return `${e.type} '${e.value}'`;
    case 'ColumnRef':
      return e.qualifier ? `${e.qualifier.name}.${e.name.name}` : e.name.name;
    case 'Param':
      return `?${e.index}`;
    case 'Unary':
      return e.op === 'NOT' ? `(NOT ${render(e.operand)})` : `(${e.op}${render(e.operand)})`;
    case 'Binary':
      return `(${render(e.left)} ${e.op} ${render(e.right)})`;
    case 'IsNull':
      return `(${render(e.expr)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'Between':
      return `(${render(e.expr)} ${e.negated ? 'NOT ' : ''}BETWEEN ${render(e.low)} AND ${render(e.high)})`;
    case 'InList':
      return `(${render(e.expr)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(render).join(', ')}))`;
    case 'Like':
      return `(${render(e.expr)} ${e.negated ? 'NOT ' : ''}LIKE ${render(e.pattern)})`;
    case 'Case':
      return `CASE${e.operand ? ` ${render(e.operand)}` : ''}${e.whens.map((w) => ` WHEN ${render(w.when)} THEN ${render(w.then)}`).join('')}${e.else ? ` ELSE ${render(e.else)}` : ''} END`;
    case 'Cast':
      return `CAST(${render(e.expr)} AS ${e.type.name})`;
    case 'Extract':
      return `EXTRACT(${e.field} FROM ${render(e.expr)})`;
    case 'FuncCall':
      return `${e.name}(${e.star ? '*' : `${e.distinct ? 'DISTINCT ' : ''}${e.args.map(render).join(', ')}`})`;
  }
}

describe('operator precedence and associativity', () => {
  it.each([
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b * c % d', '(((a / b) * c) % d)'],
    ['(a + b) * c', '((a + b) * c)'],
    ['a - -b', '(a - (-b))'],
    ['a * -b', '(a * (-b))'],
    ['- - a', '(-(-a))'],
    ['+a', '(+a)'],
    ['-1 + 2', '((-1) + 2)'],
    ['-x::INT', '(-CAST(x AS INT))'],
    ['a::INT::VARCHAR', 'CAST(CAST(a AS INT) AS VARCHAR)'],
    ['a + b::DOUBLE', '(a + CAST(b AS DOUBLE))'],
    ['a || b || c', '((a || b) || c)'],
    ['a || b + c', '(a || (b + c))'],
    ['a + b || c * d', '((a + b) || (c * d))'],
    ['a = b || c', '(a = (b || c))'],
    ['NOT a = b', '(NOT (a = b))'],
    ['NOT a AND b', '((NOT a) AND b)'],
    ['NOT NOT a', '(NOT (NOT a))'],
    ['a OR b AND c', '(a OR (b AND c))'],
    ['a AND b OR c AND d', '((a AND b) OR (c AND d))'],
    ['a OR b OR c', '((a OR b) OR c)'],
    ['a != b AND a <> c', '((a <> b) AND (a <> c))'],
    ['a < b AND c <= d OR e > f AND g >= h', '(((a < b) AND (c <= d)) OR ((e > f) AND (g >= h)))'],
    ['a + 1 > b * 2', '((a + 1) > (b * 2))'],
    ['a = 1 OR b IS NULL', '((a = 1) OR (b IS NULL))'],
    ['a IS NOT NULL AND NOT b', '((a IS NOT NULL) AND (NOT b))'],
    ['NOT a IS NULL', '(NOT (a IS NULL))'],
    ['a + 1 BETWEEN b AND c + 1 AND d', '(((a + 1) BETWEEN b AND (c + 1)) AND d)'],
    ['a NOT BETWEEN 1 AND 2 OR x', '((a NOT BETWEEN 1 AND 2) OR x)'],
    ['a NOT IN (1, 2 + 3)', '(a NOT IN (1, (2 + 3)))'],
    ['a IN (b) = TRUE', '((a IN (b)) = TRUE)'],
    ['a LIKE b || c', '(a LIKE (b || c))'],
    ['NOT a NOT LIKE b', '(NOT (a NOT LIKE b))'],
    ['x + INTERVAL \'1\' SECOND * 2', '(x + (1000ms * 2))'],
    ['CAST(a AS DOUBLE) / 2', '(CAST(a AS DOUBLE) / 2)'],
    ['f(a + b, c) - g()', '(F((a + b), c) - G())'],
    ['CASE WHEN a OR b THEN 1 + 2 END * 3', '(CASE WHEN (a OR b) THEN (1 + 2) END * 3)'],
  ])('%s', (sql, expected) => {
    expect(render(parseExpression(sql))).toBe(expected);
  });
});

describe('literals', () => {
  it('numbers keep their text and tell integers from decimals', () => {
    expect(strip(parseExpression('42'))).toEqual(num(42));
    expect(strip(parseExpression('1.5'))).toEqual({ kind: 'NumberLit', value: 1.5, text: '1.5', isInteger: false });
    expect(strip(parseExpression('.5'))).toEqual({ kind: 'NumberLit', value: 0.5, text: '.5', isInteger: false });
    expect(strip(parseExpression('2.5E-3'))).toEqual({ kind: 'NumberLit', value: 0.0025, text: '2.5E-3', isInteger: false });
    expect(strip(parseExpression('1e9'))).toEqual({ kind: 'NumberLit', value: 1e9, text: '1e9', isInteger: false });
  });

  it("strings unescape '' and may span lines; TRUE/FALSE/NULL in any case", () => {
    expect(strip(parseExpression("'it''s'"))).toEqual(str("it's"));
    expect(strip(parseExpression("''"))).toEqual(str(''));
    expect(strip(parseExpression("'a\nb'"))).toEqual(str('a\nb'));
    expect(strip(parseExpression('true'))).toEqual({ kind: 'BoolLit', value: true });
    expect(strip(parseExpression('False'))).toEqual({ kind: 'BoolLit', value: false });
    expect(strip(parseExpression('null'))).toEqual({ kind: 'NullLit' });
  });

  it('TIMESTAMP and DATE literals, and columns named timestamp and date', () => {
    expect(strip(parseExpression("TIMESTAMP '2024-01-01 00:00:00'"))).toEqual({
      kind: 'TypedLit',
      type: 'TIMESTAMP',
      value: '2024-01-01 00:00:00',
    });
    expect(strip(parseExpression("date '2024-01-01'"))).toEqual({ kind: 'TypedLit', type: 'DATE', value: '2024-01-01' });
    expect(strip(parseExpression('timestamp + date'))).toEqual(bin('+', col('timestamp'), col('date')));
    expect(strip(parseExpression('date(ts)'))).toEqual(fn('DATE', [col('ts')]));
  });

  it.each([
    ["INTERVAL '10' SECOND", 10_000],
    ["INTERVAL '10' SECONDS", 10_000],
    ["INTERVAL '10 seconds'", 10_000],
    ["INTERVAL '1 second'", 1_000],
    ["interval '1.5' Second", 1_500],
    ["INTERVAL '250' MILLISECOND", 250],
    ["INTERVAL '250 milliseconds'", 250],
    ["INTERVAL '2' MINUTE", 120_000],
    ["INTERVAL '2 MINUTES'", 120_000],
    ["INTERVAL '3' HOUR", 10_800_000],
    ["INTERVAL '3 Hours'", 10_800_000],
    ["INTERVAL '1' DAY", 86_400_000],
    ["INTERVAL '2 days'", 172_800_000],
    ["INTERVAL '1 day 2 hours'", 93_600_000],
    ["INTERVAL '10'  DAYS", 864_000_000],
    ["INTERVAL '-5' SECOND", -5_000],
    ['INTERVAL 5 SECONDS', 5_000],
  ])('%s is %d ms', (sql, ms) => {
    expect(strip(parseExpression(sql))).toEqual(interval(ms, sql));
  });

  it('an interval followed by AS alias, and a unit-less interval string followed by an alias', () => {
    expect(firstExpr("SELECT INTERVAL '1' MINUTE AS m")).toEqual(interval(60_000, "INTERVAL '1' MINUTE"));
    expect(firstExpr("SELECT INTERVAL '1 minute' m")).toEqual(interval(60_000, "INTERVAL '1 minute'"));
  });

  it('? parameters are numbered in order of appearance', () => {
    expect(strip(parseExpression('? + ? * ?'))).toEqual(bin('+', param(0), bin('*', param(1), param(2))));
  });
});

describe('names', () => {
  it('lower-cases plain names and keeps quoted ones, with "" for "', () => {
    expect(strip(parseExpression('T.Price + "T"."Price" + "a ""b"""'))).toEqual(
      bin(
        '+',
        bin('+', col('t', 'price'), { kind: 'ColumnRef', qualifier: id('T', true), name: id('Price', true) }),
        { kind: 'ColumnRef', qualifier: undefined, name: id('a "b"', true) },
      ),
    );
    expect(strip(parseExpression('"select"'))).toEqual({ kind: 'ColumnRef', qualifier: undefined, name: id('select', true) });
  });

  it('non-reserved keywords work as column names', () => {
    for (const name of ['source', 'offset', 'state', 'name', 'extra', 'window_start', 'window', 'rows', 'range', 'second', 'day', 'year', 'first', 'last', 'value', 'sink', 'view', 'if', 'exists', 'replace', 'session', 'hop', 'changes']) {
      expect(strip(parseExpression(`${name} = 1`))).toEqual(bin('=', col(name), num(1)));
    }
  });

  it('skips both comment styles anywhere', () => {
    expect(strip(parseExpression('a /* one\n two */ + -- three\n b'))).toEqual(bin('+', col('a'), col('b')));
  });
});

describe('special forms', () => {
  it('CASE with and without an operand', () => {
    expect(strip(parseExpression("CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END"))).toEqual({
      kind: 'Case',
      operand: undefined,
      whens: [
        { when: bin('>', col('a'), num(1)), then: str('x') },
        { when: bin('>', col('a'), num(0)), then: str('y') },
      ],
      else: str('z'),
    });
    expect(strip(parseExpression("CASE a WHEN 1 THEN 'one' END"))).toEqual({
      kind: 'Case',
      operand: col('a'),
      whens: [{ when: num(1), then: str('one') }],
      else: undefined,
    });
  });

  it('CAST and :: give the same node', () => {
    const expected = { kind: 'Cast', expr: col('a'), type: type('DECIMAL', [10, 2]) };
    expect(strip(parseExpression('CAST(a AS DECIMAL(10, 2))'))).toEqual(expected);
    expect(strip(parseExpression('a::NUMERIC(10,2)'))).toEqual(expected);
    expect(strip(parseExpression('CAST(a AS text)'))).toEqual({ kind: 'Cast', expr: col('a'), type: type('VARCHAR') });
  });

  it('EXTRACT of every field spelling', () => {
    expect(strip(parseExpression('EXTRACT(YEAR FROM ts)'))).toEqual({ kind: 'Extract', field: 'YEAR', expr: col('ts') });
    for (const f of ['quarter', 'Month', 'WEEK', 'day', 'dow', 'doy', 'hour', 'minute', 'second', 'millisecond', 'epoch']) {
      expect(parseExpression(`EXTRACT(${f} FROM ts)`)).toMatchObject({ kind: 'Extract', field: f.toUpperCase() });
    }
  });

  it('function calls: upper-cased names, DISTINCT, COUNT(*), LEFT/RIGHT, group-window functions', () => {
    expect(strip(parseExpression('count(distinct x)'))).toEqual(fn('COUNT', [col('x')], { distinct: true }));
    expect(strip(parseExpression('COUNT(*)'))).toEqual(fn('COUNT', [], { star: true }));
    expect(strip(parseExpression("left(s, 2) || right(s, 1) || coalesce(a, 'x')"))).toMatchObject({
      left: { left: { name: 'LEFT' }, right: { name: 'RIGHT' } },
      right: { name: 'COALESCE' },
    });
    expect(strip(parseExpression("HOP_END(ts, INTERVAL '1' SECOND, INTERVAL '5' SECOND)"))).toEqual(
      fn('HOP_END', [col('ts'), interval(1000, "INTERVAL '1' SECOND"), interval(5000, "INTERVAL '5' SECOND")]),
    );
    expect(strip(parseExpression("session_start(ts, INTERVAL '30' SECOND)"))).toEqual(
      fn('SESSION_START', [col('ts'), interval(30_000, "INTERVAL '30' SECOND")]),
    );
  });

  it('OVER with PARTITION BY, ORDER BY and a ROWS frame', () => {
    expect(
      strip(parseExpression('AVG(price) OVER (PARTITION BY auction, b ORDER BY date_time DESC ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)')),
    ).toEqual(
      fn('AVG', [col('price')], {
        over: {
          kind: 'WindowSpec',
          partitionBy: [col('auction'), col('b')],
          orderBy: [orderItem(col('date_time'), true)],
          frame: {
            kind: 'Frame',
            unit: 'ROWS',
            start: { kind: 'Preceding', offset: num(9) },
            end: { kind: 'CurrentRow' },
          },
        },
      }),
    );
  });

  it('OVER with a RANGE interval frame, and every kind of bound', () => {
    const frameOf = (sql: string) => (strip(parseExpression(sql)) as { over: { frame: unknown } }).over.frame;
    expect(frameOf("SUM(x) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW)")).toEqual({
      kind: 'Frame',
      unit: 'RANGE',
      start: { kind: 'Preceding', offset: interval(60_000, "INTERVAL '1' MINUTE") },
      end: { kind: 'CurrentRow' },
    });
    const bounds = (sql: string): FrameBound[] => {
      const f = frameOf(sql) as { start: FrameBound; end: FrameBound };
      return [f.start, f.end];
    };
    expect(bounds('f() OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)')).toEqual([
      { kind: 'UnboundedPreceding' },
      { kind: 'UnboundedFollowing' },
    ]);
    expect(bounds('f() OVER (ORDER BY a ROWS BETWEEN CURRENT ROW AND 3 FOLLOWING)')).toEqual([
      { kind: 'CurrentRow' },
      { kind: 'Following', offset: num(3) },
    ]);
    expect(bounds("f() OVER (ORDER BY a RANGE INTERVAL '10 seconds' PRECEDING)")).toEqual([
      { kind: 'Preceding', offset: interval(10_000, "INTERVAL '10 seconds'") },
      { kind: 'CurrentRow' },
    ]);
    expect(bounds('f() OVER (ROWS UNBOUNDED PRECEDING)')).toEqual([{ kind: 'UnboundedPreceding' }, { kind: 'CurrentRow' }]);
    expect(strip(parseExpression('ROW_NUMBER() OVER ()'))).toEqual(
      fn('ROW_NUMBER', [], { over: { kind: 'WindowSpec', partitionBy: [], orderBy: [], frame: undefined } }),
    );
  });

  it('IS, BETWEEN, IN and LIKE in their negated forms', () => {
    expect(strip(parseExpression("a IS NOT NULL AND b NOT LIKE 'x%' AND c NOT IN (1) AND d NOT BETWEEN 1 AND 2"))).toEqual(
      bin(
        'AND',
        bin(
          'AND',
          bin('AND', { kind: 'IsNull', expr: col('a'), negated: true }, { kind: 'Like', expr: col('b'), pattern: str('x%'), negated: true }),
          { kind: 'InList', expr: col('c'), list: [num(1)], negated: true },
        ),
        { kind: 'Between', expr: col('d'), low: num(1), high: num(2), negated: true },
      ),
    );
    expect(strip(parseExpression('NOT -a'))).toEqual(unary('NOT', unary('-', col('a'))));
  });
});
