/** What the catalog holds, listed: SHOW, DESCRIBE, and the names and columns the REPL completes. */
import type { Catalog } from '../catalog/catalog.js';
import { sourceSchema, SYSTEM_TABLES } from '../catalog/definitions.js';
import type { Settings } from '../catalog/settings.js';
import type { Span } from '../errors.js';
import type { Database } from '../state/database.js';
import type { Schema, SqlType } from '../types.js';
import type { StatementResult } from './api-types.js';

type Listing = Omit<StatementResult, 'statement'>;

/** The columns of a DESCRIBE. */
const DESCRIBE_COLUMNS = [
  { name: 'column', type: 'VARCHAR' },
  { name: 'type', type: 'VARCHAR' },
  { name: 'event_time', type: 'VARCHAR' },
];

/** Names and columns of sources, views and sinks (see Engine.describeCatalog). */
export interface CatalogDescription {
  sources: { name: string; sql: string; columns: { name: string; type: SqlType }[] }[];
  views: { name: string; sql: string; materialized: boolean; columns: { name: string; type: SqlType }[] }[];
  sinks: { name: string; sql: string; from: string }[];
}

export function describeCatalog(catalog: Catalog): CatalogDescription {
  return {
    sources: catalog.sources().map((s) => ({ name: s.name, sql: s.sql, columns: s.columns.map((c) => ({ name: c.name, type: c.type })) })),
    views: catalog.views().map((v) => ({
      name: v.name,
      sql: v.sql,
      materialized: v.materialized,
      columns: v.schema.map((c) => ({ name: c.name, type: c.type })),
    })),
    sinks: catalog.sinks().map((s) => ({ name: s.name, sql: s.sql, from: s.from })),
  };
}

/** SHOW SOURCES / VIEWS / MATERIALIZED VIEWS / SINKS, or one setting. */
export function show(catalog: Catalog, settings: Settings, what: string, setting: string | undefined, span: Span): Listing {
  const text = (name: string) => ({ name, type: 'VARCHAR' });
  switch (what) {
    case 'SOURCES':
      return {
        columns: [text('name'), text('connector'), text('columns'), text('watermark')],
        rows: catalog.sources().map((s) => ({
          name: s.name,
          connector: s.connector,
          columns: s.columns.map((c) => `${c.name} ${c.type}`).join(', '),
          watermark: s.watermark ? `${s.watermark.column} - ${s.watermark.delayMs} ms` : null,
        })),
      };
    case 'VIEWS':
    case 'MATERIALIZED_VIEWS':
      return {
        columns: [text('name'), text('kind'), text('columns')],
        rows: catalog
          .views()
          .filter((v) => what === 'VIEWS' || v.materialized)
          .map((v) => ({ name: v.name, kind: v.materialized ? 'materialized' : 'view', columns: v.schema.map((c) => c.name).join(', ') })),
      };
    case 'SINKS':
      return {
        columns: [text('name'), text('from'), text('connector')],
        rows: catalog.sinks().map((s) => ({ name: s.name, from: s.from, connector: s.connector })),
      };
    default:
      return { columns: [text('name'), text('value')], rows: [{ name: setting!, value: settings.text(setting!, span) }] };
  }
}

/** DESCRIBE of a catalog entry or a system table sluice declares. */
export function describe(catalog: Catalog, name: string): Listing {
  const e = catalog.get(name);
  const schema: Schema = e ? (e.kind === 'source' ? sourceSchema(e) : e.kind === 'view' ? e.schema : []) : SYSTEM_TABLES[name]!;
  const wm = e?.kind === 'source' ? e.watermark : null;
  return {
    columns: DESCRIBE_COLUMNS,
    rows: schema.map((c) => ({
      column: c.name,
      type: c.type,
      event_time: wm && wm.column === c.name ? `watermark ${c.name} - ${wm.delayMs} ms` : c.timeAttr ? 'yes' : '',
    })),
  };
}

/** DESCRIBE of one of the engine's own tables: its columns as DuckDB holds them. */
export async function describeSystemTable(db: Database, name: string): Promise<Listing> {
  const r = await db.query(`SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND NOT internal ORDER BY column_index`, [name]);
  return { columns: DESCRIBE_COLUMNS, rows: r.rows.map(([column, type]) => ({ column, type, event_time: '' })) };
}
