/**
 * Pull queries keep their parsed statement by text: the same text asked again after the
 * catalog changed is bound again (the view it names now has other columns), and a text that
 * does not parse fails the same way every time.
 */
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

it('binds a repeated pull query against the catalog of the moment', async () => {
  engine = await Engine.open();
  await engine.execute(`CREATE SOURCE ev (k VARCHAR, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`);
  await engine.execute('CREATE MATERIALIZED VIEW v AS SELECT k, SUM(x) AS s FROM ev GROUP BY k');
  await engine.insert('ev', [{ k: 'a', x: 2, ts: new Date(0) }, { k: 'b', x: 5, ts: new Date(0) }]);
  const text = 'SELECT * FROM v ORDER BY 1';
  expect(await engine.query(text)).toEqual([{ k: 'a', s: 2 }, { k: 'b', s: 5 }]);
  expect(await engine.query(text)).toEqual([{ k: 'a', s: 2 }, { k: 'b', s: 5 }]);
  await engine.execute('DROP MATERIALIZED VIEW v');
  await expect(engine.query(text)).rejects.toThrow(/\bv\b/);
  await engine.execute('CREATE MATERIALIZED VIEW v AS SELECT COUNT(*) AS n FROM ev');
  expect(await engine.query(text)).toEqual([{ n: 2 }]);
});

it('fails a text that does not parse the same way each time', async () => {
  engine = await Engine.open();
  await engine.execute('CREATE SOURCE ev (k VARCHAR, x BIGINT)');
  const first = await engine.query('SELECT k FROM ev WHERE').catch((e: unknown) => e);
  const second = await engine.query('SELECT k FROM ev WHERE').catch((e: unknown) => e);
  expect(first).toMatchObject({ code: expect.any(String) });
  expect(second).toMatchObject({ code: (first as { code: string }).code, message: (first as Error).message });
});
