/**
 * Runs one benchmark query in a fresh in-process Engine, as a user would: the query file's
 * sources (nexmark connector), its materialized view, or its plain view with a blackhole
 * sink for stateless queries. The timed span is from the first read to the end of input:
 * every source read to its end, the watermark at +infinity (so every window closed and was
 * emitted) and the views' contents written to their DuckDB tables.
 */
import { performance } from 'node:perf_hooks';
import { Engine } from '../engine/engine.js';
import { loadQueryScript, queriesDir } from './nexmark-queries.js';

export interface SluiceRun {
  readonly seconds: number;
  /** The final result, as value arrays in column order (when asked for). */
  readonly rows?: unknown[][];
}

export async function runSluice(name: string, events: number, collect = false): Promise<SluiceRun> {
  const script = loadQueryScript(name, events);
  const engine = await Engine.open();
  try {
    await engine.execute(script.setup, { baseDir: queriesDir() });
    const t0 = performance.now();
    // A pull query first reads every bounded source to its end and flushes the views.
    await engine.query('SELECT 1');
    const seconds = (performance.now() - t0) / 1000;
    if (!collect) return { seconds };
    const rows = script.materialized
      ? await engine.query(`SELECT * FROM ${name}`)
      : ((await engine.execute(`SELECT * FROM ${name}`))[0]!.rows ?? []);
    return { seconds, rows: rows.map((r) => Object.values(r)) };
  } finally {
    await engine.close();
  }
}
