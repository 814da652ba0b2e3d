/**
 * What event streams cost (SPEC 2.7), on a keyed source and an unkeyed one holding the same
 * events: appending (the keyed log also writes each event's stream version and indexes the
 * key), reading one stream in order through `engine.query`, and reopening (the versions are
 * derived from the log). Run after a build: `node dist/src/bench/stream-bench.js [events] [keys]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromArrays } from '../exec/arrow.js';
import { Engine } from '../engine/engine.js';

export interface StreamBenchRow {
  readonly measure: string;
  readonly value: number;
  readonly unit: string;
}

const BATCH = 100_000;
const READS = 200;

/** Runs the measurements over `events` events spread evenly over `keys` streams. */
export async function runStreamBench(events = 1_000_000, keys = 10_000): Promise<StreamBenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-stream-bench-'));
  const out: StreamBenchRow[] = [];
  try {
    for (const keyed of [true, false]) {
      const label = keyed ? 'keyed' : 'unkeyed';
      const path = join(dir, `${label}.duckdb`);
      let e = await Engine.open({ path });
      await e.execute(`CREATE SOURCE account_events (account_id VARCHAR, amount DOUBLE, ts TIMESTAMP)${keyed ? ` WITH (key = 'account_id')` : ''}`);
      const t0 = performance.now();
      for (let first = 0; first < events; first += BATCH) {
        const n = Math.min(BATCH, events - first);
        const ids = Array.from({ length: n }, (_, i) => `acc-${(first + i) % keys}`);
        const amount = Float64Array.from({ length: n }, (_, i) => (first + i) % 1000);
        const ts = Float64Array.from({ length: n }, (_, i) => first + i);
        await e.insert('account_events', tableFromArrays({ account_id: ids, amount, ts }));
      }
      const appendS = (performance.now() - t0) / 1000;
      out.push({ measure: `append ${events} events (${label})`, value: Math.round(events / appendS), unit: 'events/s' });
      // The first pull query checkpoints what the appends left; it is not a stream read.
      await e.query('SELECT 1');
      const times: number[] = [];
      for (let i = 0; i < READS; i++) {
        const key = `acc-${(i * 7919) % keys}`;
        const s = performance.now();
        const rows = await e.query('SELECT * FROM sluice_log_account_events WHERE account_id = ? ORDER BY sluice_offset', [key]);
        times.push(performance.now() - s);
        if (rows.length !== Math.ceil(events / keys)) throw new Error(`read ${rows.length} events of ${key}`);
      }
      times.sort((a, b) => a - b);
      out.push({ measure: `read one stream of ${events / keys} events, median (${label})`, value: round(times[READS >> 1]!), unit: 'ms' });
      out.push({ measure: `read one stream, p95 (${label})`, value: round(times[Math.floor(READS * 0.95)]!), unit: 'ms' });
      await e.close();
      const o = performance.now();
      e = await Engine.open({ path });
      out.push({ measure: `reopen (${label})`, value: round(performance.now() - o), unit: 'ms' });
      if (keyed && (await e.streamVersion('account_events', 'acc-0')) !== Math.ceil(events / keys)) throw new Error('wrong version after reopen');
      await e.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const [events, keys] = process.argv.slice(2).map(Number);
  for (const r of await runStreamBench(events || undefined, keys || undefined)) console.log(`${r.measure}: ${r.value} ${r.unit}`);
}
