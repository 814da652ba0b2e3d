/**
 * A materialized view's current contents, kept as a DuckDB table of the view's name so pull
 * queries can use any DuckDB SQL on it. Changes are written lazily (before a pull query and
 * at checkpoints), not on every batch, and cost what changed, not the view's size: an
 * append-only view appends its new rows (copied by DuckDB from the audit trail when both are
 * written together); otherwise the changes since the last write go, columnar, through the
 * appender into a temporary staging table, and DuckDB folds them into the table in one round
 * trip — a view with a unique key replaces the keys that changed by their last row, a
 * keyless changelog view adds and deletes copies of rows by their net count (changes that
 * retract nothing are appended as they are). No row is decoded in JS. The audit trail is
 * written separately ({@link flushAudit}), so a pull query that does not read it need not
 * wait for it.
 *
 * Beside it, `sluice_audit_<view>` is the view's audit trail: every change it ever emitted,
 * in order, with its kind, when it was made and the event that caused it (source and offset),
 * and `sluice_source_offsets_<view>` where the view stood in each source when it made them —
 * what `SELECT … FROM CHANGES(v)` reads. They are written in the same checkpoints, so after a
 * crash they hold each change exactly once.
 */
import { columnsOf, isRetraction, type ChangeBatch } from '../exec/batch.js';
import { ascending, float64Column, int32Column, utf8Column } from '../exec/vector/columns.js';
import { ColumnBuilder } from '../exec/batch.js';
import type { Schema } from '../types.js';
import { duckTypeName, type ChunkColumn } from './chunk-writer.js';
import { quoteIdent, type Database } from './database.js';
import { auditTableName, sourceOffsetsTableName } from '../catalog/table-names.js';
import { keyedDelta } from './keyed-delta.js';

/** The event a change derives from, or that triggered it. */
export interface ChangeCause {
  readonly source: string;
  readonly offset: number;
}

/**
 * The audit trail's cause columns of a batch: each row's own event where it has one, else
 * `cause`. Built as typed arrays: the rows name at most two sources, each encoded once.
 */
function causeColumns(batch: ChangeBatch, cause: ChangeCause | null): ChunkColumn[] {
  const n = batch.length;
  const own = batch.origin;
  const ownBytes = utf8.encode(own?.source ?? '');
  if (own !== null && allOwn(own.offsets, n)) return oneSource(ownBytes, own.offsets.slice(0, n), n);
  const causeBytes = utf8.encode(cause?.source ?? '');
  // No row has an event of its own (a join's or an aggregate's rows): all name the cause.
  if (own === null && cause !== null) return oneSource(causeBytes, new Float64Array(n).fill(cause.offset), n);
  const offsets = new Int32Array(n + 1);
  const at = new Float64Array(n);
  const valid = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  // Per row: 1 its own event, 2 the cause, 0 none (NULL).
  const from = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = own !== null ? own.offsets[i]! : -1;
    if (own !== null && o >= 0) {
      from[i] = 1;
      at[i] = o;
      offsets[i + 1] = offsets[i]! + ownBytes.length;
    } else if (cause !== null) {
      from[i] = 2;
      at[i] = cause.offset;
      offsets[i + 1] = offsets[i]! + causeBytes.length;
    } else {
      nulls++;
      offsets[i + 1] = offsets[i]!;
      continue;
    }
    valid[i >> 3]! |= 1 << (i & 7);
  }
  const bytes = new Uint8Array(offsets[n]!);
  for (let i = 0; i < n; i++) {
    if (from[i] === 0) continue;
    const src = from[i] === 1 ? ownBytes : causeBytes;
    for (let k = 0, p = offsets[i]!; k < src.length; k++) bytes[p + k] = src[k]!;
  }
  return [
    { type: 'VARCHAR', data: utf8Column(offsets, bytes, valid, nulls) },
    { type: 'BIGINT', data: float64Column(at, valid, nulls) },
  ];
}

/** Whether every row has an event of its own (a batch straight from a source's rows). */
function allOwn(offsets: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!(offsets[i]! >= 0)) return false;
  return true;
}

/** The cause columns of rows that all name an event of one source (at `events`): its name repeated, without a branch per row. */
function oneSource(name: Uint8Array, events: Float64Array, n: number): ChunkColumn[] {
  const len = name.length;
  const offsets = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) offsets[i] = i * len;
  const bytes = new Uint8Array(n * len);
  if (n > 0 && len > 0) {
    bytes.set(name);
    // Doubling copies: log2(n) native copies instead of a byte loop.
    for (let filled = len; filled < bytes.length; filled *= 2) bytes.copyWithin(filled, 0, Math.min(filled, bytes.length - filled));
  }
  return [
    { type: 'VARCHAR', data: utf8Column(offsets, bytes) },
    { type: 'BIGINT', data: float64Column(events) },
  ];
}

const utf8 = new TextEncoder();

/** Net rows from which an empty table is worth checking for (see emptyForMany). */
const MANY_ROWS = 1000;

/**
 * How a fold matches rows of `a` and `b` on `columns` (named `cols`): by `=` where no
 * row of `changes` is NULL in it (the same rows as IS NOT DISTINCT FROM, since a staged value
 * is never NULL), else by IS NOT DISTINCT FROM. On `=` DuckDB filters the table's scan by the
 * staged values' range, so a large view is not read whole to replace a few recent rows (a
 * DELETE of 300 keys from 2M rows: 14 -> 2 ms).
 */
function matchOn(a: string, b: string, cols: readonly string[], changes: readonly ChangeBatch[], columns: readonly number[]): string {
  return columns
    .map((j, i) => `${a}.${cols[i]} ${changes.some((x) => columnsOf(x)[j]!.nullCount > 0) ? 'IS NOT DISTINCT FROM' : '='} ${b}.${cols[i]}`)
    .join(' AND ');
}

/** The bytes of a batch's column buffers (a slice counts its whole buffers: an estimate from above). */
function batchBytes(b: ChangeBatch): number {
  let n = 0;
  for (const d of columnsOf(b)) n += (d.values?.byteLength ?? 0) + (d.valueOffsets?.byteLength ?? 0) + (d.nullBitmap?.byteLength ?? 0);
  return n;
}

export class ViewTable {
  private readonly table: string;
  private readonly audit: string;
  /** Changes not yet in the audit trail, as they were emitted, with the source offsets behind them. */
  private auditPending: { batch: ChangeBatch; at: number; offsets: ReadonlyMap<string, number>; cause: ChangeCause | null }[] = [];
  /** Changes not yet in the table. */
  private tablePending: ChangeBatch[] = [];
  /** The temporary table changes are staged in before they are folded into the table. */
  private readonly stage: string;
  private auditSeq = 0;
  /** Bytes of the batches applied since both pending lists were last empty (see pendingBytes). */
  private heldBytes = 0;
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
    this.stage = quoteIdent(`sluice_stage_${name}`);
  }

  private static readonly OFFSETS_DDL = 'first_seq BIGINT, source VARCHAR, "offset" BIGINT';

  // The cause columns come last: files written before them gain them by ALTER, in the same place.
  private auditDdl(): string {
    return `sluice_seq BIGINT, sluice_op INTEGER, sluice_changed_at TIMESTAMP, ${this.columnsDdl()}, ${ViewTable.CAUSE_DDL}`;
  }

  private static readonly CAUSE_DDL = 'sluice_source VARCHAR, sluice_offset BIGINT';

  /** Creates the table and its audit trail empty (a new view, or a rebuild). */
  async create(): Promise<void> {
    await this.db.run(`CREATE OR REPLACE TABLE ${this.table} (${this.columnsDdl()})`);
    await this.db.run(`CREATE OR REPLACE TABLE ${this.audit} (${this.auditDdl()})`);
    await this.db.run(`CREATE OR REPLACE TABLE ${this.offsetsTable} (${ViewTable.OFFSETS_DDL})`);
    await this.createStage();
    this.auditSeq = 0;
    this.lastOffsets = '';
  }

  /** Keeps the tables as a checkpoint left them (recovery), creating them if missing. */
  async ensure(): Promise<void> {
    await this.db.run(`CREATE TABLE IF NOT EXISTS ${this.table} (${this.columnsDdl()})`);
    await this.db.run(`CREATE TABLE IF NOT EXISTS ${this.audit} (${this.auditDdl()})`);
    await this.db.run(`ALTER TABLE ${this.audit} ADD COLUMN IF NOT EXISTS sluice_source VARCHAR`);
    await this.db.run(`ALTER TABLE ${this.audit} ADD COLUMN IF NOT EXISTS sluice_offset BIGINT`);
    await this.db.run(`CREATE TABLE IF NOT EXISTS ${this.offsetsTable} (${ViewTable.OFFSETS_DDL})`);
    await this.createStage();
    this.lastOffsets = '';
    const r = await this.db.query(`SELECT coalesce(max(sluice_seq) + 1, 0) FROM ${this.audit}`);
    this.auditSeq = r.rows[0]![0] as number;
  }

  /**
   * The staging table: temporary (of this connection, never in the file), made with the view
   * rather than inside a checkpoint's transaction, whose rollback would take it away again.
   */
  private async createStage(): Promise<void> {
    if (this.appendOnly) return;
    await this.db.run(`CREATE OR REPLACE TEMP TABLE ${this.stage} (sluice_seq BIGINT, sluice_op INTEGER, ${this.columnsDdl()})`);
  }

  private columnsDdl(): string {
    return this.schema.map((c) => `${quoteIdent(c.name)} ${duckTypeName(c.type)}`).join(', ');
  }

  async drop(): Promise<void> {
    await this.db.run(`DROP TABLE IF EXISTS ${this.table}`);
    await this.db.run(`DROP TABLE IF EXISTS ${this.audit}`);
    await this.db.run(`DROP TABLE IF EXISTS ${this.offsetsTable}`);
    await this.db.run(`DROP TABLE IF EXISTS temp.${this.stage}`);
    this.clearPending();
  }

  clearPending(): void {
    this.auditPending = [];
    this.tablePending = [];
    this.heldBytes = 0;
  }

  /**
   * Takes a batch of the view's changes, made once the view had taken its sources up to
   * `offsets`; `cause` names the event that triggered the rows that carry no origin of their own.
   */
  apply(b: ChangeBatch, offsets: ReadonlyMap<string, number> = new Map(), cause: ChangeCause | null = null): void {
    if (b.length === 0) return;
    if (this.auditPending.length === 0 && this.tablePending.length === 0) this.heldBytes = 0;
    this.auditPending.push({ batch: b, at: Date.now(), offsets, cause });
    this.tablePending.push(b);
    this.heldBytes += batchBytes(b);
  }

  /**
   * About how many bytes of changes wait for the table or the audit trail (their batches'
   * buffers): past view_flush_bytes of them, a checkpoint comes early (Checkpointer).
   */
  get pendingBytes(): number {
    return this.auditPending.length === 0 && this.tablePending.length === 0 ? 0 : this.heldBytes;
  }

  /** Changes not yet in the audit trail. */
  get auditBacklog(): number {
    let n = 0;
    for (const p of this.auditPending) n += p.batch.length;
    return n;
  }

  /** Appends the pending changes to the audit trail. */
  async flushAudit(): Promise<void> {
    if (this.auditPending.length === 0) return;
    const pending = this.auditPending;
    this.auditPending = [];
    const firstSeq: number[] = [];
    const sources: string[] = [];
    const positions: number[] = [];
    const parts = pending.map(({ batch, at, offsets, cause }) => {
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
      const seq = ascending(this.auditSeq, n);
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
        ...causeColumns(batch, cause),
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

  /** Writes pending changes to the audit trail and the table. Call inside a transaction when it must be atomic. */
  async flush(): Promise<void> {
    const from = this.appendOnly ? this.tableRowsInAudit() : null;
    await this.flushAudit();
    if (from === null) return this.flushTable();
    // An append-only view's new rows are the audit trail's last rows: DuckDB copies them
    // (a third of what the appender costs for them, and no second conversion in JS).
    this.tablePending = [];
    const cols = this.schema.map((c) => quoteIdent(c.name)).join(', ');
    await this.db.run(`INSERT INTO ${this.table} SELECT ${cols} FROM ${this.audit} WHERE sluice_seq >= ${from}`);
  }

  /**
   * The audit sequence number the pending table rows will start at once the pending audit
   * is written, or null when they are not its tail (nothing pending, or not the same batches).
   */
  private tableRowsInAudit(): number | null {
    const table = this.tablePending;
    const audit = this.auditPending;
    const skip = audit.length - table.length;
    if (table.length === 0 || skip < 0) return null;
    let seq = this.auditSeq;
    for (let i = 0; i < skip; i++) seq += audit[i]!.batch.length;
    for (let i = 0; i < table.length; i++) if (audit[skip + i]!.batch !== table[i]) return null;
    return seq;
  }

  /** Brings the table up to date with the changes so far (the audit trail may lag behind). */
  async flushTable(): Promise<void> {
    const pending = this.tablePending;
    if (pending.length === 0) return;
    this.tablePending = [];
    const values = (b: ChangeBatch): ChunkColumn[] => {
      const cols = columnsOf(b);
      return this.schema.map((c, j) => ({ type: c.type, data: cols[j]! }));
    };
    if (this.appendOnly) {
      await this.db.appendMany(this.name, pending.map((b) => ({ columns: values(b), n: b.length })));
      return;
    }
    const delta = this.uniqueKey !== null ? keyedDelta(this.table, this.schema, this.uniqueKey, pending) : null;
    if (delta !== null && delta.sql !== null) {
      await this.db.run(delta.sql);
      return;
    }
    if (delta !== null && (await this.emptyForMany(delta.size))) {
      // Nothing to replace (a view's first write): its surviving rows go straight in.
      await this.db.appendMany(this.name, delta.inserted().map((b) => ({ columns: values(b), n: b.length })));
      return;
    }
    // A keyless view whose changes retract nothing only gains rows (q8's window join): they
    // are appended as they are, without the fold's staging and four statements.
    if (this.uniqueKey === null && !pending.some(retracts)) {
      await this.db.appendMany(this.name, pending.map((b) => ({ columns: values(b), n: b.length })));
      return;
    }
    // The net delta (a row per touched key) folds as the raw changes would, for less.
    const changes = delta !== null ? delta.net() : pending;
    let seq = 0;
    const parts = changes.map((b) => {
      const n = b.length;
      const s = ascending(seq, n);
      seq += n;
      const op = new Int32Array(n);
      if (b.ops !== null) op.set(b.ops);
      const columns: ChunkColumn[] = [{ type: 'BIGINT', numbers: s }, { type: 'INT', data: int32Column(op) }, ...values(b)];
      return { columns, n };
    });
    await this.db.appendMany(`sluice_stage_${this.name}`, parts);
    const cols = this.schema.map((c) => quoteIdent(c.name));
    const fold = delta !== null ? this.foldNet(cols, changes) : this.uniqueKey !== null ? this.foldKeyed(this.stage, cols, changes) : this.foldMultiset(this.stage, cols, changes);
    // One round trip (each costs about as much as a small statement), over the changes only.
    await this.db.run([...fold, `DELETE FROM ${this.stage}`].join(';\n'));
  }

  /** Whether the table is empty, asked only before many (`n`) rows (a round trip costs a small write's time). */
  private async emptyForMany(n: number): Promise<boolean> {
    if (n < MANY_ROWS) return false;
    const r = await this.db.query(`SELECT NOT EXISTS (SELECT 1 FROM ${this.table})`);
    return r.rows[0]![0] === true;
  }

  /** Removes the table's rows whose key is among the staged rows' keys (every row, for a view keyed by nothing). */
  private deleteStagedKeys(fresh: string, cols: readonly string[], changes: readonly ChangeBatch[]): string {
    const key = this.uniqueKey!;
    if (key.length === 0) return `DELETE FROM ${this.table}`;
    const keys = key.map((k) => cols[k]!);
    return `DELETE FROM ${this.table} USING (SELECT DISTINCT ${keys.join(', ')} FROM ${fresh}) k WHERE ${matchOn(this.table, 'k', keys, changes, key)}`;
  }

  /** A keyed view's net delta (see keyedDelta): the staged keys are replaced by their +I rows. */
  private foldNet(cols: readonly string[], net: readonly ChangeBatch[]): string[] {
    return [
      this.deleteStagedKeys(this.stage, cols, net),
      `INSERT INTO ${this.table} SELECT ${cols.join(', ')} FROM ${this.stage} WHERE sluice_op = 0 ORDER BY sluice_seq`,
    ];
  }

  /**
   * A keyed view: every key the new changes touch is replaced by its last inserted row, unless
   * a later change retracts that very row (the key then has no row). A retraction of another
   * row (an older version) does not undo the newer one.
   */
  private foldKeyed(fresh: string, cols: readonly string[], changes: readonly ChangeBatch[]): string[] {
    const keys = this.uniqueKey!.map((k) => cols[k]!);
    const same = (a: string, b: string, on: readonly string[]) => on.map((c) => `${a}.${c} IS NOT DISTINCT FROM ${b}.${c}`).join(' AND ');
    const partition = keys.length > 0 ? `PARTITION BY ${keys.join(', ')}` : '';
    return [
      this.deleteStagedKeys(fresh, cols, changes),
      `INSERT INTO ${this.table} SELECT ${cols.map((c) => `i.${c}`).join(', ')}
       FROM (SELECT * FROM ${fresh} c WHERE sluice_op IN (0, 2) QUALIFY row_number() OVER (${partition} ORDER BY sluice_seq DESC) = 1) i
       WHERE NOT EXISTS (SELECT 1 FROM ${fresh} r WHERE r.sluice_op IN (1, 3) AND r.sluice_seq > i.sluice_seq AND ${same('r', 'i', cols)})
       ORDER BY i.sluice_seq`,
    ];
  }

  /** A keyless changelog view: each distinct row gains or loses copies by its net count. */
  private foldMultiset(fresh: string, cols: readonly string[], changes: readonly ChangeBatch[]): string[] {
    const list = cols.join(', ');
    const tmp = quoteIdent(`sluice_fold_${this.name}`);
    const same = matchOn('v', 'n', cols, changes, cols.map((_, j) => j));
    return [
      `CREATE OR REPLACE TEMP TABLE ${tmp} AS
       SELECT ${list}, sum(CASE WHEN sluice_op IN (0, 2) THEN 1 ELSE -1 END)::BIGINT AS sluice_net, min(sluice_seq) AS sluice_first
       FROM ${fresh} GROUP BY ${list} HAVING sluice_net <> 0`,
      `DELETE FROM ${this.table} WHERE rowid IN (
         SELECT id FROM (
           SELECT v.rowid AS id, n.sluice_net AS net, row_number() OVER (PARTITION BY n.sluice_first ORDER BY v.rowid) AS copy
           FROM ${this.table} v JOIN ${tmp} n ON ${same} WHERE n.sluice_net < 0)
         WHERE copy <= -net)`,
      `INSERT INTO ${this.table} SELECT ${list} FROM (SELECT *, unnest(range(sluice_net)) FROM ${tmp} WHERE sluice_net > 0) ORDER BY sluice_first`,
      `DROP TABLE IF EXISTS ${tmp}`,
    ];
  }
}

/** Whether a batch holds a retraction (-U or -D). */
function retracts(b: ChangeBatch): boolean {
  const ops = b.ops;
  if (ops === null) return false;
  for (let i = 0; i < b.length; i++) if (isRetraction(ops[i]!)) return true;
  return false;
}
