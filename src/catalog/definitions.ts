/**
 * What the catalog holds: sources, views and sinks as declared, with the SQL text that
 * created them (the durable catalog stores that text and replays it on reopen).
 */
import type { Query } from '../../grammar/ast.js';
import type { Schema, SqlType, Value } from '../types.js';

export type OptionValue = string | number | boolean;
export type Options = Readonly<Record<string, OptionValue>>;

export interface SourceColumn {
  readonly name: string;
  readonly type: SqlType;
  /** The value events stored before this column existed read as (DEFAULT, or NULL). */
  readonly default: Value;
  /** The schema version that added the column (1 for columns of CREATE SOURCE). */
  readonly sinceVersion: number;
}

export interface SourceDef {
  readonly kind: 'source';
  readonly name: string;
  readonly columns: readonly SourceColumn[];
  /** `WATERMARK FOR column AS column - delay`. */
  readonly watermark: { readonly column: string; readonly delayMs: number } | null;
  /** 'none' for a source fed by INSERT and the API, else the WITH connector. */
  readonly connector: string;
  readonly options: Options;
  /** Starts at 1; ALTER SOURCE … ADD COLUMN increments it. */
  readonly version: number;
  readonly sql: string;
  /** Relative paths in options resolve against this folder (the SQL file's). */
  readonly baseDir: string;
}

export interface ViewDef {
  readonly kind: 'view';
  readonly name: string;
  readonly materialized: boolean;
  readonly query: Query;
  readonly schema: Schema;
  /** Whether the view's changes are only inserts, and which columns key its rows (see LogicalPlan). */
  readonly appendOnly: boolean;
  readonly uniqueKey: readonly number[] | null;
  /** `WITH (primary_key = 'a, b')`: the columns that key the view's versions (temporal joins). */
  readonly primaryKey?: readonly number[];
  /** `WITH (retain_history = '…')` in ms of event time: how far back AS OF may read (default: all). */
  readonly retainHistoryMs?: number;
  /** Names of the sources and views the query reads. */
  readonly dependsOn: readonly string[];
  readonly sql: string;
  readonly baseDir: string;
}

export interface SinkDef {
  readonly kind: 'sink';
  readonly name: string;
  readonly from: string;
  readonly connector: string;
  readonly options: Options;
  readonly sql: string;
  readonly baseDir: string;
}

export type CatalogEntry = SourceDef | ViewDef | SinkDef;

/** Whether a source ends: a file without `follow`, a generator with an `events` count, nats with `stop_at_end`. */
export function isBounded(def: SourceDef): boolean {
  if (def.connector === 'file') return def.options['follow'] !== true && def.options['follow'] !== 'true';
  if (def.connector === 'nexmark') return def.options['events'] !== undefined;
  if (def.connector === 'nats') return def.options['stop_at_end'] === true || String(def.options['stop_at_end']).toLowerCase() === 'true';
  return false;
}

/** The schema of a source's events. */
export function sourceSchema(def: SourceDef): Schema {
  const wm = def.watermark?.column;
  return def.columns.map((c) => ({
    name: c.name,
    type: c.type,
    timeAttr: c.type === 'TIMESTAMP' && (wm === undefined || wm === c.name),
  }));
}

/** System tables, readable by pull queries. */
export const SYSTEM_TABLES: Readonly<Record<string, Schema>> = {
  sluice_late_events: [
    { name: 'source', type: 'VARCHAR' },
    { name: 'offset', type: 'BIGINT' },
    { name: 'event_time', type: 'TIMESTAMP' },
    { name: 'watermark', type: 'TIMESTAMP' },
    { name: 'view', type: 'VARCHAR' },
    { name: 'row', type: 'VARCHAR' },
    { name: 'recorded_at', type: 'TIMESTAMP' },
  ],
  sluice_dead_letters: [
    { name: 'source', type: 'VARCHAR' },
    { name: 'offset', type: 'BIGINT' },
    { name: 'raw', type: 'VARCHAR' },
    { name: 'reason', type: 'VARCHAR' },
    { name: 'recorded_at', type: 'TIMESTAMP' },
  ],
};
