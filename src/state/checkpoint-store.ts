/**
 * Checkpoint tables: operator state snapshots by owner (a view or sink) and operator id,
 * source positions, and sink output positions. A checkpoint writes them together with view
 * contents in one DuckDB transaction; a reopen reads them back.
 */
import { parseValueJson, valueJson } from '../value-json.js';
import type { Database } from './database.js';
import { duckError, quoteString } from './database.js';
import { appendStrings } from './chunk-writer.js';
import type { StateDelta } from '../exec/operator.js';
import { ColumnarState } from '../exec/columnar-state.js';
import { blobValue, DuckDBBlobValue } from './duckdb-api.js';

/** Where a source stood at the checkpoint. */
export interface SourcePosition {
  readonly source: string;
  /** The connector reader's resume position, or the event log offset to replay from. */
  readonly position: unknown;
  readonly lastOffset: number;
  readonly ended: boolean;
  readonly manualWatermark: number | null;
  readonly maxEventTime: number | null;
  readonly eventsRead: number;
}

export class CheckpointStore {
  constructor(private readonly db: Database) {}

  async create(): Promise<void> {
    // No PRIMARY KEY: writeState deletes a key before inserting it again, and maintaining
    // the index cost more than a second per million entries written. Files created with the
    // key keep it, which writeState works with as well.
    // `value` holds an entry as JSON, `data` one in columnar form (ColumnarState's bytes).
    await this.db.runAll([
      `CREATE TABLE IF NOT EXISTS sluice_state (owner VARCHAR, operator VARCHAR, key VARCHAR, value VARCHAR, data BLOB)`,
      `ALTER TABLE sluice_state ADD COLUMN IF NOT EXISTS data BLOB`,
      `CREATE TABLE IF NOT EXISTS sluice_offsets (source VARCHAR PRIMARY KEY, state VARCHAR)`,
      `CREATE TABLE IF NOT EXISTS sluice_sink_positions (sink VARCHAR PRIMARY KEY, bytes BIGINT)`,
      `CREATE TABLE IF NOT EXISTS sluice_checkpoints (id BIGINT, written_at TIMESTAMP, millis DOUBLE)`,
      // Retained snapshots of views for AS OF: where each stood, its operator state, and (in
      // a table per snapshot, sluice_history_<id>) its contents.
      `CREATE TABLE IF NOT EXISTS sluice_history (view VARCHAR, id BIGINT, consumed DOUBLE, inputs VARCHAR)`,
      `CREATE TABLE IF NOT EXISTS sluice_history_state (view VARCHAR, id BIGINT, operator VARCHAR, key VARCHAR, value VARCHAR, data BLOB)`,
      `ALTER TABLE sluice_history_state ADD COLUMN IF NOT EXISTS data BLOB`,
    ]);
  }

  /**
   * Retains a view's snapshot as the checkpoint being written holds it: call after the
   * view's state and contents are written, in the same transaction.
   */
  async retainSnapshot(snap: HistorySnapshot, contents: string): Promise<void> {
    const v = quoteString(snap.view);
    await this.db.run(`INSERT INTO sluice_history VALUES (${v}, ${snap.id}, ${snap.consumed}, ${quoteString(JSON.stringify(snap.inputs))})`);
    await this.db.run(
      `INSERT INTO sluice_history_state (view, id, operator, key, value, data) SELECT owner, ${snap.id}, operator, key, value, data FROM sluice_state WHERE owner = ${v}`,
    );
    await this.db.run(`CREATE OR REPLACE TABLE ${historyTable(snap.id)} AS SELECT * FROM ${contents}`);
  }

  /** A view's retained snapshots, oldest first. */
  async snapshots(view: string): Promise<HistorySnapshot[]> {
    const r = await this.db.query(`SELECT id, consumed, inputs FROM sluice_history WHERE view = ${quoteString(view)} ORDER BY consumed, id`);
    return r.rows.map(([id, consumed, inputs]) => ({ view, id: Number(id), consumed: Number(consumed), inputs: JSON.parse(inputs as string) as HistoryInput[] }));
  }

  /** The operator state of one retained snapshot: operator → key → value. */
  async snapshotState(view: string, id: number): Promise<Map<string, Map<string, unknown>>> {
    return this.entries(`SELECT operator, key, value, data FROM sluice_history_state WHERE view = ${quoteString(view)} AND id = ${id}`);
  }

  async dropSnapshot(view: string, id: number): Promise<void> {
    await this.db.run(`DELETE FROM sluice_history WHERE view = ${quoteString(view)} AND id = ${id}`);
    await this.db.run(`DELETE FROM sluice_history_state WHERE view = ${quoteString(view)} AND id = ${id}`);
    await this.db.run(`DROP TABLE IF EXISTS ${historyTable(id)}`);
  }

  async dropHistory(view: string): Promise<void> {
    for (const s of await this.snapshots(view)) await this.dropSnapshot(view, s.id);
  }

  /**
   * Writes the state one owner (a view or sink) changed: per operator, entries to put and
   * keys to delete; an operator whose delta is `full` first loses every stored entry.
   */
  async writeState(owner: string, deltas: ReadonlyMap<string, StateDelta>): Promise<void> {
    const full = [...deltas].filter(([, d]) => d.full).map(([op]) => op);
    if (full.length > 0) {
      await this.db.run(
        `DELETE FROM sluice_state WHERE owner = ${quoteString(owner)} AND operator IN (${full.map(quoteString).join(', ')})`,
      );
    }
    // Entries to put and keys to delete go through one staging table (value NULL: delete):
    // stored entries under those keys are deleted, then the puts inserted. Plain INSERT, not
    // INSERT OR REPLACE: its per-row key lookups made most of a first checkpoint's time.
    const rows = new Rows();
    // Columnar entries go as BLOBs after the others (their stored versions deleted with them).
    const blobs: [op: string, key: string, state: ColumnarState][] = [];
    for (const [op, d] of deltas) {
      for (const k of d.deletes) rows.add(op, k, null);
      for (const [k, v] of d.puts) {
        if (v instanceof ColumnarState) {
          blobs.push([op, k, v]);
          rows.add(op, k, null);
        } else rows.add(op, k, valueJson(v));
      }
    }
    if (rows.n === 0) return;
    await this.writeRows(owner, rows);
    for (const [op, k, state] of blobs) {
      await this.db.run(`INSERT INTO sluice_state (owner, operator, key, data) VALUES ($1, $2, $3, $4)`, [owner, op, k, blobValue(state.encode())]);
    }
  }

  private async writeRows(owner: string, rows: Rows): Promise<void> {
    const source = await this.send(rows);
    if (source !== STAGE) {
      await this.db.run(`CREATE OR REPLACE TEMP TABLE ${STAGE} AS SELECT * FROM ${source}`);
      await this.db.run(`DROP TABLE ${PACKS}`);
    }
    const o = quoteString(owner);
    await this.db.run(
      `DELETE FROM sluice_state USING ${STAGE} s WHERE sluice_state.owner = ${o} AND sluice_state.operator = s.operator AND sluice_state.key = s.key`,
    );
    await this.db.run(`INSERT INTO sluice_state (owner, operator, key, value) SELECT ${o}, operator, key, value FROM ${STAGE} WHERE value IS NOT NULL`);
  }

  /**
   * Sends rows to DuckDB; returns what to select them from (columns operator, key, value).
   * Strings cross into DuckDB one native call each, so a million entries are sent as packs
   * of newline-joined strings that DuckDB splits again; JSON text never holds a raw newline,
   * and rows with a key that does go one by one into the staging table.
   */
  private async send(rows: Rows): Promise<string> {
    if (!rows.packable()) {
      await this.db.run(`CREATE OR REPLACE TEMP TABLE ${STAGE} (operator VARCHAR, key VARCHAR, value VARCHAR)`);
      await this.appendRows(STAGE, [rows.operators, rows.keys, rows.values], rows.n);
      return STAGE;
    }
    const packs: string[][] = [[], [], []];
    for (let from = 0; from < rows.n; from += PACK_ROWS) {
      const to = Math.min(rows.n, from + PACK_ROWS);
      packs[0]!.push(rows.operators.slice(from, to).join('\n'));
      packs[1]!.push(rows.keys.slice(from, to).join('\n'));
      // A delete's NULL value travels as an empty string: no JSON text is empty.
      packs[2]!.push(rows.values.slice(from, to).map((v) => v ?? '').join('\n'));
    }
    await this.db.run(`CREATE OR REPLACE TEMP TABLE ${PACKS} (operators VARCHAR, keys VARCHAR, vals VARCHAR)`);
    await this.appendRows(PACKS, packs, packs[0]!.length);
    return (
      `(SELECT o AS operator, k AS key, nullif(v, '') AS value FROM (SELECT unnest(string_split(operators, chr(10))) AS o, ` +
      `unnest(string_split(keys, chr(10))) AS k, unnest(string_split(vals, chr(10))) AS v FROM ${PACKS}))`
    );
  }

  private async appendRows(table: string, columns: readonly (readonly (string | null)[])[], n: number): Promise<void> {
    const appender = await this.db.connection.createAppender(table);
    try {
      appendStrings(appender, columns, n);
      appender.closeSync();
    } catch (e) {
      throw duckError(e, 'STATE');
    }
  }

  async dropOwner(owner: string): Promise<void> {
    await this.db.run(`DELETE FROM sluice_state WHERE owner = ${quoteString(owner)}`);
    await this.db.run(`DELETE FROM sluice_sink_positions WHERE sink = ${quoteString(owner)}`);
  }

  /** Every stored entry of an owner: operator → key → value. */
  async readState(owner: string): Promise<Map<string, Map<string, unknown>>> {
    return this.entries(`SELECT operator, key, value, data FROM sluice_state WHERE owner = ${quoteString(owner)}`);
  }

  /** Rows (operator, key, JSON value, columnar data) as operator → key → value. */
  private async entries(sql: string): Promise<Map<string, Map<string, unknown>>> {
    let rows;
    try {
      // Read raw: the wrapper's conversion would turn a BLOB into text.
      rows = (await this.db.connection.runAndReadAll(sql)).getRows();
    } catch (e) {
      throw duckError(e, 'STATE');
    }
    const out = new Map<string, Map<string, unknown>>();
    for (const [op, key, value, data] of rows) {
      let m = out.get(op as string);
      if (!m) out.set(op as string, (m = new Map()));
      m.set(key as string, data instanceof DuckDBBlobValue ? ColumnarState.decode(data.bytes) : parseValueJson(value as string));
    }
    return out;
  }

  async hasState(owner: string): Promise<boolean> {
    const r = await this.db.query(`SELECT count(*) FROM sluice_state WHERE owner = ${quoteString(owner)}`);
    return (r.rows[0]![0] as number) > 0;
  }

  // The writes below run inside the checkpoint's transaction. A DELETE and an INSERT in one
  // round trip cost a quarter of DuckDB's INSERT OR REPLACE (about 1.5 against 6 ms a row).
  async writePositions(positions: readonly SourcePosition[]): Promise<void> {
    if (positions.length === 0) return;
    const sources = positions.map((p) => quoteString(p.source)).join(', ');
    const rows = positions.map((p) => `(${quoteString(p.source)}, ${quoteString(JSON.stringify(p))})`).join(', ');
    await this.db.run(`DELETE FROM sluice_offsets WHERE source IN (${sources}); INSERT INTO sluice_offsets VALUES ${rows}`);
  }

  async readPositions(): Promise<Map<string, SourcePosition>> {
    const r = await this.db.query(`SELECT source, state FROM sluice_offsets`);
    return new Map(r.rows.map(([s, st]) => [s as string, JSON.parse(st as string) as SourcePosition]));
  }

  async removePosition(source: string): Promise<void> {
    await this.db.run(`DELETE FROM sluice_offsets WHERE source = ${quoteString(source)}`);
  }

  async writeSinkPosition(sink: string, bytes: number): Promise<void> {
    await this.db.run(`DELETE FROM sluice_sink_positions WHERE sink = ${quoteString(sink)}; INSERT INTO sluice_sink_positions VALUES (${quoteString(sink)}, ${bytes})`);
  }

  async readSinkPositions(): Promise<Map<string, number>> {
    const r = await this.db.query(`SELECT sink, bytes FROM sluice_sink_positions`);
    return new Map(r.rows.map(([s, b]) => [s as string, b as number]));
  }

  /** The id of the last checkpoint written (0: none): ids go on from it after a reopen. */
  async lastCheckpointId(): Promise<number> {
    const r = await this.db.query(`SELECT coalesce(max(id), 0) FROM sluice_checkpoints`);
    return r.rows[0]![0] as number;
  }

  async recordCheckpoint(id: number, millis: number): Promise<void> {
    await this.db.run(`INSERT INTO sluice_checkpoints VALUES (${id}, now()::TIMESTAMP, ${millis})`);
  }
}

/** Where one source input of a view stood at a retained snapshot. */
export interface HistoryInput {
  readonly source: string;
  readonly lastOffset: number;
  /** The largest event time it had taken (null: none, or no event-time column). */
  readonly maxTime: number | null;
}

export interface HistorySnapshot {
  readonly view: string;
  readonly id: number;
  /** Events taken over all inputs (orders snapshots; spaces them). */
  readonly consumed: number;
  readonly inputs: readonly HistoryInput[];
}

/** The table holding a retained snapshot's view contents. */
export function historyTable(id: number): string {
  return `sluice_history_${id}`;
}

const PACK_ROWS = 8192;
const STAGE = 'sluice_state_stage';
const PACKS = 'sluice_state_packs';

/** State rows to write, column-wise (value null: a key to delete). */
class Rows {
  readonly operators: string[] = [];
  readonly keys: string[] = [];
  readonly values: (string | null)[] = [];
  private newlines = false;

  get n(): number {
    return this.keys.length;
  }

  add(operator: string, key: string, value: string | null): void {
    if (key.includes('\n') || operator.includes('\n')) this.newlines = true;
    this.operators.push(operator);
    this.keys.push(key);
    this.values.push(value);
  }

  /** Whether the rows can travel newline-joined (see CheckpointStore.send). */
  packable(): boolean {
    return !this.newlines;
  }
}
