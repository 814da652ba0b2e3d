/**
 * In memory, committed events wait in JS before they reach the log's DuckDB table (a round
 * trip costs more than a small insert). Everything that reads the log must still see every
 * event, in order: a pull query on sluice_log_<source>, a view made later (replay), REBUILD,
 * and ALTER SOURCE, whose new column the waiting events do not have.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

describe('the in-memory event log', () => {
  it('shows every committed event to every reader', async () => {
    const e = await Engine.open();
    try {
      await e.execute('CREATE SOURCE ev (k BIGINT, v BIGINT)');
      for (let i = 0; i < 5; i++) await e.insert('ev', [{ k: i % 2, v: i }]);
      expect(await e.query('SELECT count(*) AS n, max(sluice_offset) AS last FROM sluice_log_ev')).toEqual([{ n: 5, last: 4 }]);
      await e.insert('ev', [{ k: 1, v: 10 }]);
      await e.execute('CREATE MATERIALIZED VIEW t AS SELECT k, SUM(v) AS total, COUNT(*) AS n FROM ev GROUP BY k');
      expect(await e.query('SELECT * FROM t ORDER BY k')).toEqual([
        { k: 0, total: 6, n: 3 },
        { k: 1, total: 14, n: 3 },
      ]);
      await e.insert('ev', [{ k: 0, v: 1 }]);
      await e.execute('ALTER SOURCE ev ADD COLUMN w BIGINT DEFAULT 7');
      await e.insert('ev', [{ k: 0, v: 2, w: 3 }]);
      await e.execute('CREATE MATERIALIZED VIEW ws AS SELECT k, SUM(w) AS w FROM ev GROUP BY k');
      expect(await e.query('SELECT * FROM ws ORDER BY k')).toEqual([
        { k: 0, w: 7 * 4 + 3 },
        { k: 1, w: 7 * 3 },
      ]);
      await e.insert('ev', [{ k: 1, v: 100, w: 1 }]);
      await e.execute('REBUILD MATERIALIZED VIEW t');
      expect(await e.query('SELECT * FROM t ORDER BY k')).toEqual([
        { k: 0, total: 9, n: 5 },
        { k: 1, total: 114, n: 4 },
      ]);
      const offsets = await e.query('SELECT sluice_offset AS o FROM sluice_log_ev ORDER BY 1');
      expect(offsets.map((r) => r['o'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await e.close();
    }
  });
});
