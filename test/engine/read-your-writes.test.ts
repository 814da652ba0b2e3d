/**
 * `engine.query(sql, params, { after, timeout })` (SPEC 2.7): the query waits until every view
 * it reads has consumed the given offsets of the sources it reads, or rejects with TIMEOUT.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function open(): Promise<Engine> {
  engine = await Engine.open();
  await engine.execute(`CREATE SOURCE ev (k VARCHAR, v BIGINT); CREATE SOURCE other (x BIGINT);
    CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM ev GROUP BY k;
    CREATE MATERIALIZED VIEW big AS SELECT k, n FROM per_k WHERE n > 1;
    CREATE MATERIALIZED VIEW xs AS SELECT COUNT(*) AS n FROM other`);
  return engine;
}

describe('query after offsets', () => {
  it("takes an insert's result, offsets or the last offset, by source name", async () => {
    const e = await open();
    const written = await e.insert('ev', [{ k: 'a', v: 1 }, { k: 'a', v: 2 }]);
    expect(await e.query(`SELECT n, total FROM per_k WHERE k = ?`, ['a'], { after: { ev: written } })).toEqual([{ n: 2, total: 3 }]);
    expect(await e.query(`SELECT n FROM per_k`, [], { after: { ev: written.offsets } })).toEqual([{ n: 2 }]);
    expect(await e.query(`SELECT n FROM "big"`, [], { after: { ev: 1 } })).toEqual([{ n: 2 }]);
  });

  it('waits for offsets not yet consumed, through a view over a view, and answers with them', async () => {
    const e = await open();
    await e.insert('ev', [{ k: 'a', v: 1 }]);
    let answered = false;
    const q = e.query(`SELECT k, n FROM big ORDER BY k`, [], { after: { ev: 3 } }).then((rows) => {
      answered = true;
      return rows;
    });
    await new Promise((r) => setTimeout(r, 60));
    expect(answered).toBe(false);
    await e.insert('ev', [{ k: 'a', v: 2 }, { k: 'b', v: 3 }]);
    await new Promise((r) => setTimeout(r, 30));
    expect(answered).toBe(false);
    await e.insert('ev', [{ k: 'b', v: 4 }]);
    expect(await q).toEqual([
      { k: 'a', n: 2 },
      { k: 'b', n: 2 },
    ]);
  });

  it('ignores offsets of sources the query does not read', async () => {
    const e = await open();
    await e.insert('ev', [{ k: 'a', v: 1 }]);
    expect(await e.query(`SELECT n FROM per_k`, [], { after: { other: 1000, ev: 0 }, timeout: 50 })).toEqual([{ n: 1 }]);
    // The same offset on a source the query reads is waited for.
    await expect(e.query(`SELECT n FROM xs`, [], { after: { other: 1000 }, timeout: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('rejects with TIMEOUT naming the view, the source and where it stands', async () => {
    const e = await open();
    await e.insert('ev', [{ k: 'a', v: 1 }]);
    const t0 = Date.now();
    const err = await e.query(`SELECT * FROM per_k`, [], { after: { ev: 7 }, timeout: 100 }).catch((x: unknown) => x);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(err).toMatchObject({
      code: 'TIMEOUT',
      message: "read-your-writes query gave up after 100 ms: view 'per_k' has consumed source 'ev' up to offset 0, not yet 7",
    });
    // The engine goes on.
    expect(await e.query(`SELECT n FROM per_k`)).toEqual([{ n: 1 }]);
  });

  it('refuses a bad after or timeout', async () => {
    const e = await open();
    await expect(e.query(`SELECT * FROM per_k`, [], { after: { nope: 1 } })).rejects.toMatchObject({ code: 'CATALOG', message: "after names source 'nope', which does not exist" });
    await expect(e.query(`SELECT * FROM per_k`, [], { after: { ev: -1 } })).rejects.toMatchObject({ code: 'ARGUMENT', message: 'after.ev: an offset is a whole number >= 0, got -1' });
    await expect(e.query(`SELECT * FROM per_k`, [], { after: { ev: 'x' as unknown as number } })).rejects.toMatchObject({ code: 'ARGUMENT' });
    await expect(e.query(`SELECT * FROM per_k`, [], { after: [1] as unknown as Record<string, number> })).rejects.toMatchObject({ code: 'ARGUMENT' });
    await expect(e.query(`SELECT * FROM per_k`, [], { after: { ev: 0 }, timeout: -5 })).rejects.toMatchObject({ code: 'ARGUMENT' });
  });
});
