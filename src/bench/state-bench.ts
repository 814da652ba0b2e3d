/**
 * `sluice bench state`: what durability costs. Event-log append throughput; checkpoint time
 * and database size for a view with many groups (first checkpoint: everything; next one:
 * after 1% of the groups changed); recovery time of a process killed after events it never
 * checkpointed; AS OF near the end of the log from a retained snapshot against a full replay;
 * bytes per event of a log of Nexmark bids in the DuckDB file and in Parquet (retention's archive).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Table, tableFromArrays } from '../exec/arrow.js';
import { NexmarkGenerator } from '../connectors/nexmark/generator.js';
import { Engine } from '../engine/engine.js';
import { duckTypeName } from '../state/chunk-writer.js';
import { Database, quoteString } from '../state/database.js';

export interface StateBenchOptions {
  readonly json: boolean;
  /** Group counts to measure checkpoints at. */
  readonly groups?: readonly number[];
  /** Events for the append and recovery measurements. */
  readonly events?: number;
}

interface Row {
  readonly measure: string;
  readonly value: number;
  readonly unit: string;
}

const SOURCE = `CREATE SOURCE s (k BIGINT, v DOUBLE, ts TIMESTAMP)`;
const BATCH = 100_000;

function table(from: number, n: number, keys: number) {
  const k = new Float64Array(n);
  const v = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    k[j] = (from + j) % keys;
    v[j] = j % 97;
    ts[j] = 1.7e12 + from + j;
  }
  return tableFromArrays({ k, v, ts });
}

async function insertMany(e: Engine, from: number, n: number, keys: number): Promise<void> {
  for (let i = 0; i < n; i += BATCH) await e.insert('s', table(from + i, Math.min(BATCH, n - i), keys));
}

function fileSize(path: string): number {
  let size = 0;
  for (const p of [path, `${path}.wal`]) {
    try {
      size += statSync(p).size;
    } catch {
      // no WAL
    }
  }
  return size;
}

async function appendThroughput(dir: string, n: number): Promise<Row> {
  const e = await Engine.open({ path: join(dir, 'append.duckdb') });
  await e.execute(SOURCE);
  await e.execute(`SET checkpoint_interval = '1 hour'`);
  const t0 = performance.now();
  await insertMany(e, 0, n, 1000);
  const ms = performance.now() - t0;
  await e.close();
  return { measure: `event log append (${n.toLocaleString('en')} events, 3 columns)`, value: Math.round(n / (ms / 1000)), unit: 'events/s' };
}

async function checkpointCost(dir: string, groups: number): Promise<Row[]> {
  const path = join(dir, `groups-${groups}.duckdb`);
  const e = await Engine.open({ path });
  await e.execute(SOURCE);
  await e.execute(`SET checkpoint_interval = '1 hour'`);
  await e.execute(`CREATE MATERIALIZED VIEW per_key AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM s GROUP BY k`);
  await insertMany(e, 0, groups, groups);
  let t0 = performance.now();
  await e.checkpoint();
  const first = performance.now() - t0;
  const size = fileSize(path);
  // Touch 1% of the groups, then checkpoint again: only those are written.
  await insertMany(e, 0, Math.ceil(groups / 100), groups);
  t0 = performance.now();
  await e.checkpoint();
  const next = performance.now() - t0;
  await e.close();
  const g = groups.toLocaleString('en');
  return [
    { measure: `first checkpoint, view with ${g} groups`, value: Math.round(first), unit: 'ms' },
    { measure: `next checkpoint after 1% of ${g} groups changed`, value: Math.round(next), unit: 'ms' },
    { measure: `database file with ${g} groups (log + view + state)`, value: Math.round(size / 1e6), unit: 'MB' },
  ];
}

async function recoveryTime(dir: string, n: number): Promise<Row> {
  const path = join(dir, 'recover.duckdb');
  const index = fileURLToPath(new URL('../index.js', import.meta.url));
  // A child process checkpoints its views, logs n more events, and is killed before the next checkpoint.
  writeFileSync(
    join(dir, 'child.mjs'),
    `import { Engine } from ${JSON.stringify(index)};
     import { tableFromArrays } from ${JSON.stringify(import.meta.resolve('apache-arrow'))};
     const e = await Engine.open({ path: ${JSON.stringify(path)} });
     await e.execute(${JSON.stringify(SOURCE)});
     await e.execute("SET checkpoint_interval = '1 hour'");
     await e.execute("CREATE MATERIALIZED VIEW per_key AS SELECT k, COUNT(*) AS n FROM s GROUP BY k");
     for (let i = 0; i < ${n}; i += ${BATCH}) {
       const m = Math.min(${BATCH}, ${n} - i);
       const k = new Float64Array(m), v = new Float64Array(m), ts = new Float64Array(m);
       for (let j = 0; j < m; j++) { k[j] = (i + j) % 10000; v[j] = j; ts[j] = 1.7e12 + i + j; }
       await e.insert('s', tableFromArrays({ k, v, ts }));
     }
     process.stdout.write('ready');
     setInterval(() => {}, 1000);`,
  );
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
    child.stdout.on('data', () => child.kill('SIGKILL'));
    child.on('exit', () => done());
    child.on('error', fail);
  });
  const t0 = performance.now();
  const e = await Engine.open({ path });
  const rows = await e.query('SELECT sum(n) AS n FROM per_key');
  const ms = performance.now() - t0;
  await e.close();
  if (rows[0]?.['n'] !== n) throw new Error(`recovery lost events: ${String(rows[0]?.['n'])} of ${n}`);
  return { measure: `recovery after a kill with ${n.toLocaleString('en')} events not yet checkpointed (reopen + replay + query)`, value: Math.round(ms), unit: 'ms' };
}

/**
 * AS OF near the end of a long log: answered from the nearest retained snapshot plus the
 * log after it, against the same read with no snapshot to start from (a full replay).
 */
export async function asOfCost(dir: string, n: number): Promise<Row[]> {
  const SOURCE_WM = `CREATE SOURCE s (k BIGINT, v DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`;
  const view = `SELECT k, COUNT(*) AS n, SUM(v) AS total FROM s GROUP BY k`;
  const e = await Engine.open({ path: join(dir, 'asof.duckdb') });
  try {
    await e.execute(SOURCE_WM);
    await e.execute(`SET checkpoint_interval = '1 hour'`);
    await e.execute(`CREATE MATERIALIZED VIEW bounded AS ${view}`);
    // Checkpoints before a view exists retain nothing for it: this one is answered by a full replay.
    for (let i = 0; i < n; i += BATCH) {
      await e.insert('s', table(i, Math.min(BATCH, n - i), 1000));
      if ((i + BATCH) % 100_000 === 0) await e.checkpoint();
    }
    await e.execute(`CREATE MATERIALIZED VIEW full_replay AS ${view}`);
    const point = n - Math.max(1, Math.floor(n / 50));
    // The best of three: the machine may be shared.
    const time = async (name: string) => {
      let best = Infinity;
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        await e.query(`SELECT count(*) FROM ${name} AS OF OFFSET ${point}`);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const bounded = await time('bounded');
    const full = await time('full_replay');
    const m = n.toLocaleString('en');
    return [
      { measure: `AS OF OFFSET ${point.toLocaleString('en')} of ${m} events, from a retained snapshot (checkpoint every 100,000)`, value: Math.round(bounded), unit: 'ms' },
      { measure: `AS OF OFFSET ${point.toLocaleString('en')} of ${m} events, full replay from the start of the log`, value: Math.round(full), unit: 'ms' },
      { measure: `AS OF from a snapshot / full replay`, value: Math.round((bounded / full) * 100), unit: '%' },
    ];
  } finally {
    await e.close();
  }
}

/**
 * The event log of Nexmark bids: bytes per event in the DuckDB file (the file's growth over
 * an empty engine's, after a checkpoint and close) and in Parquet as retention archives it
 * (the log table's columns, DuckDB's default Parquet compression).
 */
export async function logBytes(dir: string, n: number): Promise<Row[]> {
  const path = join(dir, 'bids.duckdb');
  const g = new NexmarkGenerator('bid', { events: n });
  const cols = g.schema.map((c) => `${c.name} ${duckTypeName(c.type)}`).join(', ');
  let e = await Engine.open({ path });
  await e.execute(`CREATE SOURCE bids (${cols}, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)`);
  await e.close();
  const empty = fileSize(path);
  e = await Engine.open({ path });
  await e.execute(`SET checkpoint_interval = '1 hour'`);
  let bids = 0;
  for (let b = g.nextBatch(BATCH); b !== null; b = g.nextBatch(BATCH)) {
    await e.insert('bids', new Table(b.data));
    bids += b.data.numRows;
  }
  await e.close();
  const inDuck = (fileSize(path) - empty) / bids;
  const parquet = join(dir, 'bids.parquet');
  const db = await Database.open(path);
  try {
    await db.run(`COPY (SELECT * FROM sluice_log_bids ORDER BY sluice_offset) TO ${quoteString(parquet)} (FORMAT parquet)`);
  } finally {
    db.close();
  }
  const inParquet = statSync(parquet).size / bids;
  const m = bids.toLocaleString('en');
  return [
    { measure: `event log of ${m} Nexmark bids, in the DuckDB file`, value: Math.round(inDuck * 10) / 10, unit: 'bytes/event' },
    { measure: `event log of ${m} Nexmark bids, in Parquet (retention archive)`, value: Math.round(inParquet * 10) / 10, unit: 'bytes/event' },
    { measure: `event log in DuckDB / in Parquet`, value: Math.round((inDuck / inParquet) * 100) / 100, unit: 'x' },
  ];
}

export async function runStateBench(options: StateBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-state-'));
  const n = options.events ?? 1_000_000;
  try {
    const rows: Row[] = [await appendThroughput(dir, n)];
    for (const g of options.groups ?? [100_000, 1_000_000]) rows.push(...(await checkpointCost(dir, g)));
    rows.push(await recoveryTime(dir, n));
    rows.push(...(await asOfCost(dir, n)));
    rows.push(...(await logBytes(dir, n)));
    if (options.json) for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      const w = Math.max(...rows.map((r) => r.measure.length));
      for (const r of rows) process.stdout.write(`${r.measure.padEnd(w)}  ${r.value.toLocaleString('en').padStart(12)} ${r.unit}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
