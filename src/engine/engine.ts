/**
 * The Engine: sluice's programmatic API (SPEC 1.2) and the one place that ties the stages
 * together. It is a façade: what it runs lives in modules that share one EngineState —
 * statements and the catalog (statement-executor, catalog-statements), the running dataflow
 * (dataflow), inserts (inserter), checkpoints and recovery (checkpointer), pull queries
 * (pull-query, read-your-writes), subscriptions and live queries (subscriptions), and the
 * reading of connector sources (pump).
 *
 * Every public method runs under one queue, so calls never interleave: an `insert` resolves
 * after its events are reflected in every view that reads the source (read-your-writes).
 */
import { resolve } from 'node:path';
import type { RecordBatch, Table } from 'apache-arrow';
import { SluiceError, toSluiceError } from '../errors.js';
import { Database } from '../state/database.js';
import { initMetadata, probeDatabaseFile } from '../state/metadata.js';
import type { SourcePosition } from '../state/checkpoint-store.js';
import type { Backlog } from '../connectors/source-reader.js';
import type {
  ExecuteOptions,
  InsertOptions,
  InsertResult,
  LiveQuery,
  Metrics,
  OpenOptions,
  QueryOptions,
  StatementResult,
  SubscribeOptions,
  Subscription,
} from './api-types.js';
import { describeCatalog, type CatalogDescription } from './catalog-listing.js';
import { CatalogStatements } from './catalog-statements.js';
import { Checkpointer } from './checkpointer.js';
import { Dataflow } from './dataflow.js';
import { EngineState } from './engine-state.js';
import { Inserter } from './inserter.js';
import { PullQueries, type ExportFilter } from './pull-query.js';
import { SourcePump } from './pump.js';
import { ReadYourWrites } from './read-your-writes.js';
import type { Change, Row } from './rows.js';
import { StatementExecutor } from './statement-executor.js';
import { Subscriptions } from './subscriptions.js';

export type * from './api-types.js';

export class Engine {
  private readonly s: EngineState;
  private readonly dataflow: Dataflow;
  private readonly checkpointer: Checkpointer;
  private readonly pump: SourcePump;
  private readonly inserter: Inserter;
  private readonly pull: PullQueries;
  private readonly subscriptions: Subscriptions;
  private readonly statements: StatementExecutor;
  /** Open database files in this process: DuckDB's file lock only guards other processes. */
  private static readonly openPaths = new Set<string>();

  private constructor(db: Database, path: string | null, options: OpenOptions) {
    const s = (this.s = new EngineState(db, path));
    const progress = new ReadYourWrites(s);
    this.dataflow = new Dataflow(s);
    this.checkpointer = new Checkpointer(s, this.dataflow);
    this.pump = new SourcePump(s, this.checkpointer, progress, {
      background: options.background !== false,
      onBackgroundError: typeof options.onBackgroundError === 'function' ? options.onBackgroundError : undefined,
    });
    this.inserter = new Inserter(s, this.checkpointer, progress);
    this.pull = new PullQueries(s, this.dataflow, this.pump, this.checkpointer, progress);
    this.subscriptions = new Subscriptions(s, this.dataflow, this.pump);
    const ddl = new CatalogStatements(s, this.dataflow, this.checkpointer, this.pump);
    const { dataflow, checkpointer, pump, inserter, pull } = this;
    this.statements = new StatementExecutor(s, { dataflow, checkpointer, pump, inserter, pull, ddl });
  }

  /**
   * Opens an engine: in memory, or kept in one DuckDB file.
   *
   * @example
   * const engine = await Engine.open();
   * await engine.execute(`CREATE SOURCE clicks (page VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`);
   */
  static async open(options: OpenOptions = {}): Promise<Engine> {
    if (options === null || typeof options !== 'object') throw new SluiceError('ARGUMENT', 'Engine.open takes an options object');
    if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
      throw new SluiceError('ARGUMENT', 'path must be a file name');
    }
    const path = options.path === undefined ? null : resolve(options.path);
    if (path !== null) {
      if (Engine.openPaths.has(path)) throw new SluiceError('STATE', `database '${path}' is already open in this process`);
      await probeDatabaseFile(path);
    }
    const db = await Database.open(path ?? undefined);
    const engine = new Engine(db, path, options);
    const { s } = engine;
    try {
      await initMetadata(db);
      await s.catalogStore.create();
      await s.checkpoints.create();
      await s.system.create();
      await engine.checkpointer.recover();
    } catch (e) {
      db.close();
      throw toSluiceError(e);
    }
    if (path !== null) Engine.openPaths.add(path);
    engine.pump.startIfWanted();
    return engine;
  }

  /**
   * @internal A scale-out group's snapshot (src/group/partition-task.ts): a checkpoint, then
   * DuckDB's write-ahead log folded into the file (the file copied holds the state, not every
   * write since it was made), then the source positions it holds; in one turn, so nothing
   * the engine does in between reaches the file first.
   */
  checkpointFile(): Promise<SourcePosition[]> {
    return this.serial(async () => {
      await this.checkpointer.checkpointNow();
      await this.s.db.run('CHECKPOINT');
      return [...(await this.s.checkpoints.readPositions()).values()];
    });
  }

  /** Runs calls one after another; a failed call does not block the next. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    return this.s.queue.run(f);
  }

  /** Runs one or more statements; returns what each did. Errors carry the line and column. */
  execute(sql: string, options: ExecuteOptions = {}): Promise<StatementResult[]> {
    return this.serial(() => this.statements.execute(sql, options));
  }

  /**
   * Appends events to a source fed by the API: plain objects, or an Arrow Table/RecordBatch.
   * `partition` names the producer the events come from: the source's watermark is the
   * minimum over its partitions (SPEC 2.5), so one slow producer holds windows open.
   */
  insert(source: string, rows: readonly object[] | Table | RecordBatch, options: InsertOptions = {}): Promise<InsertResult> {
    return this.inserter.insert(source, rows, options);
  }

  /**
   * The version of one event stream of a keyed source (`WITH (key = 'col')`): how many
   * events were appended for that key value (0 if none).
   *
   * @example
   * await engine.streamVersion('account_events', 'acc-1'); // 0 before its first event
   */
  streamVersion(source: string, keyValue: unknown): Promise<number> {
    return this.serial(async () => this.inserter.streamVersion(source, keyValue));
  }

  /** Moves a source's watermark forward by hand (ms since the epoch, or a Date). */
  advanceWatermark(source: string, t: number | Date): Promise<void> {
    return this.serial(async () => {
      const ms = t instanceof Date ? t.getTime() : t;
      if (typeof ms !== 'number' || Number.isNaN(ms)) throw new SluiceError('ARGUMENT', 'advanceWatermark takes a Date or epoch milliseconds');
      this.s.sourceRuntime(source, true).advanceWatermark(ms);
    });
  }

  /** Declares a source finished: its watermark becomes +infinity and every window closes. */
  endOfStream(source: string): Promise<void> {
    return this.serial(async () => {
      this.s.sourceRuntime(source, true).finish();
    });
  }

  /**
   * A pull query over materialized views and system tables, answered by DuckDB with any of
   * its SQL; `?` parameters. Bounded sources are read to their end first. A point lookup —
   * plain columns of one GROUP BY view, `WHERE` pinning its whole key with `=` to `?` or
   * literals — is answered from the view's in-memory state instead (same rows; see
   * `metrics().pointLookups`).
   *
   * With `after` (read-your-writes), it first waits until every view the query reads has
   * consumed those offsets of its sources, up to `timeout` ms, else rejects with code TIMEOUT.
   *
   * @example
   * const written = await engine.insert('clicks', rows);
   * await engine.query('SELECT * FROM per_page WHERE page = ?', ['/'], { after: { clicks: written } });
   */
  query(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<Row[]> {
    return this.pull.query(sql, params, options);
  }

  /**
   * @internal A scale-out group's query (src/group/group-query.ts): how far the views named
   * (null: anything) have read a source's stream (null: none of them reads it).
   */
  consumedSeq(views: ReadonlySet<string> | null, source: string): number | null {
    return this.pull.consumedSeq(views, source);
  }

  /**
   * @internal A scale-out group's partition (src/group/partition-task.ts): how far its
   * connector sources are behind, together (null: a source cannot tell).
   */
  sourceBacklog(): Backlog | null {
    let waiting = 0;
    let waited = false;
    for (const src of this.s.sources.values()) {
      if (!src.isConnector) continue;
      const b = src.backlog();
      if (b === null) return null;
      waiting += b.waiting;
      waited ||= b.waited;
    }
    return { waiting, waited };
  }

  /**
   * @internal A scale-out group's query: the named views' current contents as Parquet files
   * in `dir` (`scratchFile`: without a checkpoint; `where`: a view's rows to keep; see PullQueries.exportViews).
   */
  exportViews(views: readonly string[], dir: string, scratchFile = false, where?: ExportFilter): Promise<string[]> {
    return this.pull.exportViews(views, dir, scratchFile, where);
  }

  /**
   * A continuous query: a streaming SELECT over sources, or `SUBSCRIBE view`. The listener
   * gets the changes of its result as they happen (everything so far first); meanwhile the
   * engine reads connector sources in the background (unbounded ones without end) until
   * every live query has stopped.
   */
  live(sql: string, listener: (changes: Change[]) => void): Promise<LiveQuery> {
    return this.serial(() => this.subscriptions.live(sql, listener));
  }

  /** The sources background reading stopped on, with why (see OpenOptions.onBackgroundError). */
  backgroundFailures(): { source: string; error: SluiceError }[] {
    return this.pump.failures();
  }

  /**
   * True when `sql` is one streaming SELECT (or SUBSCRIBE) that reads a source without end,
   * so it never finishes: run it with `live` rather than `execute` (what `sluice run` does).
   * False for anything else, including SQL that does not parse or bind.
   */
  readsUnbounded(sql: string): boolean {
    return this.subscriptions.readsUnbounded(sql);
  }

  /** Calls `listener` with every change of a materialized view (its current contents first). */
  subscribe(view: string, listener: (change: Change) => void, options: SubscribeOptions = {}): Subscription {
    return this.subscriptions.subscribe(view, listener, options);
  }

  /** The changes of a materialized view as an async iterator (its current contents first). */
  changes(view: string, options: SubscribeOptions = {}): AsyncIterableIterator<Change> {
    return this.subscriptions.changes(view, options);
  }

  /**
   * Writes a checkpoint: operator state, source positions, view contents, sink positions and
   * system tables, in one DuckDB transaction.
   */
  checkpoint(): Promise<void> {
    return this.serial(() => this.checkpointer.checkpointNow());
  }

  async close(): Promise<void> {
    const { s } = this;
    if (s.closed) return;
    await this.serial(async () => {
      for (const p of s.liveQueries) this.dataflow.detach(p);
      s.liveQueries.clear();
      await this.checkpointer.checkpointNow();
      for (const sink of s.sinks.values()) await sink.writer.close();
      for (const src of s.sources.values()) await src.close();
      // Already here: a call queued behind this one (the background pump's next step) would
      // otherwise run on closed sinks and sources, reopening them.
      s.closed = true;
    }).catch(() => undefined);
    s.closed = true;
    await s.db.release();
    if (s.path !== null) Engine.openPaths.delete(s.path);
  }

  /**
   * @internal `sluice run`'s report: whether this process has recorded a late event or a dead
   * letter at or after `since` (when not, the system tables hold none from then on).
   */
  setAsideSince(since: Date): boolean {
    return this.s.system.lastRecordedAt >= since.getTime();
  }

  /** Names and columns of sources, views and sinks (REPL completion and dot-commands). */
  describeCatalog(): CatalogDescription {
    return describeCatalog(this.s.catalog);
  }

  metrics(): Metrics {
    const { s } = this;
    let eventsIn = 0;
    for (const src of s.sources.values()) eventsIn += src.eventsRead;
    let stateSize = 0;
    for (const v of s.views.values()) stateSize += v.pipeline?.stateSize() ?? 0;
    return { eventsIn, lateEvents: s.system.lateCount, deadLetters: s.system.deadCount, stateSize, pointLookups: this.pull.pointLookups };
  }
}
