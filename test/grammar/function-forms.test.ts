/**
 * The expression forms of issue 15 item 8: the JSON operators `->` and `->>` (one level with
 * `||`, left to right, as DuckDB groups them), `[NOT] SIMILAR TO`, and `POSITION(x IN y)`
 * beside the ordinary call `position(a, b)`; names they use stay usable as columns.
 */
import { describe, expect, it } from 'vitest';
import { parse, parseExpression, tokenize } from '../../grammar/index.js';
import type { Expr } from '../../grammar/ast.js';
import { SluiceError } from '../../src/errors.js';

function render(e: Expr): string {
  switch (e.kind) {
    case 'StringLit':
      return `'${e.value}'`;
    case 'NumberLit':
      return e.text;
    case 'ColumnRef':
      return e.name.name;
    case 'Unary':
      return `(${e.op === 'NOT' ? 'NOT ' : e.op}${render(e.operand)})`;
    case 'Binary':
      return `(${render(e.left)} ${e.op} ${render(e.right)})`;
    case 'Like':
      return `(${render(e.expr)} ${e.negated ? 'NOT ' : ''}${e.similar ? 'SIMILAR TO' : 'LIKE'} ${render(e.pattern)})`;
    case 'InList':
      return `(${render(e.expr)} IN (${e.list.map(render).join(', ')}))`;
    case 'FuncCall':
      return `${e.name}(${e.args.map(render).join(', ')})`;
    default:
      return `<${e.kind}>`;
  }
}

describe('JSON operators', () => {
  it.each([
    ["j->'a'", "(j -> 'a')"],
    ["j->>'a'", "(j ->> 'a')"],
    ["j -> 'a' ->> 'b'", "((j -> 'a') ->> 'b')"],
    ["j->>'$.a[0]' = 'x'", "((j ->> '$.a[0]') = 'x')"],
    ["j->>'a' || 'x'", "((j ->> 'a') || 'x')"],
    ["'x' || j->>'a'", "(('x' || j) ->> 'a')"],
    ['j->-1', '(j -> (-1))'],
    ['j->>1 + 1', '(j ->> (1 + 1))'],
    ['a-1', '(a - 1)'],
    ['a - -1', '(a - (-1))'],
    ['a >-1', '(a > (-1))'],
    ['a->>b', '(a ->> b)'],
  ])('%s', (sql, want) => {
    expect(render(parseExpression(sql))).toBe(want);
  });

  it('lexes ->> before -> before - and >', () => {
    expect(tokenize("j->>'a'->'b'").map((t) => t.text)).toEqual(['j', '->>', "'a'", '->', "'b'"]);
    expect(tokenize('a-->b').map((t) => t.text)).toEqual(['a', '-->b']);
  });

  it('a dangling operator is a PARSE error at its position', () => {
    let err: unknown;
    try {
      parseExpression('j ->> ');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe('PARSE');
  });
});

describe('SIMILAR TO and POSITION … IN', () => {
  it.each([
    ["s SIMILAR TO 'a.*'", "(s SIMILAR TO 'a.*')"],
    ["s NOT SIMILAR TO 'a' || 'b'", "(s NOT SIMILAR TO ('a' || 'b'))"],
    ["s SIMILAR TO 'a' AND t LIKE 'b'", "((s SIMILAR TO 'a') AND (t LIKE 'b'))"],
    ["NOT s SIMILAR TO 'x'", "(NOT (s SIMILAR TO 'x'))"],
    ["POSITION('b' IN s)", "POSITION(s, 'b')"],
    ["position('b' || c IN s || 'x')", "POSITION((s || 'x'), ('b' || c))"],
    ['POSITION(x IN (y))', 'POSITION(y, x)'],
    ['position(a, b)', 'POSITION(a, b)'],
    ['position(f(a, b), g(c IN (1, 2)))', 'POSITION(F(a, b), G((c IN (1, 2))))'],
    ['POSITION(a IN b) + 1', '(POSITION(b, a) + 1)'],
  ])('%s', (sql, want) => {
    expect(render(parseExpression(sql))).toBe(want);
  });

  it('POSITION … IN keeps the spans of its parts', () => {
    const e = parseExpression("  POSITION('b' IN s)");
    expect(e.kind === 'FuncCall' && [e.span.start, e.span.end, e.nameSpan.start, e.nameSpan.end]).toEqual([2, 20, 2, 10]);
  });

  it('position and similar stay usable as column names', () => {
    const s = parse('SELECT position, similar FROM t WHERE similar SIMILAR TO position');
    expect(s.statements).toHaveLength(1);
  });
});
