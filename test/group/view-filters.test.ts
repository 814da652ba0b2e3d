/**
 * A group query's filters (view-filters.ts): which equalities of a query over one view the
 * members may apply before sending the view, and that an engine's export applies them. The
 * end-to-end answers across a real group are in group-query.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { quoteIdent } from '../../src/state/database.js';
import { filterClause, fromWire, toWire, viewFilters, wireable } from '../../src/group/view-filters.js';

describe('viewFilters', () => {
  const views = ['totals', 'big'];
  it('takes the equalities of a single view to a literal or a parameter, in either order, qualified or not', () => {
    expect(viewFilters('SELECT * FROM totals WHERE k = ?', views)).toEqual({ totals: [{ column: 'k', param: 0 }] });
    expect(viewFilters(`SELECT s FROM Totals t WHERE 'x''y' = t.name AND n > 3 AND t.k = ? AND flag = TRUE AND v = -1.5e3`, views)).toEqual({
      totals: [
        { column: 'name', literal: `'x''y'` },
        { column: 'k', param: 0 },
        { column: 'flag', literal: 'TRUE' },
      ],
    });
    expect(viewFilters('SELECT k, COUNT(*) FROM big WHERE v >= ? AND c = ? GROUP BY k ORDER BY k LIMIT 3', views)).toEqual({ big: [{ column: 'c', param: 1 }] });
  });

  it('takes nothing from queries whose rows it cannot vouch for', () => {
    for (const sql of [
      'SELECT * FROM totals WHERE k = 1 OR k = 2',
      'SELECT * FROM totals WHERE k > 1',
      'SELECT * FROM totals t JOIN big b ON t.k = b.k WHERE t.k = 1',
      'SELECT * FROM (SELECT * FROM totals) x WHERE k = 1',
      'WITH x AS (SELECT * FROM totals) SELECT * FROM x WHERE k = 1',
      'SELECT * FROM totals WHERE k = 1 UNION ALL SELECT * FROM totals',
      'SELECT * FROM other WHERE k = 1',
      'SELECT * FROM totals WHERE other.k = 1',
      'SELECT * FROM totals WHERE k = n',
      'SELECT * FROM totals WHERE k = $1',
      'SELECT * FROM totals WHERE k = 1; SELECT 1',
      'not sql at all',
    ]) {
      expect(viewFilters(sql, views), sql).toEqual({});
    }
  });
});

describe('filterClause and the wire', () => {
  it('keeps the view columns (any case) and binds parameters in order', () => {
    const c = filterClause(
      [
        { column: 'K', param: 1 },
        { column: 'alias_only', literal: '3' },
        { column: 'name', literal: `'a'` },
        { column: 'n', param: 5 },
      ],
      ['k', 'name', 'n'],
      ['skip', 42],
      quoteIdent,
    );
    expect(c).toEqual({ where: `"k" = ? AND "name" = 'a'`, params: [42] });
    expect(filterClause([{ column: 'x', literal: '1' }], ['k'], [], quoteIdent)).toBeNull();
  });

  it('carries dates and bigints as themselves, and leaves out the filters of a parameter with no JSON form', () => {
    const d = new Date(Date.UTC(2024, 0, 1, 12));
    const wire = toWire([1.5, 'x', null, undefined, true, d, 12345678901234567890n, Number.NaN, { a: 1 }]);
    expect(fromWire(JSON.parse(JSON.stringify(wire)))).toEqual([1.5, 'x', null, null, true, d, 12345678901234567890n, null, null]);
    expect(wireable({ v: [{ column: 'a', param: 7 }, { column: 'b', param: 0 }], w: [{ column: 'c', param: 8 }] }, wire)).toEqual({ v: [{ column: 'b', param: 0 }] });
  });
});

describe('Engine.exportViews with a filter', () => {
  it('writes only the rows the condition keeps, and every row without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-vf-'));
    const e = await Engine.open();
    try {
      await e.execute('CREATE SOURCE o (k BIGINT, ts TIMESTAMP, v DOUBLE); CREATE MATERIALIZED VIEW t AS SELECT k, MAX(ts) AS last, SUM(v) AS s FROM o GROUP BY k');
      const at = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 1000);
      await e.insert('o', Array.from({ length: 50 }, (_, i) => ({ k: i % 7, ts: at(i), v: i / 2 })));
      const read = async () => (await e.query(`SELECT k, s FROM read_parquet('${join(dir, 't.parquet')}') ORDER BY k`)).map((r) => [r['k'], r['s']]);
      expect(await e.exportViews(['T'], dir, false, (view, columns) => (view === 't' ? filterClause([{ column: 'LAST', param: 0 }], columns, [at(45)], quoteIdent) : null))).toEqual(['t']);
      expect(await read()).toEqual([[3, 3 / 2 + 10 / 2 + 17 / 2 + 24 / 2 + 31 / 2 + 38 / 2 + 45 / 2]]);
      await e.exportViews(['t'], dir, false, () => null);
      expect((await read()).map((r) => r[0])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    } finally {
      await e.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
