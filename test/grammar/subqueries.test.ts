/** Parsing subqueries in expressions: EXISTS (…), x [NOT] IN (SELECT …), scalar (SELECT …). */
import { describe, expect, it } from 'vitest';
import { parse } from '../../grammar/index.js';
import { SluiceError } from '../../src/errors.js';
import { col, firstExpr, num, query } from './ast-helpers.js';

const where = (sql: string) => {
  const body = query(sql).body;
  if (body.kind !== 'Select') throw new Error('not a select');
  return body.where;
};

describe('subqueries in expressions', () => {
  it('x [NOT] IN (SELECT …) next to IN (list)', () => {
    expect(where('SELECT a FROM t WHERE a NOT IN (SELECT b FROM u)')).toMatchObject({
      kind: 'InSubquery',
      expr: col('a'),
      negated: true,
      query: { kind: 'Query', body: { kind: 'Select', from: { kind: 'TableRef' } } },
    });
    expect(where('SELECT a FROM t WHERE a IN ((SELECT b FROM u))')).toMatchObject({ kind: 'InSubquery', negated: false });
    expect(where('SELECT a FROM t WHERE a IN (1, (2))')).toMatchObject({ kind: 'InList', list: [num(1), num(2)] });
  });

  it('[NOT] EXISTS (…); exists(…) without a query stays a function call', () => {
    expect(where('SELECT a FROM t WHERE NOT EXISTS (SELECT * FROM u WHERE u.k = t.k)')).toMatchObject({
      kind: 'Unary',
      op: 'NOT',
      operand: { kind: 'Exists', query: { kind: 'Query' } },
    });
    expect(firstExpr('SELECT exists(a) FROM t')).toMatchObject({ kind: 'FuncCall', name: 'EXISTS' });
  });

  it('a scalar subquery is a primary expression', () => {
    expect(firstExpr('SELECT (SELECT MAX(b) FROM u) + 1 FROM t')).toMatchObject({
      kind: 'Binary',
      op: '+',
      left: { kind: 'ScalarSubquery', query: { kind: 'Query', body: { kind: 'Select' } } },
      right: num(1),
    });
    expect(firstExpr('SELECT (1 + 2) FROM t')).toMatchObject({ kind: 'Binary', op: '+' });
    expect(firstExpr('SELECT ((SELECT MAX(b) FROM u) * 2) FROM t')).toMatchObject({
      kind: 'Binary',
      op: '*',
      left: { kind: 'ScalarSubquery' },
    });
    expect(firstExpr('SELECT ((SELECT MAX(b) FROM u)) FROM t')).toMatchObject({ kind: 'ScalarSubquery' });
  });

  it('EMIT inside a subquery is a PARSE error at the EMIT', () => {
    const sql = 'SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u EMIT CHANGES)';
    let err: unknown;
    try {
      parse(sql);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).column).toBe(sql.indexOf('EMIT') + 1);
  });
});
