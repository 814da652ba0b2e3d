/**
 * The key of a source's event streams (SPEC 2.7): `WITH (key = 'col')` on a source fed by
 * INSERT and the API makes each value of `col` a stream with a version of its own. A
 * connector's `key` option means something else (how its publisher partitions), so only
 * sources without a connector have streams.
 */
import type { Options, SourceColumn, SourceDef } from './definitions.js';

/** The WITH options a source without a connector takes. */
export const API_SOURCE_OPTIONS: readonly string[] = ['key', 'idle_timeout', 'retention'];

/** The declared column `key` names: exactly, else ignoring case (names are case-insensitive). */
export function findKeyColumn(columns: readonly SourceColumn[], key: string): SourceColumn | undefined {
  return columns.find((c) => c.name === key) ?? columns.find((c) => c.name.toLowerCase() === key.toLowerCase());
}

/** The column whose values name the source's streams; null for a source without streams. */
export function streamKeyOf(def: Pick<SourceDef, 'connector' | 'columns' | 'options'>): SourceColumn | null {
  if (def.connector !== 'none') return null;
  const key = (def.options as Options)['key'];
  if (typeof key !== 'string') return null;
  return findKeyColumn(def.columns, key) ?? null;
}
