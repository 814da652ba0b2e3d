/**
 * DuckDB as the benchmark's reference: the generated events preloaded into tables person,
 * auction and bid of an in-memory database with one thread, each query run as batch SQL
 * into a temporary table (the analogue of maintaining a view), and results compared with
 * sluice's as multisets of rows.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NexmarkGenerator } from '../connectors/nexmark/generator.js';
import { NEXMARK_SCHEMAS, type NexmarkTable } from '../connectors/nexmark/schemas.js';
import { duckTypeName } from '../state/chunk-writer.js';
import { toApiValue } from '../engine/rows.js';
import { Database } from '../state/database.js';
import { queriesDir } from './nexmark-queries.js';

const LOAD_BATCH = 1 << 16;
/** A select list with `*` or `alias.*` (not `COUNT(*)`). */
const STAR = /(\bselect\s+(distinct\s+)?|\.|,\s*)\*/i;

/** The columns of each table that a set of DuckDB queries reads (every column of every table when `sqls` is null). */
export function columnsNeeded(sqls: readonly string[] | null): Map<NexmarkTable, string[]> {
  const out = new Map<NexmarkTable, string[]>();
  for (const table of ['person', 'auction', 'bid'] as const) {
    const read = (s: string) => new RegExp(`\\b(from|join)\\s+${table}\\b`, 'i').test(s);
    // `SELECT *` or `A.*` (q9, q18, q19) outputs every column: loading fewer would time a narrower query.
    const mentioned = (c: string) => sqls === null || sqls.some((s) => read(s) && (STAR.test(s) || new RegExp(`\\b${c}\\b`, 'i').test(s)));
    const names = NEXMARK_SCHEMAS[table].map((c) => c.name).filter(mentioned);
    if (names.length > 0) out.set(table, names);
  }
  return out;
}

export class DuckTables {
  private constructor(private readonly db: Database) {}

  /** Generates `events` events of the sequence (at `rate` per second of event time) into one table per entry of `columns`. */
  static async load(events: number, columns: ReadonlyMap<NexmarkTable, readonly string[]>, rate?: number): Promise<DuckTables> {
    const db = await Database.open();
    await db.run('SET threads = 1');
    // q13's static side table, the file its query reads.
    const side = join(queriesDir(), 'side_input.csv').replace(/'/g, "''");
    await db.run(`CREATE TABLE side_input AS SELECT * FROM read_csv('${side}', header = true, columns = {'key': 'BIGINT', 'value': 'VARCHAR'})`);
    for (const [table, names] of columns) {
      const schema = NEXMARK_SCHEMAS[table].filter((c) => names.includes(c.name));
      await db.run(`CREATE TABLE ${table} (${schema.map((c) => `${c.name} ${duckTypeName(c.type)}`).join(', ')})`);
      const gen = new NexmarkGenerator(table, { events, ...(rate !== undefined && { rate }) }, { columns: schema.map((c) => c.name) });
      for (let b = gen.nextColumns(LOAD_BATCH); b !== null; b = gen.nextColumns(LOAD_BATCH)) {
        await db.append(table, schema.map((c, j) => ({ type: c.type, data: b.columns[j]! })), b.length);
      }
    }
    return new DuckTables(db);
  }

  /** Seconds DuckDB takes to compute `sql` into a table. */
  async time(sql: string): Promise<number> {
    const t0 = performance.now();
    await this.db.run(`CREATE OR REPLACE TEMP TABLE bench_result AS ${sql}`);
    const seconds = (performance.now() - t0) / 1000;
    await this.db.run('DROP TABLE bench_result');
    return seconds;
  }

  /** The result's rows, a DECIMAL as the API gives it (its digits at the column's scale). */
  async rows(sql: string): Promise<unknown[][]> {
    const r = await this.db.query(sql);
    const types = r.columns.map((c) => c.sqlType);
    return r.rows.map((row) => row.map((v, j) => (types[j] ? toApiValue(v, types[j]) : v)));
  }

  close(): void {
    this.db.close();
  }
}

/** A value in a form both sides agree on: times as epoch ms, numbers to 12 significant digits. */
function canonical(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && !Number.isInteger(v)) return Number(v.toPrecision(12));
  return v;
}

/**
 * Whether two results hold the same rows (in any order), looking at the columns `compare`
 * (by position; all by default); a reason when they do not.
 */
export function sameRows(a: readonly unknown[][], b: readonly unknown[][], compare?: readonly number[]): { same: boolean; reason?: string } {
  if (a.length !== b.length) return { same: false, reason: `${a.length} rows against ${b.length}` };
  const pick = (r: readonly unknown[]) => (compare === undefined ? r : compare.map((j) => r[j]));
  const key = (r: readonly unknown[]) => JSON.stringify(pick(r).map(canonical));
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return { same: false, reason: `first difference: ${ka[i]} against ${kb[i]}` };
  }
  return { same: true };
}
