/**
 * What the shell prints for a statement's result, in the current output mode. It mirrors
 * `renderResult` of `sluice run` (a SUBSCRIBE result shows its changes with an `op`
 * column) and adds what a terminal needs: the table cut to the screen's width and to a
 * number of rows, with a note saying how many were left out.
 */
import type { ResultColumn, StatementResult } from '../src/engine/engine.js';
import type { Row } from '../src/engine/rows.js';
import type { OutputMode } from './dot-commands.js';
import { formatResult, type TableOptions } from './format.js';

/** Rows of objects as arrays in column order, as the formatters take them. */
export function rowArrays(columns: readonly ResultColumn[], rows: readonly Row[]): unknown[][] {
  return rows.map((row) => columns.map((c) => row[c.name]));
}

/** The text of a result with columns ('' for a statement that returned only a message). */
export function resultText(r: StatementResult, mode: OutputMode, table: TableOptions): string {
  if (!r.columns) return '';
  if (r.statement === 'SUBSCRIBE' && r.changes) {
    const columns = [{ name: 'op', type: 'VARCHAR' }, ...r.columns];
    const rows = r.changes.map((c) => [c.op, ...r.columns!.map((col) => c.row[col.name])]);
    return formatResult(mode, columns, rows, table);
  }
  return formatResult(mode, r.columns, rowArrays(r.columns, r.rows ?? []), table);
}

/** The `.timer on` line, as the DuckDB shell prints it (seconds with three decimals). */
export function timerText(ms: number): string {
  return `Run Time: ${(ms / 1000).toFixed(3)} s`;
}
