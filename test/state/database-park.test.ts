/**
 * The bench's measuring process keeps each closed in-memory engine's DuckDB instance open,
 * emptied (closing one trims the whole process's heap): the engine is closed all the same, a
 * file engine still closes for real, and a parked instance holds no table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { parkedInstances, parkInstancesOnClose } from '../../src/state/database.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-park-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SETUP = `
CREATE SOURCE ev (k VARCHAR, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(x) AS s FROM ev GROUP BY k;`;

describe('parked DuckDB instances (bench only)', () => {
  it('close an in-memory engine, drop its tables and keep the instance; close a file engine for real', async () => {
    parkInstancesOnClose();
    const mem = await Engine.open();
    await mem.execute(SETUP);
    await mem.insert('ev', [{ k: 'a', x: 1, ts: new Date(0) }]);
    expect(await mem.query('SELECT * FROM totals')).toEqual([{ k: 'a', s: 1 }]);
    await mem.close();
    await expect(mem.query('SELECT * FROM totals')).rejects.toThrow();
    expect(parkedInstances()).toHaveLength(1);
    const conn = await parkedInstances()[0]!.connect();
    const tables = await conn.runAndReadAll('SELECT count(*)::INTEGER FROM duckdb_tables()');
    expect(tables.getRows()[0]![0]).toBe(0);
    conn.closeSync();

    const path = join(dir, 'park.duckdb');
    const file = await Engine.open({ path });
    await file.execute(SETUP);
    await file.insert('ev', [{ k: 'b', x: 2, ts: new Date(0) }]);
    await file.close();
    expect(parkedInstances()).toHaveLength(1);
    // The file is free again and kept its contents: it was closed, not parked and emptied.
    const again = await Engine.open({ path });
    expect(await again.query('SELECT * FROM totals')).toEqual([{ k: 'b', s: 2 }]);
    await again.close();
  });
});
