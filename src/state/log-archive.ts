/**
 * The archive of a source's event log (SPEC 2.7 "Storage growth"): events moved out of the
 * DuckDB file into Parquet files `<db>.archive/<source>/<first>-<last>.parquet` (the log
 * table's columns), which every reader of the log reads together with the table.
 *
 * Which files hold events is recorded in `sluice_log_archive`, written in the same
 * transaction that deletes the events from the table: a file is written and fsynced first,
 * so a crash before that commit leaves a file no row names (its events are still in the
 * table), which opening removes; after it, the row names a file that is on disk. A file a
 * row names that is missing or unreadable is a STATE error naming it: nothing is read
 * without it.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import { quoteString, type Database } from './database.js';

/** One archive file and the offsets it holds (not all offsets between: later events may stay). */
export interface ArchiveFile {
  readonly first: number;
  readonly last: number;
  readonly file: string;
}

export class LogArchive {
  files: ArchiveFile[] = [];
  readonly dir: string;

  constructor(
    private readonly db: Database,
    dbPath: string,
    readonly source: string,
  ) {
    this.dir = join(`${dbPath}.archive`, source);
  }

  /** The registry all sources share. */
  static async createShared(db: Database): Promise<void> {
    await db.run(`CREATE TABLE IF NOT EXISTS sluice_log_archive (source VARCHAR, first_offset BIGINT, last_offset BIGINT, file VARCHAR, events BIGINT)`);
  }

  /** Reads the registry and removes files no row names (written by a checkpoint that did not commit). */
  async load(): Promise<void> {
    await LogArchive.createShared(this.db);
    const r = await this.db.query(`SELECT first_offset, last_offset, file FROM sluice_log_archive WHERE source = ${quoteString(this.source)} ORDER BY first_offset`);
    this.files = r.rows.map(([first, last, file]) => ({ first: Number(first), last: Number(last), file: file as string }));
    if (!existsSync(this.dir)) return;
    const known = new Set(this.files.map((f) => f.file));
    for (const name of readdirSync(this.dir)) {
      if (name.endsWith('.parquet') && !known.has(name)) rmSync(join(this.dir, name), { force: true });
    }
  }

  /** The largest archived offset (-1: none). */
  get lastOffset(): number {
    return this.files.reduce((m, f) => Math.max(m, f.last), -1);
  }

  /**
   * The log as a SQL relation: `table` alone, or with the archive files that may hold
   * offsets in [from, to) (all of them without a range) in front of it.
   */
  relation(table: string, from = -Infinity, to = Infinity, check = true): string {
    const files = this.files.filter((f) => f.last >= from && f.first < to);
    if (files.length === 0) return table;
    const paths = files.map((f) => {
      const path = join(this.dir, f.file);
      if (check && !existsSync(path)) throw this.missing(path, 'is missing');
      return quoteString(path);
    });
    // By name: files written before an ADD COLUMN lack it (NULL; read as its DEFAULT by sluice_version).
    return `(SELECT * FROM read_parquet([${paths.join(', ')}], union_by_name = true) UNION ALL BY NAME SELECT * FROM ${table})`;
  }

  /** A DuckDB error from reading the relation, as the STATE error naming the archive file at fault. */
  explain(e: unknown): unknown {
    const msg = e instanceof Error ? e.message : String(e);
    const f = this.files.find((x) => msg.includes(x.file));
    return f ? this.missing(join(this.dir, f.file), `is unreadable (${msg.split('\n')[0]})`) : e;
  }

  private missing(path: string, why: string): SluiceError {
    return new SluiceError('STATE', `archive file '${path}' of the event log of source '${this.source}' ${why}: its events cannot be read`);
  }

  /**
   * Moves the events of `table` matching `where` into a new archive file, inside the caller's
   * transaction: the file is written and fsynced, then registered and the events deleted.
   * Returns how many events moved.
   */
  async move(table: string, where: string): Promise<number> {
    const r = await this.db.query(`SELECT min(sluice_offset), max(sluice_offset), count(*) FROM ${table} WHERE ${where}`);
    const [first, last, count] = r.rows[0]!.map((v) => (v === null ? null : Number(v)));
    if (!count) return 0;
    mkdirSync(this.dir, { recursive: true });
    const file = `${first}-${last}.parquet`;
    const path = join(this.dir, file);
    await this.db.run(`COPY (SELECT * FROM ${table} WHERE ${where} ORDER BY sluice_offset) TO ${quoteString(path)} (FORMAT parquet)`);
    syncFile(path);
    syncFile(this.dir);
    LogArchive.afterWrite?.(path);
    await this.db.run(`INSERT INTO sluice_log_archive VALUES (${quoteString(this.source)}, ${first}, ${last}, ${quoteString(file)}, ${count})`);
    await this.db.run(`DELETE FROM ${table} WHERE ${where}`);
    this.files.push({ first: first!, last: last!, file });
    return count;
  }

  /** The transaction that registered files was rolled back: the registry is read again. */
  async reload(): Promise<void> {
    await this.load();
  }

  /** Drops the archive with its source. */
  async drop(): Promise<void> {
    await this.db.run(`DELETE FROM sluice_log_archive WHERE source = ${quoteString(this.source)}`);
    rmSync(this.dir, { recursive: true, force: true });
    this.files = [];
  }

  /** Test hook: runs after a file is written and fsynced, before its events leave the table (crash tests). */
  static afterWrite: ((path: string) => void) | undefined = undefined;
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
