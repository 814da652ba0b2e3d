/**
 * Engine.checkpointFile, which a group partition's snapshot is taken with: the DuckDB file
 * it leaves has no write-ahead log to copy (it was folded into the file), and a copy of the
 * file alone, opened, holds every view as the checkpoint left it.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-ckfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function totals(events: readonly { k: number; v: number }[]): Record<number, { s: number; c: number }> {
  const out: Record<number, { s: number; c: number }> = {};
  for (const e of events) {
    const t = (out[e.k] ??= { s: 0, c: 0 });
    t.s += e.v;
    t.c += 1;
  }
  return out;
}

describe('Engine.checkpointFile', () => {
  it('leaves a file that holds the checkpoint alone, without its WAL', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.record({ k: fc.integer({ min: 0, max: 5 }), v: fc.integer({ min: -100, max: 100 }) }), { maxLength: 30 }), { minLength: 1, maxLength: 4 }), async (batches) => {
        const path = join(dir, `e${run++}.duckdb`);
        const engine = await Engine.open({ path });
        const seen: { k: number; v: number }[] = [];
        try {
          await engine.execute(`CREATE SOURCE s (k BIGINT, v BIGINT); CREATE MATERIALIZED VIEW t AS SELECT k, SUM(v) AS s, COUNT(*) AS c FROM s GROUP BY k`);
          for (const [i, b] of batches.entries()) {
            if (b.length > 0) await engine.insert('s', b);
            seen.push(...b);
            const positions = await engine.checkpointFile();
            expect(positions.map((p) => p.source)).toContain('s');
            expect(!existsSync(`${path}.wal`) || statSync(`${path}.wal`).size === 0).toBe(true);
            const copy = join(dir, `e${run}-${i}.duckdb`);
            copyFileSync(path, copy);
            const restored = await Engine.open({ path: copy });
            try {
              const rows = await restored.query('SELECT k, s, c FROM t ORDER BY k');
              const want = totals(seen);
              expect(Object.fromEntries(rows.map((r) => [Number(r['k']), { s: Number(r['s']), c: Number(r['c']) }]))).toEqual(want);
            } finally {
              await restored.close();
              rmSync(copy, { force: true });
              rmSync(`${copy}.wal`, { force: true });
            }
          }
        } finally {
          await engine.close();
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
