/**
 * The system tables `sluice_late_events` and `sluice_dead_letters`: records are buffered and
 * appended in bulk before a pull query and at checkpoints.
 */
import type { DeadLetter } from '../connectors/source-reader.js';
import type { LateRecord } from '../exec/operator.js';
import { ColumnBuilder } from '../exec/batch.js';
import type { Database } from './database.js';

export class SystemTables {
  private late: (LateRecord & { view: string; at: number })[] = [];
  private dead: (DeadLetter & { at: number })[] = [];
  /** Dead letters of API inserts: not in any log, so written at once (replay cannot recreate them). */
  private inputDead: (DeadLetter & { at: number })[] = [];
  /** Totals since the engine opened (metrics). */
  lateCount = 0;
  deadCount = 0;

  constructor(private readonly db: Database) {}

  async create(): Promise<void> {
    await this.db.run(
      `CREATE TABLE IF NOT EXISTS sluice_late_events (source VARCHAR, "offset" BIGINT, event_time TIMESTAMP, watermark TIMESTAMP, "view" VARCHAR, "row" VARCHAR, recorded_at TIMESTAMP)`,
    );
    await this.db.run(
      `CREATE TABLE IF NOT EXISTS sluice_dead_letters (source VARCHAR, "offset" BIGINT, raw VARCHAR, reason VARCHAR, recorded_at TIMESTAMP)`,
    );
  }

  recordLate(view: string, records: readonly LateRecord[]): void {
    const at = Date.now();
    for (const r of records) this.late.push({ ...r, view, at });
    this.lateCount += records.length;
  }

  /**
   * Records events that could not be read. `fromInput`: they came through the API and will
   * not come again on replay, so {@link flushInput} writes them right away; dead letters of a
   * connector are derived by reading and are written with checkpoints.
   */
  recordDead(letters: readonly DeadLetter[], fromInput = false): void {
    const at = Date.now();
    for (const d of letters) (fromInput ? this.inputDead : this.dead).push({ ...d, at });
    this.deadCount += letters.length;
  }

  async flushInput(): Promise<void> {
    const rows = this.inputDead;
    this.inputDead = [];
    await this.writeDead(rows);
  }

  async flush(): Promise<void> {
    if (this.late.length > 0) {
      const rows = this.late;
      this.late = [];
      const b = (t: ConstructorParameters<typeof ColumnBuilder>[0]) => new ColumnBuilder(t, rows.length);
      const [src, off, et, wm, view, row, at] = [b('VARCHAR'), b('BIGINT'), b('TIMESTAMP'), b('TIMESTAMP'), b('VARCHAR'), b('VARCHAR'), b('TIMESTAMP')];
      for (const r of rows) {
        src.append(r.source);
        off.append(r.offset);
        et.append(r.eventTime);
        wm.append(Number.isFinite(r.watermark) ? r.watermark : null);
        view.append(r.view);
        row.append(r.row);
        at.append(r.at);
      }
      await this.db.append(
        'sluice_late_events',
        [
          { type: 'VARCHAR', data: src.finish() },
          { type: 'BIGINT', data: off.finish() },
          { type: 'TIMESTAMP', data: et.finish() },
          { type: 'TIMESTAMP', data: wm.finish() },
          { type: 'VARCHAR', data: view.finish() },
          { type: 'VARCHAR', data: row.finish() },
          { type: 'TIMESTAMP', data: at.finish() },
        ],
        rows.length,
      );
    }
    await this.flushInput();
    const rows = this.dead;
    this.dead = [];
    await this.writeDead(rows);
  }

  private async writeDead(rows: (DeadLetter & { at: number })[]): Promise<void> {
    if (rows.length > 0) {
      const b = (t: ConstructorParameters<typeof ColumnBuilder>[0]) => new ColumnBuilder(t, rows.length);
      const [src, off, raw, reason, at] = [b('VARCHAR'), b('BIGINT'), b('VARCHAR'), b('VARCHAR'), b('TIMESTAMP')];
      for (const r of rows) {
        src.append(r.source);
        off.append(r.offset);
        raw.append(r.raw);
        reason.append(r.reason);
        at.append(r.at);
      }
      await this.db.append(
        'sluice_dead_letters',
        [
          { type: 'VARCHAR', data: src.finish() },
          { type: 'BIGINT', data: off.finish() },
          { type: 'VARCHAR', data: raw.finish() },
          { type: 'VARCHAR', data: reason.finish() },
          { type: 'TIMESTAMP', data: at.finish() },
        ],
        rows.length,
      );
    }
  }
}
