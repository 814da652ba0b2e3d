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
  /** CPU time (user + system, all threads) of the same span. */
  readonly cpuSeconds: number;
  /** The final result, as value arrays in column order (when asked for). */
  readonly rows?: unknown[][];
}

/**
 * Runs query `name` over `events` events (at `rate` events per second of event time when
 * given). With `blackhole`, a materialized view is made a plain view feeding a blackhole
 * sink: only operator state stays in memory, not the view's growing contents (to see that
 * the state of closed windows is freed).
 */
export async function runSluice(name: string, events: number, collect = false, rate?: number, blackhole = false): Promise<SluiceRun> {
  const script = loadQueryScript(name, events, rate);
  let setup = script.setup;
  if (blackhole && script.materialized) {
    setup = setup.replace(new RegExp(`CREATE\\s+MATERIALIZED\\s+VIEW\\s+${name}\\b`, 'i'), `CREATE VIEW ${name}`);
    setup += `\nCREATE SINK ${name}_sink FROM ${name} WITH (connector = 'blackhole');`;
  }
  const engine = await Engine.open();
  try {
    await engine.execute(setup, { baseDir: queriesDir() });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // A pull query first reads every bounded source to its end and flushes the views.
    await engine.query('SELECT 1');
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (!collect) return { seconds, cpuSeconds };
    const rows = script.materialized && !blackhole
      ? await engine.query(`SELECT * FROM ${name}`)
      : ((await engine.execute(`SELECT * FROM ${name}`))[0]!.rows ?? []);
    return { seconds, cpuSeconds, rows: rows.map((r) => Object.values(r)) };
  } finally {
    await engine.close();
  }
}
