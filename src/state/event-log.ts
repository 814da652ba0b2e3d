/**
 * The event log of a source fed by INSERT or the API: an append-only DuckDB table
 * `sluice_log_<source>` with each event's offset, ingest time and schema version beside its
 * columns. It is never updated; views are derived by replaying it.
 *
 * A keyed source (SPEC 2.7) also logs each event's stream version, the count of its key's
 * events up to it. The versions are derived from the log on open rather than kept in a table
 * of their own: the log is the only thing an append writes, so no crash can part the two.
 */
import type { RecordBatch } from 'apache-arrow';
import type { SourceColumn } from '../catalog/definitions.js';
import type { SchemaChange } from '../catalog/schema-change.js';
import { SluiceError } from '../errors.js';
import { archivedLogViewName, logTableName } from '../catalog/table-names.js';
import type { Data } from 'apache-arrow';
import { arrowSchema, columnsOf, makeRecordBatch, readValue } from '../exec/batch.js';
import { concatColumns } from '../exec/vector/concat.js';
import { ascending, int32Column } from '../exec/vector/columns.js';
import type { Schema, Value } from '../types.js';
import { duckTypeName, type ChunkColumn, type ChunkPart } from './chunk-writer.js';
import { quoteIdent, quoteString, type Database } from './database.js';
import { LogArchive } from './log-archive.js';
import { RowInsert } from './row-insert.js';

/** Databases whose shared log tables exist (made once at open: a source need not ask again). */
const sharedMade = new WeakSet<Database>();

export class EventLog {
  /**
   * The offset the next event gets. Offsets are the source's positions in what the API was
   * given: a row set aside as a dead letter takes one too ({@link reserve}), which the log
   * skips, so a dead letter's offset never names a logged event.
   */
  next = 0;
  private readonly table: string;
  /** Each stream's version (its key's event count), by {@link streamId}. */
  private readonly versions = new Map<string, number>();
  /** Where the key is among the source's columns (-1: not keyed). */
  private keyIndex = -1;

  /** The key column's index among the source's columns (-1: a source without a key). */
  get keyColumn(): number {
    return this.keyIndex;
  }
  /** Batches staged for the next group write, and their partition runs (SQL value lists). */
  private staged: ChunkPart[] = [];
  private stagedRuns: string[] = [];
  /** Where offsets and versions stood before the group being staged (null: none is). */
  private undo: { next: number; versions: Map<string, number | undefined> } | null = null;
  /** Events moved out to Parquet by `retention` (file databases only; see log-archive.ts). */
  readonly archive: LogArchive | null;
  /**
   * In memory (nothing to make durable), committed batches wait here until a reader needs
   * the table ({@link settle}) or enough pile up: a DuckDB round trip costs more than a
   * small insert's whole path, and the events are live in the views already.
   */
  private unwritten: ChunkPart[] = [];
  private unwrittenRuns: string[] = [];
  private unwrittenRows = 0;
  /** The prepared INSERT that writes a lone event (see row-insert.ts), for the columns' types it was made for. */
  private rowInsert: { types: string; insert: RowInsert | null } | null = null;

  constructor(
    private readonly db: Database,
    readonly source: string,
    /** The column whose values name the source's streams (null: the source has none). */
    readonly key: SourceColumn | null = null,
  ) {
    this.table = quoteIdent(logTableName(source));
    this.archive = db.path ? new LogArchive(db, db.path, source) : null;
  }

  /** The whole log (archive and table) as a SQL relation; with a range, only the archive files it needs. */
  relation(from?: number, to?: number): string {
    return this.archive ? this.archive.relation(this.table, from, to) : this.table;
  }

  /** Moves the events matching `where` (SQL over the log's columns) into the archive; how many moved. */
  async archiveWhere(where: string): Promise<number> {
    const n = this.archive ? await this.archive.move(this.table, where) : 0;
    if (n > 0) await this.refreshView();
    return n;
  }

  /** A checkpoint that archived events rolled back: the registry is read again. */
  async reloadArchive(): Promise<void> {
    if (!this.archive) return;
    await this.archive.reload();
    await this.refreshView();
  }

  /**
   * The view pull queries read for the log table (pull-query.ts): temporary, so that it names
   * the archive files of this run. A missing file fails when it is read, not here.
   */
  private async refreshView(): Promise<void> {
    const view = `CREATE OR REPLACE TEMP VIEW ${quoteIdent(archivedLogViewName(this.source))} AS SELECT * FROM`;
    try {
      await this.db.run(`${view} ${this.relation()}`);
    } catch (e) {
      // A missing or unreadable archive file: the engine still opens, reading the log fails naming it.
      const err = this.archive ? this.archive.explain(e) : e;
      if (!(err instanceof SluiceError) || err.code !== 'STATE') throw e;
      // In a filter, so that no projection pruning skips it.
      await this.db.run(`${view} ${this.table} UNION ALL BY NAME SELECT NULL AS sluice_error FROM range(1) WHERE error(${quoteString(err.message)}) IS NOT NULL`);
    }
  }

  async create(columns: readonly SourceColumn[]): Promise<void> {
    const cols = columns.map((c) => `${quoteIdent(c.name)} ${duckTypeName(c.type)}`).join(', ');
    const stream = this.key ? ', sluice_stream_version BIGINT' : '';
    await this.db.run(
      `CREATE TABLE IF NOT EXISTS ${this.table} (sluice_offset BIGINT, sluice_ingest_time TIMESTAMP, sluice_version INTEGER${stream}, ${cols})`,
    );
    await EventLog.createShared(this.db);
    await this.archive?.load();
    if (this.key) await this.loadVersions(columns);
    // Offsets reserved for the last dead letters lie past the last logged event: they stay taken.
    const r = await this.db.query(
      `SELECT greatest(${(this.archive?.lastOffset ?? -1) + 1}, (SELECT coalesce(max(sluice_offset) + 1, 0) FROM ${this.table}),
        (SELECT coalesce(max("offset") + 1, 0) FROM sluice_dead_letters WHERE source = ${quoteString(this.source)}))`,
    );
    this.next = r.rows[0]![0] as number;
    await this.refreshView();
  }

  /** The table all logs share, made with the database so that it can be read before any log exists. */
  static async createShared(db: Database): Promise<void> {
    if (sharedMade.has(db)) return;
    await db.runAll([
      `CREATE TABLE IF NOT EXISTS sluice_log_partitions (source VARCHAR, first_offset BIGINT, last_offset BIGINT, partition VARCHAR)`,
      ...LogArchive.sharedDdl,
    ]);
    sharedMade.add(db);
  }

  /**
   * Reads every stream's version from the log, and indexes the key so that reading one
   * stream (`WHERE key = ? ORDER BY sluice_offset`) does not scan the whole log.
   */
  private async loadVersions(columns: readonly SourceColumn[]): Promise<void> {
    const key = this.key!;
    this.keyIndex = columns.findIndex((c) => c.name === key.name);
    await this.db.run(`CREATE INDEX IF NOT EXISTS ${this.indexName} ON ${this.table} (${quoteIdent(key.name)})`);
    this.versions.clear();
    const sql = `SELECT ${quoteIdent(key.name)}, count(*) FROM ${this.relation()} WHERE ${quoteIdent(key.name)} IS NOT NULL GROUP BY 1`;
    for await (const chunk of this.db.readColumns(sql, [key.type, 'BIGINT'])) {
      const [keys, counts] = chunk.columns;
      for (let i = 0; i < chunk.length; i++) this.versions.set(streamId(readValue(keys!, i, key.type)), Number(readValue(counts!, i, 'BIGINT')));
    }
  }

  /** Indexes share DuckDB's namespace with tables: under a prefix no table has, no index name can be some source's log table. */
  private get indexName(): string {
    return quoteIdent(`sluice_stream_index_${this.source}`);
  }

  /** The version of the stream of key value `value` (0: no event yet). */
  streamVersion(value: Value): number {
    return this.versions.get(streamId(value)) ?? 0;
  }

  /**
   * The key values of the batches' rows, each once, in order of appearance. A keyed source
   * takes no event without a key: a stream needs a name.
   */
  streamKeys(batches: readonly RecordBatch[]): Value[] {
    const key = this.key!;
    const seen = new Map<string, Value>();
    for (const b of batches) {
      const col = columnsOf(b)[this.keyIndex]!;
      for (let i = 0; i < b.numRows; i++) {
        const v = readValue(col, i, key.type);
        if (v === null) throw this.nullKey();
        const id = streamId(v);
        if (!seen.has(id)) seen.set(id, v);
      }
    }
    return [...seen.values()];
  }

  /** Takes the next `n` offsets without logging anything (for rows set aside as dead letters). */
  reserve(n: number): number {
    this.mark();
    const first = this.next;
    this.next += n;
    return first;
  }

  async addColumn(c: SourceColumn): Promise<void> {
    // Events stored before the column existed stay NULL here and read as its DEFAULT (see read).
    await this.alterTable(() => this.db.run(`ALTER TABLE ${this.table} ADD COLUMN ${quoteIdent(c.name)} ${duckTypeName(c.type)}`));
    await this.refreshView();
  }

  /**
   * Runs ALTERs on the log table. DuckDB alters no table an index depends on, and dropping a
   * keyed source's index in the transaction that then alters the table crashes DuckDB 1.5
   * once the file has been reopened ("pure virtual method called"): that table is copied
   * without its index instead, altered, and indexed again (a cost that follows the log's size).
   */
  private async alterTable(alter: () => Promise<void>): Promise<void> {
    // Waiting events have the old columns.
    await this.settle();
    this.forgetRowInsert();
    if (!this.key) return alter();
    const copy = quoteIdent(`${logTableName(this.source)}_altering`);
    await this.db.run(`CREATE TABLE ${copy} AS SELECT * FROM ${this.table} ORDER BY sluice_offset`);
    await this.db.run(`DROP TABLE ${this.table}`);
    await this.db.run(`ALTER TABLE ${copy} RENAME TO ${this.table}`);
    try {
      await alter();
    } finally {
      await this.db.run(`CREATE INDEX IF NOT EXISTS ${this.indexName} ON ${this.table} (${quoteIdent(this.key.name)})`);
    }
  }

  /**
   * Renames, drops or widens a column of the log (ALTER SOURCE). A dropped column's values
   * move to `sluice_dropped_<source>_<column>_v<version>` (sluice_offset, the column): the log
   * loses nothing, and its layout stays the source's columns, as appends write them.
   */
  async changeColumn(change: SchemaChange): Promise<void> {
    const column = quoteIdent(change.column);
    await this.alterTable(() => this.alterColumn(change, column));
    await this.refreshView();
  }

  private async alterColumn(change: SchemaChange, column: string): Promise<void> {
    switch (change.kind) {
      case 'rename':
        await this.archive?.recordChange(change);
        await this.db.run(`ALTER TABLE ${this.table} RENAME COLUMN ${column} TO ${quoteIdent(change.to)}`);
        break;
      case 'drop': {
        const kept = quoteIdent(`sluice_dropped_${this.source}_${change.column}_v${change.version}`);
        await this.db.run(`CREATE TABLE ${kept} AS SELECT sluice_offset, ${column} FROM ${this.table} ORDER BY sluice_offset`);
        await this.db.run(`ALTER TABLE ${this.table} DROP COLUMN ${column}`);
        await this.archive?.recordChange(change);
        break;
      }
      case 'type':
        await this.db.run(`ALTER TABLE ${this.table} ALTER COLUMN ${column} TYPE ${duckTypeName(change.to)}`);
        break;
    }
  }

  async drop(): Promise<void> {
    this.forgetRowInsert();
    this.unwritten = [];
    this.unwrittenRuns = [];
    this.unwrittenRows = 0;
    await this.db.run(`DROP VIEW IF EXISTS temp.${quoteIdent(archivedLogViewName(this.source))}`);
    await this.db.run(`DROP TABLE IF EXISTS ${this.table}`);
    await this.archive?.drop();
    await this.db.run(`DELETE FROM sluice_log_partitions WHERE source = ${quoteString(this.source)}`);
  }

  /** Appends one batch at once (stage, write, keep): see {@link stage} for a group of them. */
  async append(batch: RecordBatch, schema: Schema, version: number, partition = ''): Promise<Float64Array> {
    const offsets = this.stage(batch, schema, version, partition);
    try {
      await this.writeStaged();
    } catch (e) {
      this.abortStaged();
      throw e;
    }
    this.commitStaged();
    return offsets;
  }

  /**
   * Group commit: takes a batch (all source columns) of one partition into the next write and
   * returns the offsets it is given. Offsets and stream versions move on at once, so the next
   * staged append (and its expected-version check) sees them; {@link writeStaged} writes every
   * staged batch through one appender, and {@link abortStaged} takes them all back when the
   * write or its transaction fails. Events of a named partition are noted as a run of offsets
   * beside the log (most sources have one partition, and pay nothing for it).
   */
  stage(batch: RecordBatch, schema: Schema, version: number, partition = ''): Float64Array {
    return this.stageRows(batch, schema, version, partition).offsets;
  }

  /** As {@link stage}, with each row's stream version (null for a source without a key). */
  stageRows(batch: RecordBatch, schema: Schema, version: number, partition = ''): { offsets: Float64Array; versions: Float64Array | null } {
    const n = batch.numRows;
    const stream = this.key ? this.nextStreamVersions(batch) : null;
    this.mark();
    const offsets = ascending(this.next, n);
    const cols = columnsOf(batch);
    this.staged.push({
      columns: [
        { type: 'BIGINT', numbers: offsets },
        { type: 'TIMESTAMP', numbers: new Float64Array(n).fill(Date.now()) },
        { type: 'INT', data: int32Column(new Int32Array(n).fill(version)) },
        ...(stream ? [{ type: 'BIGINT' as const, numbers: stream.versions }] : []),
        ...schema.map((c, j) => ({ type: c.type, data: cols[j]! })),
      ],
      n,
    });
    if (stream) {
      for (const [id, v] of stream.after) {
        if (!this.undo!.versions.has(id)) this.undo!.versions.set(id, this.versions.get(id));
        this.versions.set(id, v);
      }
    }
    if (partition !== '') this.stagedRuns.push(`(${quoteString(this.source)}, ${this.next}, ${this.next + n - 1}, ${quoteString(partition)})`);
    this.next += n;
    return { offsets, versions: stream?.versions ?? null };
  }

  /** Whether committed batches wait in memory rather than being written at once (see {@link unwritten}). */
  get lazy(): boolean {
    return this.db.path === null;
  }

  /** How many statements {@link writeStaged} will run (more than one needs a transaction to be atomic). */
  stagedWrites(): number {
    if (this.lazy) return 0;
    return (this.staged.length > 0 ? 1 : 0) + (this.stagedRuns.length > 0 ? 1 : 0);
  }

  /** Writes the staged batches (inside the caller's transaction when it must be atomic with more); in memory see {@link unwritten}. */
  async writeStaged(): Promise<void> {
    if (this.lazy) return;
    await this.write(this.staged, this.stagedRuns);
    this.staged = [];
    this.stagedRuns = [];
  }

  private async write(parts: readonly ChunkPart[], runs: readonly string[]): Promise<void> {
    // A lone event (an awaited insert of one row) goes through a prepared INSERT, else an appender.
    const lone = parts.length === 1 && parts[0]!.n === 1 && (await this.insertOne(parts[0]!));
    if (!lone && parts.length > 0) await this.db.appendMany(logTableName(this.source), parts.length > 8 ? [mergeParts(parts)] : parts);
    if (runs.length > 0) await this.db.run(`INSERT INTO sluice_log_partitions VALUES ${runs.join(', ')}`);
  }

  /** Writes a one-row part through the prepared INSERT; false when it cannot (see RowInsert.run). */
  private async insertOne(part: ChunkPart): Promise<boolean> {
    const types = part.columns.map((c) => c.type).join(',');
    if (this.rowInsert?.types !== types) {
      this.forgetRowInsert();
      this.rowInsert = { types, insert: await RowInsert.prepare(this.db, logTableName(this.source), part.columns.map((c) => c.type)) };
    }
    return this.rowInsert.insert !== null && (await this.rowInsert.insert.run(part.columns));
  }

  /** The table's columns are about to change (or it goes): the statement is prepared again when next needed. */
  private forgetRowInsert(): void {
    this.rowInsert?.insert?.close();
    this.rowInsert = null;
  }

  /** The staged appends are committed: nothing is left to take back. */
  commitStaged(): void {
    if (this.lazy) {
      for (const p of this.staged) this.unwritten.push(p), (this.unwrittenRows += p.n);
      this.unwrittenRuns.push(...this.stagedRuns);
    }
    this.undo = null;
    this.staged = [];
    this.stagedRuns = [];
  }

  /** Whether enough committed events wait in memory to be worth a write now (see {@link settle}). */
  get settleDue(): boolean {
    return this.unwrittenRows >= LAZY_ROWS;
  }

  /** Writes the committed events still waiting in memory: before anything reads the table. */
  async settle(): Promise<void> {
    if (this.unwritten.length === 0 && this.unwrittenRuns.length === 0) return;
    const parts = this.unwritten;
    const runs = this.unwrittenRuns;
    // In memory there is no crash to be atomic against (and the caller may be inside a transaction).
    await this.write(parts, runs);
    this.unwritten = [];
    this.unwrittenRuns = [];
    this.unwrittenRows = 0;
  }

  /** The staged appends (and reserved offsets) were not written: offsets and versions go back. */
  abortStaged(): void {
    if (this.undo !== null) {
      this.next = this.undo.next;
      for (const [id, v] of this.undo.versions) {
        if (v === undefined) this.versions.delete(id);
        else this.versions.set(id, v);
      }
    }
    this.commitStaged();
  }

  /** Notes where offsets and versions stand before the first change of a group. */
  private mark(): void {
    if (this.undo === null) this.undo = { next: this.next, versions: new Map() };
  }

  private nullKey(): SluiceError {
    return new SluiceError('ARGUMENT', `key column '${this.key!.name}' of source '${this.source}' is NULL: every event of a keyed source belongs to a stream`);
  }

  /** Each row's stream version, and each stream's version after the batch. */
  private nextStreamVersions(batch: RecordBatch): { versions: Float64Array; after: Map<string, number> } {
    const key = this.key!;
    const col = columnsOf(batch)[this.keyIndex]!;
    const versions = new Float64Array(batch.numRows);
    const after = new Map<string, number>();
    for (let i = 0; i < batch.numRows; i++) {
      const v = readValue(col, i, key.type);
      if (v === null) throw this.nullKey();
      const id = streamId(v);
      const next = (after.get(id) ?? this.versions.get(id) ?? 0) + 1;
      after.set(id, next);
      versions[i] = next;
    }
    return { versions, after };
  }

  /** Runs of offsets with a named partition that overlap [from, to), in order. */
  private async partitionRuns(from: number, to: number): Promise<{ first: number; last: number; partition: string }[]> {
    const r = await this.db.query(
      `SELECT first_offset, last_offset, partition FROM sluice_log_partitions WHERE source = ${quoteString(this.source)} AND last_offset >= ${from} AND first_offset < ${to} ORDER BY first_offset`,
    );
    return r.rows.map(([first, last, partition]) => ({ first: first as number, last: last as number, partition: partition as string }));
  }

  /** Reads events with offsets in [from, to) in batches, in the current schema. */
  async *read(
    columns: readonly SourceColumn[],
    from: number,
    to: number,
    batchSize: number,
  ): AsyncGenerator<{ batch: RecordBatch; offsets: Float64Array; partition: string }> {
    await this.settle();
    for (const part of await this.splitByPartition(from, to)) {
      for await (const b of this.readRange(columns, part.from, part.to, batchSize)) yield { ...b, partition: part.partition };
    }
  }

  /** [from, to) cut into stretches of one partition each. */
  private async splitByPartition(from: number, to: number): Promise<{ from: number; to: number; partition: string }[]> {
    const out: { from: number; to: number; partition: string }[] = [];
    let at = from;
    for (const run of await this.partitionRuns(from, to)) {
      const lo = Math.max(run.first, from);
      const hi = Math.min(run.last + 1, to);
      if (lo > at) out.push({ from: at, to: lo, partition: '' });
      out.push({ from: lo, to: hi, partition: run.partition });
      at = hi;
    }
    if (at < to) out.push({ from: at, to, partition: '' });
    return out;
  }

  private async *readRange(columns: readonly SourceColumn[], from: number, to: number, batchSize: number): AsyncGenerator<{ batch: RecordBatch; offsets: Float64Array }> {
    const schema: Schema = columns.map((c) => ({ name: c.name, type: c.type }));
    // Each added column reads as its DEFAULT for events logged before it existed.
    const sel = columns
      .map((c) =>
        c.sinceVersion > 1
          ? `CASE WHEN sluice_version < ${c.sinceVersion} THEN ${defaultLiteral(c)} ELSE ${quoteIdent(c.name)} END`
          : quoteIdent(c.name),
      )
      .join(', ');
    const arrow = arrowSchema(schema);
    let pending: { columns: Data[]; length: number }[] = [];
    let rows = 0;
    const emit = () => {
      const offsets = concatColumns(pending.map((p) => p.columns[0]!));
      const cols = schema.map((_, j) => concatColumns(pending.map((p) => p.columns[j + 1]!)));
      pending = [];
      rows = 0;
      return { batch: makeRecordBatch(arrow, cols, offsets.length), offsets: offsets.values as Float64Array };
    };
    const sql = `SELECT sluice_offset, ${sel} FROM ${this.relation(from, to)} WHERE sluice_offset >= ${from} AND sluice_offset < ${to} ORDER BY sluice_offset`;
    const chunks = this.db.readColumns(sql, ['BIGINT', ...schema.map((c) => c.type)])[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<{ columns: Data[]; length: number }>;
      try {
        next = await chunks.next();
      } catch (e) {
        throw this.archive ? this.archive.explain(e) : e;
      }
      if (next.done) break;
      pending.push(next.value);
      rows += next.value.length;
      if (rows >= batchSize) yield emit();
    }
    if (rows > 0) yield emit();
  }
}

/** Events waiting in memory (in-memory engines) from which they are written without a reader asking. */
const LAZY_ROWS = 65_536;

/** Parts of one table's columns as one part (thousands of one-row inserts cost a column write each otherwise). */
function mergeParts(parts: readonly ChunkPart[]): ChunkPart {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const columns = parts[0]!.columns.map((first, j): ChunkColumn => {
    if ('numbers' in first) {
      const out = new Float64Array(n);
      let at = 0;
      for (const p of parts) {
        const c = p.columns[j] as { numbers: Float64Array };
        out.set(c.numbers.subarray(0, p.n), at);
        at += p.n;
      }
      return { type: first.type, numbers: out };
    }
    return { type: first.type, data: concatColumns(parts.map((p) => (p.columns[j] as { data: Data }).data)) };
  });
  return { columns, n };
}

/** A key value as a map key: the values of one column share a type, so their text tells them apart. */
export function streamId(v: Value): string {
  return String(v);
}

function defaultLiteral(c: SourceColumn): string {
  const v = c.default;
  if (v === null) return 'NULL';
  const t = duckTypeName(c.type);
  switch (c.type) {
    case 'TIMESTAMP':
      return `make_timestamp(${Math.trunc(v as number) * 1000}::BIGINT)`;
    case 'DATE':
      return `(DATE '1970-01-01' + ${v as number})`;
    case 'INTERVAL':
      return `to_milliseconds(${v as number})`;
    case 'VARCHAR':
      return `'${String(v).replace(/'/g, "''")}'`;
    default:
      return `CAST(${String(v)} AS ${t})`;
  }
}
