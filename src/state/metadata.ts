/**
 * The sluice file format: a table `sluice_meta` with the format version. Before opening a
 * file for writing it is probed read-only: a file that is not a DuckDB database, a DuckDB
 * database that sluice did not create, or one written by a newer format is refused with a
 * STATE error and left untouched.
 */
import { existsSync, statSync } from 'node:fs';
import { DuckDBInstance } from './duckdb-api.js';
import { SluiceError } from '../errors.js';
import type { Database } from './database.js';

/** Bumped whenever the layout of sluice's tables changes incompatibly. */
export const FORMAT_VERSION = 1;

/** Checks an existing file without writing to it. */
export async function probeDatabaseFile(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new SluiceError('STATE', `'${path}' is a directory, not a database file`);
  if (statSync(path).size === 0) return;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', threads: '1' });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/lock/i.test(msg)) throw new SluiceError('STATE', `database '${path}' is already open in another process`);
    if (/not a valid DuckDB database/i.test(msg)) throw new SluiceError('STATE', `'${path}' is not a sluice database (not a DuckDB file)`);
    throw new SluiceError('STATE', `cannot open database '${path}': ${msg.split('\n')[0]}`);
  }
  try {
    const con = await instance.connect();
    const tables = (await con.runAndReadAll(`SELECT table_name FROM information_schema.tables`)).getRows().map((r) => String(r[0]));
    if (tables.length === 0) return;
    if (!tables.includes('sluice_meta')) {
      throw new SluiceError('STATE', `'${path}' is a DuckDB database but not a sluice database (it has no sluice_meta table); refusing to change it`);
    }
    const rows = (await con.runAndReadAll(`SELECT value FROM sluice_meta WHERE key = 'format_version'`)).getRows();
    const version = Number(rows[0]?.[0]);
    if (!Number.isInteger(version)) throw new SluiceError('STATE', `'${path}' has no sluice format version; refusing to change it`);
    if (version > FORMAT_VERSION) {
      throw new SluiceError(
        'STATE',
        `'${path}' was written by a newer sluice (format ${version}; this sluice reads format ${FORMAT_VERSION} and older): upgrade sluice to open it`,
      );
    }
    con.closeSync();
  } finally {
    instance.closeSync();
  }
}

/** Creates the metadata table of a new database (no-op for an existing one). */
export async function initMetadata(db: Database): Promise<void> {
  // One transaction: a process killed between the two statements (a start-up fast enough
  // met the crash tests' earliest kills) left a table without the version, a refused file.
  await db.transaction(async () => {
    await db.run(`CREATE TABLE IF NOT EXISTS sluice_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
    // The rows that are missing, by a plain INSERT: INSERT OR IGNORE cost 9 ms, a fifth of an open.
    const have = new Set((await db.query(`SELECT key FROM sluice_meta`)).rows.map((r) => r[0]));
    const rows = [['format_version', String(FORMAT_VERSION)], ['created_at', new Date().toISOString()]].filter(([k]) => !have.has(k));
    if (rows.length > 0) await db.run(`INSERT INTO sluice_meta VALUES ${rows.map(([k, v]) => `('${k}', '${v}')`).join(', ')}`);
  });
}
