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
 *
 * A file keeps the column names it was written with. A RENAME or DROP COLUMN of the source
 * afterwards is recorded against each file that has the column (`sluice_log_archive_edits`,
 * in the ALTER's transaction), and reading the file applies them in order: the archive
 * reads as the log table does, and nothing in a file is ever rewritten.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaChange } from '../catalog/schema-change.js';
import { SluiceError } from '../errors.js';
import { quoteIdent, quoteString, type Database } from './database.js';

/** One archive file and the offsets it holds (not all offsets between: later events may stay). */
export interface ArchiveFile {
  readonly first: number;
  readonly last: number;
  readonly file: string;
}

/** A column edit a file written before it goes through when read: `to` null is a drop. */
interface ColumnEdit {
  readonly column: string;
  readonly to: string | null;
}

export class LogArchive {
  files: ArchiveFile[] = [];
  /** Per file, the RENAME/DROP COLUMNs since it was written, in order. */
  private edits = new Map<string, ColumnEdit[]>();
  readonly dir: string;

  constructor(
    private readonly db: Database,
    dbPath: string,
    readonly source: string,
  ) {
    this.dir = join(`${dbPath}.archive`, source);
  }

  /** The registry all sources share. */
  static readonly sharedDdl: readonly string[] = [
    `CREATE TABLE IF NOT EXISTS sluice_log_archive (source VARCHAR, first_offset BIGINT, last_offset BIGINT, file VARCHAR, events BIGINT)`,
    `CREATE TABLE IF NOT EXISTS sluice_log_archive_edits (source VARCHAR, file VARCHAR, seq BIGINT, column_name VARCHAR, new_name VARCHAR)`,
  ];

  /** Reads the registry and removes files no row names (written by a checkpoint that did not commit). */
  async load(): Promise<void> {
    const r = await this.db.query(`SELECT first_offset, last_offset, file FROM sluice_log_archive WHERE source = ${quoteString(this.source)} ORDER BY first_offset`);
    this.files = r.rows.map(([first, last, file]) => ({ first: Number(first), last: Number(last), file: file as string }));
    const e = await this.db.query(`SELECT file, column_name, new_name FROM sluice_log_archive_edits WHERE source = ${quoteString(this.source)} ORDER BY file, seq`);
    this.edits = new Map();
    for (const [file, column, to] of e.rows) {
      const list = this.edits.get(file as string) ?? [];
      list.push({ column: column as string, to: to as string | null });
      this.edits.set(file as string, list);
    }
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
    // Files with the same column edits are read together. By name: files written before an
    // ADD COLUMN lack it (NULL; read as its DEFAULT by sluice_version).
    const groups = new Map<string, string[]>();
    files.forEach((f, i) => {
      const star = this.star(f.file);
      groups.set(star, [...(groups.get(star) ?? []), paths[i]!]);
    });
    const reads = [...groups].map(([star, p]) => `SELECT ${star} FROM read_parquet([${p.join(', ')}], union_by_name = true)`);
    return `(${[...reads, `SELECT * FROM ${table}`].join(' UNION ALL BY NAME ')})`;
  }

  /** The select list that reads `file` with today's column names: `* EXCLUDE (…) RENAME (…)`. */
  private star(file: string): string {
    const edits = this.edits.get(file);
    if (!edits) return '*';
    // The file's name of a column → its name now (null: dropped).
    const current = new Map<string, string | null>();
    for (const e of edits) {
      const original = [...current].find(([, now]) => now === e.column)?.[0] ?? e.column;
      current.set(original, e.to);
    }
    const dropped = [...current].filter(([, now]) => now === null).map(([o]) => quoteIdent(o));
    const renamed = [...current].filter(([o, now]) => now !== null && now !== o).map(([o, now]) => `${quoteIdent(o)} AS ${quoteIdent(now!)}`);
    return `*${dropped.length ? ` EXCLUDE (${dropped.join(', ')})` : ''}${renamed.length ? ` RENAME (${renamed.join(', ')})` : ''}`;
  }

  /**
   * Records a RENAME or DROP COLUMN against every archive file that has the column under its
   * name before the change, inside the ALTER's transaction.
   */
  async recordChange(change: SchemaChange): Promise<void> {
    if (change.kind === 'type') return; // read by name, the narrower type widens in the union
    const to = change.kind === 'rename' ? change.to : null;
    for (const f of this.files) {
      const d = await this.db.query(`DESCRIBE SELECT ${this.star(f.file)} FROM read_parquet(${quoteString(join(this.dir, f.file))})`);
      if (!d.rows.some(([name]) => name === change.column)) continue;
      const list = this.edits.get(f.file) ?? [];
      await this.db.run(
        `INSERT INTO sluice_log_archive_edits VALUES (${quoteString(this.source)}, ${quoteString(f.file)}, ${list.length}, ${quoteString(change.column)}, ${to === null ? 'NULL' : quoteString(to)})`,
      );
      this.edits.set(f.file, [...list, { column: change.column, to }]);
    }
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
    await this.db.run(`DELETE FROM sluice_log_archive_edits WHERE source = ${quoteString(this.source)}`);
    this.edits = new Map();
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
