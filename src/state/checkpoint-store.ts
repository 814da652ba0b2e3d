/**
 * Checkpoint tables: operator state snapshots by owner (a view or sink) and operator id,
 * source positions, and sink output positions. A checkpoint writes them together with view
 * contents in one DuckDB transaction; a reopen reads them back.
 */
import type { Database } from './database.js';
import { quoteString } from './database.js';
import { ColumnBuilder } from '../exec/batch.js';
import type { StateDelta } from '../exec/operator.js';

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
    await this.db.run(
      `CREATE TABLE IF NOT EXISTS sluice_state (owner VARCHAR, operator VARCHAR, key VARCHAR, value VARCHAR, PRIMARY KEY (owner, operator, key))`,
    );
    await this.db.run(`CREATE TABLE IF NOT EXISTS sluice_offsets (source VARCHAR PRIMARY KEY, state VARCHAR)`);
    await this.db.run(`CREATE TABLE IF NOT EXISTS sluice_sink_positions (sink VARCHAR PRIMARY KEY, bytes BIGINT)`);
    await this.db.run(`CREATE TABLE IF NOT EXISTS sluice_checkpoints (id BIGINT, written_at TIMESTAMP, millis DOUBLE)`);
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
    const deletes: [string, string, string][] = [];
    const puts: [string, string, string][] = [];
    for (const [op, d] of deltas) {
      for (const k of d.deletes) deletes.push([op, k, '']);
      for (const [k, v] of d.puts) puts.push([op, k, JSON.stringify(v)]);
    }
    if (deletes.length > 0) {
      await this.stage(deletes);
      await this.db.run(
        `DELETE FROM sluice_state USING sluice_state_stage s WHERE sluice_state.owner = ${quoteString(owner)} AND sluice_state.operator = s.operator AND sluice_state.key = s.key`,
      );
    }
    if (puts.length > 0) {
      await this.stage(puts);
      await this.db.run(`INSERT OR REPLACE INTO sluice_state SELECT ${quoteString(owner)}, operator, key, value FROM sluice_state_stage`);
    }
  }

  private async stage(rows: readonly [string, string, string][]): Promise<void> {
    await this.db.run(`CREATE OR REPLACE TEMP TABLE sluice_state_stage (operator VARCHAR, key VARCHAR, value VARCHAR)`);
    const cols = [0, 1, 2].map((j) => {
      const b = new ColumnBuilder('VARCHAR', rows.length);
      for (const r of rows) b.appendString(r[j]!);
      return { type: 'VARCHAR' as const, data: b.finish() };
    });
    await this.db.append('sluice_state_stage', cols, rows.length);
  }

  async dropOwner(owner: string): Promise<void> {
    await this.db.run(`DELETE FROM sluice_state WHERE owner = ${quoteString(owner)}`);
    await this.db.run(`DELETE FROM sluice_sink_positions WHERE sink = ${quoteString(owner)}`);
  }

  /** Every stored entry of an owner: operator → key → value. */
  async readState(owner: string): Promise<Map<string, Map<string, unknown>>> {
    const r = await this.db.query(`SELECT operator, key, value FROM sluice_state WHERE owner = ${quoteString(owner)}`);
    const out = new Map<string, Map<string, unknown>>();
    for (const [op, key, value] of r.rows) {
      let m = out.get(op as string);
      if (!m) out.set(op as string, (m = new Map()));
      m.set(key as string, JSON.parse(value as string));
    }
    return out;
  }

  async hasState(owner: string): Promise<boolean> {
    const r = await this.db.query(`SELECT count(*) FROM sluice_state WHERE owner = ${quoteString(owner)}`);
    return (r.rows[0]![0] as number) > 0;
  }

  async writePositions(positions: readonly SourcePosition[]): Promise<void> {
    for (const p of positions) {
      await this.db.run(`INSERT OR REPLACE INTO sluice_offsets VALUES (${quoteString(p.source)}, ${quoteString(JSON.stringify(p))})`);
    }
  }

  async readPositions(): Promise<Map<string, SourcePosition>> {
    const r = await this.db.query(`SELECT source, state FROM sluice_offsets`);
    return new Map(r.rows.map(([s, st]) => [s as string, JSON.parse(st as string) as SourcePosition]));
  }

  async removePosition(source: string): Promise<void> {
    await this.db.run(`DELETE FROM sluice_offsets WHERE source = ${quoteString(source)}`);
  }

  async writeSinkPosition(sink: string, bytes: number): Promise<void> {
    await this.db.run(`INSERT OR REPLACE INTO sluice_sink_positions VALUES (${quoteString(sink)}, ${bytes})`);
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
