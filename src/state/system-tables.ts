/**
 * The system tables `sluice_late_events` and `sluice_dead_letters`: records are buffered and
 * appended in bulk before a pull query and at checkpoints.
 *
 * Their counts (metrics) cover the database's whole life, as the tables do: a reopen starts
 * from the stored counts, and the records a replay derives again (those after the last
 * checkpoint, which were never written) are counted again as they are written again.
 */
import type { DeadLetter } from '../connectors/source-reader.js';
import type { LateRecord } from '../exec/operator.js';
import { ColumnBuilder } from '../exec/batch.js';
import { quoteIdent, type Database } from './database.js';
import { logTableName } from '../catalog/table-names.js';
import type { SourceDef } from '../catalog/definitions.js';
import { CatalogStore } from './catalog-store.js';
import { CheckpointStore } from './checkpoint-store.js';
import { EventLog } from './event-log.js';
import { initMetadata } from './metadata.js';

/**
 * Creates, empty, every table of the engine's own that a pull query may read, with the event
 * log of each source of `sources` fed by the API as it is declared now: a scratch database
 * where DuckDB can check pull queries before a script runs. (Each view's tables come with it.)
 */
export async function createScratchSystemTables(db: Database, sources: readonly SourceDef[]): Promise<void> {
  await initMetadata(db);
  await new CatalogStore(db).create();
  await new CheckpointStore(db).create();
  await new SystemTables(db).create();
  for (const s of sources) {
    if (s.connector !== 'none') continue;
    // Made again: an ALTER since the last check may have added a column.
    await db.run(`DROP TABLE IF EXISTS ${quoteIdent(logTableName(s.name))}`);
    await new EventLog(db, s.name).create(s.columns);
  }
}

export class SystemTables {
  private late: (LateRecord & { view: string; at: number })[] = [];
  private dead: (DeadLetter & { at: number })[] = [];
  /** Dead letters of API inserts: not in any log, so written at once (replay cannot recreate them). */
  private inputDead: (DeadLetter & { at: number })[] = [];
  /** Totals of the tables, written or buffered (metrics). */
  lateCount = 0;
  deadCount = 0;
  /** When this process last recorded either (ms since the epoch): lets a caller skip asking the tables. */
  lastRecordedAt = -Infinity;

  constructor(private readonly db: Database) {}

  async create(): Promise<void> {
    await this.db.runAll([
      `CREATE TABLE IF NOT EXISTS sluice_late_events (source VARCHAR, "offset" BIGINT, event_time TIMESTAMP, watermark TIMESTAMP, "view" VARCHAR, "row" VARCHAR, recorded_at TIMESTAMP)`,
      `CREATE TABLE IF NOT EXISTS sluice_dead_letters (source VARCHAR, "offset" BIGINT, raw VARCHAR, reason VARCHAR, recorded_at TIMESTAMP)`,
    ]);
    await EventLog.createShared(this.db);
    const r = await this.db.query(`SELECT (SELECT count(*) FROM sluice_late_events), (SELECT count(*) FROM sluice_dead_letters)`);
    this.lateCount = r.rows[0]![0] as number;
    this.deadCount = r.rows[0]![1] as number;
  }

  recordLate(view: string, records: readonly LateRecord[]): void {
    const at = Date.now();
    for (const r of records) this.late.push({ ...r, view, at });
    this.lateCount += records.length;
    if (records.length > 0) this.lastRecordedAt = at;
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
    if (letters.length > 0) this.lastRecordedAt = at;
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
