/**
 * The durable catalog: every source, view and sink as the statement that created it (a
 * source also with its current columns and schema version), in creation order, and the
 * settings. Reopening replays it.
 */
import type { CatalogEntry, SourceDef } from '../catalog/definitions.js';
import type { Database } from './database.js';
import { quoteString } from './database.js';

/** A stored entry: sources keep their whole definition; views and sinks their SQL. */
export interface StoredEntry {
  readonly name: string;
  readonly kind: CatalogEntry['kind'];
  readonly sql: string;
  readonly baseDir: string;
  /** For sources: the definition with every schema version's columns. */
  readonly source?: SourceDef;
}

export class CatalogStore {
  constructor(private readonly db: Database) {}

  async create(): Promise<void> {
    await this.db.runAll([
      `CREATE TABLE IF NOT EXISTS sluice_catalog (position BIGINT, name VARCHAR PRIMARY KEY, kind VARCHAR, sql VARCHAR, base_dir VARCHAR, definition VARCHAR)`,
      `CREATE TABLE IF NOT EXISTS sluice_settings (name VARCHAR PRIMARY KEY, value VARCHAR)`,
    ]);
  }

  async put(e: CatalogEntry): Promise<void> {
    const def = e.kind === 'source' ? JSON.stringify(e) : null;
    await this.db.run(`DELETE FROM sluice_catalog WHERE name = ${quoteString(e.name)}`);
    await this.db.run(
      `INSERT INTO sluice_catalog SELECT coalesce(max(position), 0) + 1, ${quoteString(e.name)}, ${quoteString(e.kind)}, ${quoteString(e.sql)}, ${quoteString(
        e.baseDir,
      )}, ${def === null ? 'NULL' : quoteString(def)} FROM sluice_catalog`,
    );
  }

  /** Updates a source's definition in place (ALTER keeps its position). */
  async updateSource(def: SourceDef): Promise<void> {
    await this.db.run(`UPDATE sluice_catalog SET definition = ${quoteString(JSON.stringify(def))} WHERE name = ${quoteString(def.name)}`);
  }

  async remove(name: string): Promise<void> {
    await this.db.run(`DELETE FROM sluice_catalog WHERE name = ${quoteString(name)}`);
  }

  async load(): Promise<StoredEntry[]> {
    const r = await this.db.query(`SELECT name, kind, sql, base_dir, definition FROM sluice_catalog ORDER BY position`);
    return r.rows.map(([name, kind, sql, baseDir, def]) => ({
      name: name as string,
      kind: kind as CatalogEntry['kind'],
      sql: sql as string,
      baseDir: baseDir as string,
      source: def === null ? undefined : (JSON.parse(def as string) as SourceDef),
    }));
  }

  async putSetting(name: string, value: string): Promise<void> {
    await this.db.run(`INSERT OR REPLACE INTO sluice_settings VALUES (${quoteString(name)}, ${quoteString(value)})`);
  }

  async settings(): Promise<[string, string][]> {
    const r = await this.db.query(`SELECT name, value FROM sluice_settings`);
    return r.rows.map(([n, v]) => [n as string, v as string]);
  }
}
