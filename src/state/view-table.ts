/**
 * A materialized view's current contents, kept as a DuckDB table of the view's name so pull
 * queries can use any DuckDB SQL on it. Changes are folded in memory and written lazily
 * (before a pull query and at checkpoints), not on every batch: an append-only view only
 * appends; a view with a unique key upserts the keys that changed; a keyless changelog view
 * adds and deletes individual copies of rows.
 *
 * Beside it, `sluice_audit_<view>` is the view's audit trail: every change it ever emitted,
 * in order, with its kind and when it was made, and `sluice_source_offsets_<view>` where the
 * view stood in each source when it made them — what `SELECT … FROM CHANGES(v)` reads. They
 * are written in the same checkpoints, so after a crash they hold each change exactly once.
 */
import { columnsOf, isRetraction, readValue, type ChangeBatch } from '../exec/batch.js';
import { int32Column } from '../exec/vector/columns.js';
import { ColumnBuilder } from '../exec/batch.js';
import type { Schema, Value } from '../types.js';
import { duckTypeName, type ChunkColumn } from './chunk-writer.js';
import { quoteIdent, toDuckParam, type Database } from './database.js';
import { auditTableName, sourceOffsetsTableName } from '../catalog/table-names.js';

export class ViewTable {
  /** Append-only views: the batches to append, as they came (no decoding). */
  private appended: ChangeBatch[] = [];
  /** Keyed views: the latest row of each changed key (null: deleted). */
  private upserts = new Map<string, { key: Value[]; row: Value[] | null }>();
  /** Keyless changelog views: net change in copies of each row. */
  private deltas = new Map<string, { row: Value[]; delta: number }>();
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
    this.appended = [];
    this.upserts.clear();
    this.deltas.clear();
  }

  get pending(): boolean {
    return this.appended.length > 0 || this.upserts.size > 0 || this.deltas.size > 0;
  }

  /** Folds a batch of the view's changes, made once the view had taken its sources up to `offsets`. */
  apply(b: ChangeBatch, offsets: ReadonlyMap<string, number> = new Map()): void {
    if (b.length === 0) return;
    this.auditPending.push({ batch: b, at: Date.now(), offsets });
    if (this.appendOnly) {
      this.appended.push(b);
      return;
    }
    const cols = columnsOf(b);
    for (let i = 0; i < b.length; i++) {
      const row = this.schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const retract = b.ops !== null && isRetraction(b.ops[i]!);
      if (this.uniqueKey !== null) {
        const key = this.uniqueKey.map((k) => row[k]!);
        const ks = JSON.stringify(key);
        if (retract) {
          // A retraction followed by the new row in the same flush keeps only the new row.
          const cur = this.upserts.get(ks);
          if (!cur || cur.row === null || JSON.stringify(cur.row) === JSON.stringify(row)) this.upserts.set(ks, { key, row: null });
        } else this.upserts.set(ks, { key, row });
      } else {
        const rs = JSON.stringify(row);
        const cur = this.deltas.get(rs) ?? { row, delta: 0 };
        cur.delta += retract ? -1 : 1;
        this.deltas.set(rs, cur);
      }
    }
  }

  private columnsOfRows(rows: readonly Value[][]): ChunkColumn[] {
    return this.schema.map((c, j) => {
      const b = new ColumnBuilder(c.type, rows.length);
      for (const r of rows) b.append(r[j]!);
      return { type: c.type, data: b.finish() };
    });
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
    const firstSeq = this.auditSeq;
    await this.flushAudit();
    // An append-only view's new rows are the audit rows just written: DuckDB copies them
    // (in order, in the same transaction) instead of a second append from JS.
    if (this.appended.length > 0) {
      this.appended = [];
      const cols = this.schema.map((c) => quoteIdent(c.name)).join(', ');
      await this.db.run(`INSERT INTO ${this.table} SELECT ${cols} FROM ${this.audit} WHERE sluice_seq >= ${firstSeq}`);
    }
    if (this.upserts.size > 0) {
      const changed = [...this.upserts.values()];
      this.upserts.clear();
      const key = this.uniqueKey!;
      const keyCols = key.map((k) => this.schema[k]!);
      if (keyCols.length > 0) {
        const tmpName = `sluice_keys_${this.name}`;
        const tmp = quoteIdent(tmpName);
        await this.db.run(
          `CREATE OR REPLACE TEMP TABLE ${tmp} (${keyCols.map((c) => `${quoteIdent(c.name)} ${duckTypeName(c.type)}`).join(', ')})`,
        );
        const keyRows = changed.map((c) => c.key);
        const kb = keyCols.map((c, j) => {
          const b = new ColumnBuilder(c.type, keyRows.length);
          for (const r of keyRows) b.append(r[j]!);
          return { type: c.type, data: b.finish() };
        });
        await this.db.append(tmpName, kb, keyRows.length);
        const match = keyCols.map((c) => `${this.table}.${quoteIdent(c.name)} IS NOT DISTINCT FROM k.${quoteIdent(c.name)}`).join(' AND ');
        await this.db.run(`DELETE FROM ${this.table} USING ${tmp} k WHERE ${match}`);
        await this.db.run(`DROP TABLE IF EXISTS ${tmp}`);
      } else {
        // A global aggregate: its one row is replaced.
        await this.db.run(`DELETE FROM ${this.table}`);
      }
      const live = changed.filter((c) => c.row !== null).map((c) => c.row!);
      await this.db.append(this.name, this.columnsOfRows(live), live.length);
    }
    if (this.deltas.size > 0) {
      const changed = [...this.deltas.values()].filter((d) => d.delta !== 0);
      this.deltas.clear();
      const adds: Value[][] = [];
      for (const d of changed) {
        if (d.delta > 0) for (let k = 0; k < d.delta; k++) adds.push(d.row);
        else {
          const where = this.schema
            .map((c, j) => `${quoteIdent(c.name)} IS NOT DISTINCT FROM $${j + 1}`)
            .join(' AND ');
          await this.db.run(
            `DELETE FROM ${this.table} WHERE rowid IN (SELECT rowid FROM ${this.table} WHERE ${where} LIMIT ${-d.delta})`,
            d.row.map((v, j) => toDuckParam(v, this.schema[j]!.type)) as never,
          );
        }
      }
      await this.db.append(this.name, this.columnsOfRows(adds), adds.length);
    }
  }
}
