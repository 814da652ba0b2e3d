/**
 * A materialized view's current contents, kept as a DuckDB table of the view's name so pull
 * queries can use any DuckDB SQL on it. Changes are written lazily (before a pull query and
 * at checkpoints), not on every batch: first to the audit trail, columnar, through the
 * appender; then DuckDB folds the new audit rows into the table — an append-only view copies
 * them, a view with a unique key replaces the keys that changed by their last row, a keyless
 * changelog view adds and deletes copies of rows by their net count. No row is decoded in JS.
 *
 * Beside it, `sluice_audit_<view>` is the view's audit trail: every change it ever emitted,
 * in order, with its kind and when it was made, and `sluice_source_offsets_<view>` where the
 * view stood in each source when it made them — what `SELECT … FROM CHANGES(v)` reads. They
 * are written in the same checkpoints, so after a crash they hold each change exactly once.
 */
import { columnsOf, type ChangeBatch } from '../exec/batch.js';
import { int32Column } from '../exec/vector/columns.js';
import { ColumnBuilder } from '../exec/batch.js';
import type { Schema } from '../types.js';
import { duckTypeName, type ChunkColumn } from './chunk-writer.js';
import { quoteIdent, type Database } from './database.js';
import { auditTableName, sourceOffsetsTableName } from '../catalog/table-names.js';

export class ViewTable {
  private readonly table: string;
  private readonly audit: string;
  /** Changes not yet in the audit trail, as they were emitted, with the source offsets behind them. */
  private auditPending: { batch: ChangeBatch; at: number; offsets: ReadonlyMap<string, number> }[] = [];
  private auditSeq = 0;
  private readonly offsetsTable: string;
  /** The source offsets last written (a change whose offsets are the same adds no row). */
  private lastOffsets = '';

  constructor(
    private readonly db: Database,
    readonly name: string,
    readonly schema: Schema,
    private readonly appendOnly: boolean,
    private readonly uniqueKey: readonly number[] | null,
  ) {
    this.table = quoteIdent(name);
    this.audit = quoteIdent(auditTableName(name));
    this.offsetsTable = quoteIdent(sourceOffsetsTableName(name));
  }

  private static readonly OFFSETS_DDL = 'first_seq BIGINT, source VARCHAR, "offset" BIGINT';

  private auditDdl(): string {
    return `sluice_seq BIGINT, sluice_op INTEGER, sluice_changed_at TIMESTAMP, ${this.columnsDdl()}`;
  }

  /** Creates the table and its audit trail empty (a new view, or a rebuild). */
  async create(): Promise<void> {
    await this.db.run(`CREATE OR REPLACE TABLE ${this.table} (${this.columnsDdl()})`);
    await this.db.run(`CREATE OR REPLACE TABLE ${this.audit} (${this.auditDdl()})`);
    await this.db.run(`CREATE OR REPLACE TABLE ${this.offsetsTable} (${ViewTable.OFFSETS_DDL})`);
    this.auditSeq = 0;
    this.lastOffsets = '';
  }

  /** Keeps the tables as a checkpoint left them (recovery), creating them if missing. */
  async ensure(): Promise<void> {
    await this.db.run(`CREATE TABLE IF NOT EXISTS ${this.table} (${this.columnsDdl()})`);
    await this.db.run(`CREATE TABLE IF NOT EXISTS ${this.audit} (${this.auditDdl()})`);
    await this.db.run(`CREATE TABLE IF NOT EXISTS ${this.offsetsTable} (${ViewTable.OFFSETS_DDL})`);
    this.lastOffsets = '';
    const r = await this.db.query(`SELECT coalesce(max(sluice_seq) + 1, 0) FROM ${this.audit}`);
    this.auditSeq = r.rows[0]![0] as number;
  }

  private columnsDdl(): string {
    return this.schema.map((c) => `${quoteIdent(c.name)} ${duckTypeName(c.type)}`).join(', ');
  }

  async drop(): Promise<void> {
    await this.db.run(`DROP TABLE IF EXISTS ${this.table}`);
    await this.db.run(`DROP TABLE IF EXISTS ${this.audit}`);
    await this.db.run(`DROP TABLE IF EXISTS ${this.offsetsTable}`);
    this.clearPending();
  }

  clearPending(): void {
    this.auditPending = [];
  }

  /** Takes a batch of the view's changes, made once the view had taken its sources up to `offsets`. */
  apply(b: ChangeBatch, offsets: ReadonlyMap<string, number> = new Map()): void {
    if (b.length > 0) this.auditPending.push({ batch: b, at: Date.now(), offsets });
  }

  /** Appends the pending changes to the audit trail. */
  private async flushAudit(): Promise<void> {
    const pending = this.auditPending;
    this.auditPending = [];
    const firstSeq: number[] = [];
    const sources: string[] = [];
    const positions: number[] = [];
    const parts = pending.map(({ batch, at, offsets }) => {
      const n = batch.length;
      const text = JSON.stringify([...offsets].sort());
      if (offsets.size > 0 && text !== this.lastOffsets) {
        this.lastOffsets = text;
        for (const [source, offset] of offsets) {
          firstSeq.push(this.auditSeq);
          sources.push(source);
          positions.push(offset);
        }
      }
      const seq = new Float64Array(n);
      for (let i = 0; i < n; i++) seq[i] = this.auditSeq + i;
      this.auditSeq += n;
      // The kind as its code (0 +I, 1 -U, 2 +U, 3 -D): a number is written without a call per row.
      const op = new Int32Array(n);
      if (batch.ops !== null) op.set(batch.ops);
      const cols = columnsOf(batch);
      const columns: ChunkColumn[] = [
        { type: 'BIGINT', numbers: seq },
        { type: 'INT', data: int32Column(op) },
        { type: 'TIMESTAMP', numbers: new Float64Array(n).fill(at) },
        ...this.schema.map((c, j) => ({ type: c.type, data: cols[j]! })),
      ];
      return { columns, n };
    });
    await this.db.appendMany(auditTableName(this.name), parts);
    if (firstSeq.length > 0) {
      const src = new ColumnBuilder('VARCHAR', sources.length);
      for (const x of sources) src.append(x);
      await this.db.append(
        sourceOffsetsTableName(this.name),
        [
          { type: 'BIGINT', numbers: Float64Array.from(firstSeq) },
          { type: 'VARCHAR', data: src.finish() },
          { type: 'BIGINT', numbers: Float64Array.from(positions) },
        ],
        firstSeq.length,
      );
    }
  }

  /** Writes pending changes to the table. Call inside a transaction when it must be atomic. */
  async flush(): Promise<void> {
    if (this.auditPending.length === 0) return;
    const first = this.auditSeq;
    await this.flushAudit();
    const cols = this.schema.map((c) => quoteIdent(c.name));
    const list = cols.join(', ');
    const fresh = `(SELECT * FROM ${this.audit} WHERE sluice_seq >= ${first})`;
    if (this.appendOnly) {
      await this.db.run(`INSERT INTO ${this.table} SELECT ${list} FROM ${fresh}`);
    } else if (this.uniqueKey !== null) {
      await this.foldKeyed(fresh, cols);
    } else {
      await this.foldMultiset(fresh, cols);
    }
  }

  /**
   * A keyed view: every key the new changes touch is replaced by its last inserted row, unless
   * a later change retracts that very row (the key then has no row). A retraction of another
   * row (an older version) does not undo the newer one.
   */
  private async foldKeyed(fresh: string, cols: readonly string[]): Promise<void> {
    const keys = this.uniqueKey!.map((k) => cols[k]!);
    const same = (a: string, b: string, on: readonly string[]) => on.map((c) => `${a}.${c} IS NOT DISTINCT FROM ${b}.${c}`).join(' AND ');
    const partition = keys.length > 0 ? `PARTITION BY ${keys.join(', ')}` : '';
    const tmp = quoteIdent(`sluice_fold_${this.name}`);
    await this.db.run(
      `CREATE OR REPLACE TEMP TABLE ${tmp} AS SELECT * FROM ${fresh} c WHERE sluice_op IN (0, 2)
       QUALIFY row_number() OVER (${partition} ORDER BY sluice_seq DESC) = 1`,
    );
    if (keys.length === 0) await this.db.run(`DELETE FROM ${this.table}`);
    else await this.db.run(`DELETE FROM ${this.table} USING (SELECT DISTINCT ${keys.join(', ')} FROM ${fresh}) k WHERE ${same(this.table, 'k', keys)}`);
    await this.db.run(
      `INSERT INTO ${this.table} SELECT ${cols.map((c) => `i.${c}`).join(', ')} FROM ${tmp} i
       WHERE NOT EXISTS (SELECT 1 FROM ${fresh} r WHERE r.sluice_op IN (1, 3) AND r.sluice_seq > i.sluice_seq AND ${same('r', 'i', cols)})
       ORDER BY i.sluice_seq`,
    );
    await this.db.run(`DROP TABLE IF EXISTS ${tmp}`);
  }

  /** A keyless changelog view: each distinct row gains or loses copies by its net count. */
  private async foldMultiset(fresh: string, cols: readonly string[]): Promise<void> {
    const list = cols.join(', ');
    const tmp = quoteIdent(`sluice_fold_${this.name}`);
    await this.db.run(
      `CREATE OR REPLACE TEMP TABLE ${tmp} AS
       SELECT ${list}, sum(CASE WHEN sluice_op IN (0, 2) THEN 1 ELSE -1 END)::BIGINT AS sluice_net, min(sluice_seq) AS sluice_first
       FROM ${fresh} GROUP BY ${list} HAVING sluice_net <> 0`,
    );
    const same = cols.map((c) => `v.${c} IS NOT DISTINCT FROM n.${c}`).join(' AND ');
    await this.db.run(
      `DELETE FROM ${this.table} WHERE rowid IN (
         SELECT id FROM (
           SELECT v.rowid AS id, n.sluice_net AS net, row_number() OVER (PARTITION BY n.sluice_first ORDER BY v.rowid) AS copy
           FROM ${this.table} v JOIN ${tmp} n ON ${same} WHERE n.sluice_net < 0)
         WHERE copy <= -net)`,
    );
    await this.db.run(
      `INSERT INTO ${this.table} SELECT ${list} FROM (SELECT *, unnest(range(sluice_net)) FROM ${tmp} WHERE sluice_net > 0) ORDER BY sluice_first`,
    );
    await this.db.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
}
