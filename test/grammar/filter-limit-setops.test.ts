/** Parsing `agg(…) FILTER (WHERE …)`, `LIMIT n OFFSET m` and INTERSECT / EXCEPT [ALL]. */
import { describe, expect, it } from 'vitest';
import { parse } from '../../grammar/index.js';
import { SluiceError } from '../../src/errors.js';
import { bin, col, firstExpr, fn, item, num, orderItem, q, query, select, star, table } from './ast-helpers.js';

const sel = (n: number) => select({ items: [item(num(n))] });

describe('FILTER (WHERE …)', () => {
  it('attaches the condition to the aggregate call, for every form', () => {
    expect(firstExpr('SELECT COUNT(*) FILTER (WHERE a > 1) FROM t')).toEqual(
      fn('COUNT', [], { star: true, filter: bin('>', col('a'), num(1)) }),
    );
    expect(firstExpr('SELECT count(DISTINCT a) filter (where b) FROM t')).toEqual(
      fn('COUNT', [col('a')], { distinct: true, filter: col('b') }),
    );
    expect(firstExpr('SELECT SUM(a) FILTER (WHERE b IS NULL) OVER (PARTITION BY c) FROM t')).toMatchObject({
      kind: 'FuncCall',
      name: 'SUM',
      filter: { kind: 'IsNull' },
      over: { kind: 'WindowSpec' },
    });
  });

  it('leaves FILTER a plain name elsewhere', () => {
    expect(query('SELECT filter FROM t').body).toEqual(select({ items: [item(col('filter'))], from: table('t') }));
    expect(query('SELECT COUNT(*) filter FROM t').body).toEqual(
      select({ items: [item(fn('COUNT', [], { star: true }), 'filter')], from: table('t') }),
    );
  });

  it('needs WHERE and parentheses', () => {
    expect(() => parse('SELECT COUNT(*) FILTER (a > 1) FROM t')).toThrow(SluiceError);
    expect(() => parse('SELECT COUNT(*) FILTER WHERE a > 1 FROM t')).toThrow(SluiceError);
  });
});

describe('LIMIT … OFFSET', () => {
  it('parses the offset after the limit', () => {
    expect(query('SELECT a FROM t ORDER BY a LIMIT 5 OFFSET 10 EMIT CHANGES')).toEqual(
      q(select({ items: [item(col('a'))], from: table('t') }), {
        orderBy: [orderItem(col('a'))],
        limit: num(5),
        offset: num(10),
        emit: { kind: 'Emit', mode: 'CHANGES' },
      }),
    );
    expect(query('SELECT a FROM t LIMIT 5')).not.toHaveProperty('offset');
  });

  it('keeps `offset` usable as a column name', () => {
    expect(query('SELECT offset FROM t ORDER BY offset LIMIT 1 OFFSET 2')).toMatchObject({ limit: num(1), offset: num(2) });
  });

  it('parses OFFSET alone and before LIMIT, as DuckDB does', () => {
    const alone = query('SELECT a FROM t ORDER BY a OFFSET 3');
    expect(alone).toMatchObject({ offset: num(3) });
    expect(alone).not.toHaveProperty('limit', expect.anything());
    expect(query('SELECT a FROM t ORDER BY a OFFSET 3 LIMIT 2')).toMatchObject({ limit: num(2), offset: num(3) });
    // After a table, OFFSET and a number is the clause; OFFSET before anything else is an alias.
    expect(query('SELECT a FROM t OFFSET 4')).toMatchObject({ body: { from: table('t') }, offset: num(4) });
    expect(query('SELECT offset.a FROM t offset WHERE offset.a > 1 OFFSET 1').body).toMatchObject({ from: { alias: { name: 'offset' } } });
    expect(query('SELECT a FROM t AS offset OFFSET 1')).toMatchObject({ body: { from: { alias: { name: 'offset' } } }, offset: num(1) });
    expect(() => parse('SELECT a FROM t OFFSET 1 OFFSET 2')).toThrow(SluiceError);
  });
});

describe('INTERSECT and EXCEPT', () => {
  it('parse with and without ALL', () => {
    expect(query('SELECT 1 INTERSECT SELECT 2').body).toEqual({ kind: 'SetOp', op: 'INTERSECT', all: false, left: sel(1), right: sel(2) });
    expect(query('SELECT 1 EXCEPT ALL SELECT 2').body).toEqual({ kind: 'SetOp', op: 'EXCEPT', all: true, left: sel(1), right: sel(2) });
    expect(query('SELECT 1 EXCEPT DISTINCT SELECT 2').body).toMatchObject({ op: 'EXCEPT', all: false });
  });

  it('INTERSECT binds tighter than UNION and EXCEPT, which associate to the left', () => {
    expect(query('SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT SELECT 4').body).toEqual({
      kind: 'SetOp',
      op: 'EXCEPT',
      all: false,
      left: {
        kind: 'SetOp',
        op: 'UNION',
        all: false,
        left: sel(1),
        right: { kind: 'SetOp', op: 'INTERSECT', all: false, left: sel(2), right: sel(3) },
      },
      right: sel(4),
    });
    expect(query('(SELECT 1 EXCEPT SELECT 2) INTERSECT ALL SELECT * FROM t').body).toMatchObject({
      op: 'INTERSECT',
      all: true,
      left: { op: 'EXCEPT' },
      right: select({ items: [star()], from: table('t') }),
    });
  });

  it('are reserved: they end a FROM item instead of naming it', () => {
    expect(query('SELECT a FROM t EXCEPT SELECT a FROM u').body).toMatchObject({ op: 'EXCEPT', left: { from: table('t') } });
    expect(() => parse('SELECT except FROM t')).toThrow(SluiceError);
  });
});
