/**
 * Names of the engine's own tables in its DuckDB database, shared by storage (which writes
 * them) and the binder (which reads them in pull queries). All start with `sluice_`, which is
 * why user objects may not.
 */

export const RESERVED_PREFIX = 'sluice_';

/** The append-only event log of a source fed by INSERT or the API. */
export function logTableName(source: string): string {
  return `sluice_log_${source}`;
}

/**
 * A temporary view of a source's event log with its Parquet archive (retention), which pull
 * queries read for the log table. No log table can have this name: theirs start `sluice_log_`.
 */
export function archivedLogViewName(source: string): string {
  return `sluice_logview_${source}`;
}

/** The audit trail of a materialized view: every change, in order. */
export function auditTableName(view: string): string {
  return `sluice_audit_${view}`;
}

/**
 * Where a view stood in its sources when it made its changes: (first_seq, source, offset)
 * rows; a change with seq s reads the row group with the greatest first_seq <= s.
 */
export function sourceOffsetsTableName(view: string): string {
  return `sluice_source_offsets_${view}`;
}

/**
 * The engine's tables of fixed name (besides the per-object ones above and each view's
 * contents): all of them readable by pull queries, none writable through sluice.
 */
export const FIXED_SYSTEM_TABLES: readonly string[] = [
  'sluice_meta',
  'sluice_catalog',
  'sluice_settings',
  'sluice_log_partitions',
  'sluice_state',
  'sluice_offsets',
  'sluice_sink_positions',
  'sluice_checkpoints',
  'sluice_history',
  'sluice_history_state',
  'sluice_late_events',
  'sluice_dead_letters',
  'sluice_log_archive',
  'sluice_log_archive_edits',
];
