/** Named windows: `WINDOW w AS (…)` with `OVER w` and `OVER (w …)`, resolved as the inline form. */
import { describe, expect, it } from 'vitest';
import { parse } from '../../grammar/index.js';
import type * as A from '../../grammar/ast.js';
import { query, strip } from './ast-helpers.js';

/** The OVER clauses of a query's select list, without spans. */
function overs(sql: string): unknown[] {
  const body = query(sql).body as A.Select;
  return body.items.map((i) => (i.kind === 'ExprItem' && i.expr.kind === 'FuncCall' ? strip(i.expr.over) : undefined));
}

describe('named windows', () => {
  it('read as the OVER clause written out', () => {
    const named = overs(
      `SELECT SUM(x) OVER w, COUNT(*) OVER (w ROWS 2 PRECEDING), MIN(x) OVER (p ORDER BY ts), MAX(x) OVER q
       FROM t WINDOW p AS (PARTITION BY k), w AS (p ORDER BY ts), q AS (w)`,
    );
    const inline = overs(
      `SELECT SUM(x) OVER (PARTITION BY k ORDER BY ts), COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS 2 PRECEDING),
       MIN(x) OVER (PARTITION BY k ORDER BY ts), MAX(x) OVER (PARTITION BY k ORDER BY ts) FROM t`,
    );
    expect(named).toEqual(inline);
  });

  it('comes after HAVING; `window` stays usable as an alias and a column', () => {
    expect(overs('SELECT k, SUM(n) OVER w FROM t GROUP BY k, n HAVING n > 1 WINDOW w AS (ORDER BY k)')[1]).toMatchObject({ orderBy: [{ expr: { kind: 'ColumnRef' } }] });
    expect(query('SELECT window.a FROM t window').body).toMatchObject({ from: { alias: { name: 'window' } } });
    expect(query('SELECT window FROM t AS window WHERE window > 1').body).toMatchObject({ from: { alias: { name: 'window' } } });
  });

  it('are the SELECT’s own: a subquery does not see the outer ones', () => {
    expect(() => parse('SELECT a FROM (SELECT SUM(x) OVER w AS a FROM t) WINDOW w AS (ORDER BY a)')).toThrow(/window 'w' is not defined/);
    expect(() => parse('SELECT SUM(x) OVER w FROM (SELECT x FROM t WINDOW w AS (ORDER BY x))')).toThrow(/window 'w' is not defined/);
  });

  it.each([
    ['SELECT SUM(x) OVER w FROM t', 1, 20, "window 'w' is not defined (define it in a WINDOW clause)"],
    ['SELECT SUM(x) OVER v FROM t WINDOW w AS (ORDER BY x)', 1, 20, "window 'v' is not defined (the WINDOW clause defines w)"],
    ['SELECT 1 FROM t WINDOW w AS (ORDER BY x), w AS (ORDER BY y)', 1, 43, "window 'w' is defined twice"],
    ['SELECT SUM(x) OVER (w PARTITION BY y) FROM t WINDOW w AS (ORDER BY x)', 1, 36, "cannot override the PARTITION BY of window 'w'"],
    ['SELECT SUM(x) OVER (w ORDER BY y) FROM t WINDOW w AS (ORDER BY x)', 1, 32, "cannot override the ORDER BY of window 'w'"],
    ['SELECT SUM(x) OVER (w ROWS 1 PRECEDING) FROM t WINDOW w AS (ORDER BY x ROWS 2 PRECEDING)', 1, 21, "cannot refine window 'w': it has a frame"],
  ])('%s: BIND error at %i:%i', (sql, line, column, message) => {
    let err: unknown;
    try {
      parse(sql);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'BIND', message: expect.stringContaining(message), line, column });
  });
});
