/**
 * The Engine: sluice's programmatic API (SPEC 1.2) and the one place that ties the stages
 * together: it parses and binds statements, keeps the catalog, runs sources, views and sinks
 * as pipelines, and keeps their state in DuckDB.
 *
 * Every public method runs under one queue, so calls never interleave: an `insert` resolves
 * after its events are reflected in every view that reads the source (read-your-writes).
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RecordBatch, Table } from 'apache-arrow';
import { isDialectError, parseStatement } from '../../grammar/index.js';
import { splitScript } from './script.js';
import type { CreateView, Statement } from '../../grammar/ast.js';
import { Catalog, describeKind } from '../catalog/catalog.js';
import { sourceSchema, SYSTEM_TABLES, type SinkDef, type SourceColumn, type SourceDef, type ViewDef } from '../catalog/definitions.js';
import { Settings } from '../catalog/settings.js';
import { validateSourceOptions, type DeadLetter } from '../connectors/source-reader.js';
import { openSink } from '../connectors/sinks/file-sink.js';
import type { SinkWriter } from '../connectors/sinks/sink-writer.js';
import { SluiceError, toSluiceError, type Span, type TextOrigin } from '../errors.js';
import { OP_NAMES, arrowSchema, columnsOf, makeRecordBatch, readValue, type ChangeBatch } from '../exec/batch.js';
import { concatColumns } from '../exec/vector/concat.js';
import type { LateRecord, OperatorContext } from '../exec/operator.js';
import { Pipeline, type SourceInput, type ViewInput } from '../exec/pipeline.js';
import { bindPullQuery, bindStatement, planQuery } from '../plan/binder/bind-statement.js';
import type { AsOfRead, BoundStatement, PullQuery, SchemaChange } from '../plan/bound-statement.js';
import { explainPlan } from '../plan/explain.js';
import { walkPlan, type LogicalPlan, type ReplayLimit } from '../plan/logical-plan.js';
import { scanNode, viewScanNode } from '../plan/node-builders.js';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import { Database, type QueryResult } from '../state/database.js';
import { SystemTables } from '../state/system-tables.js';
import type { EventLog } from '../state/event-log.js';
import { CatalogStore } from '../state/catalog-store.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { initMetadata, probeDatabaseFile } from '../state/metadata.js';
import type { Schema, SqlType, Value } from '../types.js';
import { ResultCollector } from './result-collector.js';
import { ViewHistory } from './view-history.js';
import { archiveRetainedLogs, reloadArchives } from './log-retention.js';
import { arrowToBatch, fromApiValue, rowsToBatch, toApiRow, toApiValue, type Change, type RejectedRow, type Row } from './rows.js';
import { SourceRuntime, yieldToEventLoop } from './source-runtime.js';
import { ViewRuntime } from './view-runtime.js';

export interface OpenOptions {
  /** The DuckDB file to keep everything in; in memory when absent. */
  readonly path?: string;
  /**
   * Keep reading sources without end (`follow = true` files, generators without `events`)
   * in the background whenever a view or sink reads them, as a service does (default true).
   * With `false` they are read only while a live query runs; bounded sources are read to
   * their end before every query either way.
   */
  readonly background?: boolean;
  /**
   * Called when background reading of a source fails (its file was truncated or replaced,
   * …); that source is no longer read. Without it the failure is only reported by
   * `backgroundFailures()`.
   */
  readonly onBackgroundError?: (error: SluiceError) => void;
}

export interface ExecuteOptions {
  /** Folder that relative paths in WITH options resolve against (default: the working directory). */
  readonly baseDir?: string;
  /** Return the change stream of streaming SELECTs (`changes`) besides their final result. */
  readonly changelog?: boolean;
  /** Called while bounded sources are read. */
  readonly onProgress?: (p: Progress) => void;
  /**
   * Plan instead of run: queries and views return their plans (views are still created, so
   * later statements can name them); INSERTs are skipped; nothing is read.
   */
  readonly explain?: boolean;
}

export interface Progress {
  readonly source: string;
  readonly events: number;
  readonly done: boolean;
}

/** A result column: name and type (a sluice type, or DuckDB's name for other types). */
export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

/** What one statement did. */
export interface StatementResult {
  /** The kind of statement: 'CREATE SOURCE', 'SELECT', 'INSERT', … */
  readonly statement: string;
  /** A one-line summary for statements without rows. */
  readonly message?: string;
  readonly columns?: readonly ResultColumn[];
  readonly rows?: readonly Row[];
  /** The change stream of a streaming SELECT (with `changelog`) or SUBSCRIBE. */
  readonly changes?: readonly Change[];
}

export interface InsertOptions {
  /** The partition (producer) of these events; one unnamed partition by default. */
  readonly partition?: string;
  /**
   * Optimistic concurrency, for a source with `WITH (key = 'col')` (SPEC 2.7): append only
   * if the stream of the rows' one key is at this version (0: the stream must not exist
   * yet); otherwise nothing is appended and the call rejects with code `CONFLICT`.
   *
   * @example
   * const v = await engine.streamVersion('account_events', 'acc-1');
   * await engine.insert('account_events', [{ account_id: 'acc-1', amount: 5 }], { expectedVersion: v });
   */
  readonly expectedVersion?: number;
}

/** Options of a pull query (`engine.query`). */
export interface QueryOptions {
  /**
   * Read-your-writes (SPEC 2.7): offsets to wait for, by source name, as an insert resolved
   * them (`{ clicks: await engine.insert('clicks', rows) }`), as offsets, or as the last
   * offset. The query runs once every view it reads has consumed, of each named source it
   * reads, the largest offset given; sources it does not read are ignored.
   */
  readonly after?: Readonly<Record<string, number | readonly number[] | { readonly offsets: readonly number[] }>>;
  /** How long to wait for `after`, in ms (default 10,000); then the query rejects with code TIMEOUT. */
  readonly timeout?: number;
}

export interface InsertResult {
  /** Events appended to the source. */
  readonly inserted: number;
  /** Events set aside in sluice_dead_letters (not an object, a wrong type, no event time). */
  readonly rejected: number;
  /** The log offset of each appended event, in order (rejected rows' offsets come after them, in sluice_dead_letters). */
  readonly offsets: readonly number[];
  /** For a keyed source whose appended events share one key: that stream's version after the append. */
  readonly version?: number;
}

export interface Subscription {
  unsubscribe(): void;
}

/** A running continuous query (see Engine.live). */
export interface LiveQuery {
  readonly columns: readonly ResultColumn[];
  stop(): Promise<void>;
  /** The query's output watermark (null before the first; 'end of input' when every input ended) and state size. */
  status(): { watermark: Date | 'end of input' | null; stateSize: number };
}

export interface SubscribeOptions {
  /** Deliver the view's current contents first, as +I changes (default true). */
  readonly snapshot?: boolean;
}

/** Live metrics, for status lines. */
export interface Metrics {
  readonly eventsIn: number;
  readonly lateEvents: number;
  readonly deadLetters: number;
  readonly stateSize: number;
}

/** One insert call waiting for its group's commit (see Engine.commitInserts). */
interface PendingInsert {
  /** Checks the call's arguments and converts its rows; runs when the group commits, in call order. */
  readonly prepare: () => PreparedInsert;
  readonly resolve: (r: InsertResult) => void;
  readonly reject: (e: SluiceError) => void;
}

interface PreparedInsert {
  readonly rt: SourceRuntime;
  readonly batches: readonly RecordBatch[];
  readonly rejected: readonly RejectedRow[];
  readonly partition: string;
  readonly expected?: { readonly version: number; readonly span?: Span };
}

interface SinkRuntime {
  readonly def: SinkDef;
  readonly pipeline: Pipeline;
  readonly writer: SinkWriter;
}

const STATEMENT_NAMES: Record<Statement['kind'], string> = {
  CreateSource: 'CREATE SOURCE',
  CreateView: 'CREATE VIEW',
  CreateSink: 'CREATE SINK',
  Insert: 'INSERT',
  QueryStatement: 'SELECT',
  Subscribe: 'SUBSCRIBE',
  Drop: 'DROP',
  AlterSource: 'ALTER SOURCE',
  Show: 'SHOW',
  Describe: 'DESCRIBE',
  Explain: 'EXPLAIN',
  Checkpoint: 'CHECKPOINT',
  Set: 'SET',
  Rebuild: 'REBUILD',
  Update: 'UPDATE',
  Delete: 'DELETE',
};

export class Engine {
  private readonly catalog = new Catalog();
  private readonly settings = new Settings();
  private readonly sources = new Map<string, SourceRuntime>();
  private readonly views = new Map<string, ViewRuntime>();
  private readonly sinks = new Map<string, SinkRuntime>();
  private readonly system: SystemTables;
  private queue: Promise<unknown> = Promise.resolve();
  /** The inserts waiting for their group's turn in the queue, which later inserts join (group commit). */
  private openGroup: PendingInsert[] | null = null;
  /** Called whenever views may have consumed more of their sources (read-your-writes waits). */
  private readonly progressWaiters = new Set<() => void>();
  private closed = false;
  private readonly liveQueries = new Set<Pipeline>();
  private pumping = false;
  private background = true;
  private onBackgroundError: ((error: SluiceError) => void) | undefined;

  private readonly catalogStore: CatalogStore;
  private readonly checkpoints: CheckpointStore;
  /** Retained view snapshots: AS OF replays from the nearest one. */
  private readonly history: ViewHistory;
  private lastCheckpoint = Date.now();
  private checkpointCount = 0;
  /** Open database files in this process: DuckDB's file lock only guards other processes. */
  private static readonly openPaths = new Set<string>();

  private constructor(
    private readonly db: Database,
    private readonly path: string | null,
  ) {
    this.system = new SystemTables(db);
    this.catalogStore = new CatalogStore(db);
    this.checkpoints = new CheckpointStore(db);
    this.history = new ViewHistory({
      db,
      checkpoints: this.checkpoints,
      source: (name) => this.sources.get(name),
      newPipeline: (plan, out) => this.newPipeline(plan, out, 'query'),
      batchSize: () => this.settings.number('batch_size'),
    });
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
    const engine = new Engine(db, path);
    engine.background = options.background !== false;
    if (typeof options.onBackgroundError === 'function') engine.onBackgroundError = options.onBackgroundError;
    try {
      await initMetadata(db);
      await engine.catalogStore.create();
      await engine.checkpoints.create();
      engine.checkpointCount = await engine.checkpoints.lastCheckpointId();
      await engine.system.create();
      if (path !== null) await engine.recover();
    } catch (e) {
      db.close();
      throw toSluiceError(e);
    }
    if (path !== null) Engine.openPaths.add(path);
    if (engine.wantsPump()) engine.startPump();
    return engine;
  }

  /** Runs calls one after another; a failed call does not block the next. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    // An insert after another call joins no earlier group: calls keep their order.
    this.openGroup = null;
    const run = async (): Promise<T> => {
      if (this.closed) throw new SluiceError('STATE', 'the engine is closed');
      try {
        return await f();
      } catch (e) {
        throw toSluiceError(e);
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  // -------------------------------------------------------------------------------------
  // Public API
  // -------------------------------------------------------------------------------------

  /** Runs one or more statements; returns what each did. Errors carry the line and column. */
  execute(sql: string, options: ExecuteOptions = {}): Promise<StatementResult[]> {
    return this.serial(async () => {
      if (typeof sql !== 'string') throw new SluiceError('ARGUMENT', 'execute takes SQL text');
      const results: StatementResult[] = [];
      for (const item of splitScript(sql)) {
        try {
          if (item.kind === 'statement') results.push(await this.runStatement(item.statement, item.text, sql, options));
          else {
            const at = item.start;
            results.push(await this.runDuckdbQuery(item.text, { sql, offsetOf: (pos) => at + pos }, item.parseError, options));
          }
        } catch (e) {
          throw toSluiceError(e).withSql(sql);
        }
      }
      return results;
    });
  }

  /**
   * A statement sluice's parser does not know, tried as a DuckDB pull query: DuckDB's error
   * when it parses the statement (a misspelled column inside QUALIFY is named as such), else
   * the parse error that got further (see furtherParseError).
   */
  private async runDuckdbQuery(
    text: string,
    origin: TextOrigin,
    parseError: SluiceError,
    options: ExecuteOptions,
  ): Promise<StatementResult> {
    if (isDialectError(parseError)) throw parseError;
    await this.drain(options.onProgress);
    try {
      return { statement: 'SELECT', ...(await this.pullQuery(text, [], origin)) };
    } catch (e) {
      const duck = toSluiceError(e);
      // DuckDB knows no source or plain view: its "table does not exist" would mislead.
      const missing = /Table with name "?([^\s"]+)"? does not exist/.exec(duck.message)?.[1];
      const entry = missing === undefined ? undefined : (this.catalog.source(missing) ?? this.catalog.view(missing));
      if (entry !== undefined && !('materialized' in entry && entry.materialized)) {
        const what = 'materialized' in entry ? 'a view that is not materialized' : 'a source';
        parseError.message = `${parseError.message} (${missing} is ${what}: a statement sluice does not parse is tried in DuckDB, which reads only materialized views and system tables)`;
        throw parseError;
      }
      throw furtherParseError(duck, parseError);
    }
  }

  /**
   * Appends events to a source fed by the API: plain objects, or an Arrow Table/RecordBatch.
   * `partition` names the producer the events come from: the source's watermark is the
   * minimum over its partitions (SPEC 2.5), so one slow producer holds windows open.
   */
  insert(source: string, rows: readonly object[] | Table | RecordBatch, options: InsertOptions = {}): Promise<InsertResult> {
    return new Promise<InsertResult>((resolve, reject) => {
      const req: PendingInsert = { prepare: () => this.prepareInsert(source, rows, options), resolve, reject };
      if (this.openGroup !== null) {
        this.openGroup.push(req);
        return;
      }
      // Inserts that come while this group waits for the queue (a commit in progress) join it.
      const group = [req];
      this.serial(async () => {
        if (this.openGroup === group) this.openGroup = null;
        const settle = await this.commitInserts(group);
        await this.maybeCheckpoint();
        settle();
      }).catch((e: unknown) => {
        for (const r of group) r.reject(toSluiceError(e));
      });
      this.openGroup = group;
    });
  }

  /** An insert call's arguments checked and its rows converted (when its group commits, in call order). */
  private prepareInsert(source: string, rows: readonly object[] | Table | RecordBatch, options: InsertOptions): PreparedInsert {
    const rt = this.sourceRuntime(source);
    const def = rt.def;
    const schema = sourceSchema(def);
    const defaults = def.columns.map((c) => c.default);
    const eventTime = eventTimeColumn(def);
    if (options === null || typeof options !== 'object') throw new SluiceError('ARGUMENT', 'insert options must be an object');
    const partition = options.partition ?? '';
    if (typeof partition !== 'string') throw new SluiceError('ARGUMENT', 'partition must be a string');
    const expected = options.expectedVersion;
    if (expected !== undefined && !(Number.isSafeInteger(expected) && expected >= 0)) {
      throw new SluiceError('ARGUMENT', `expectedVersion must be a whole number >= 0, got ${String(expected)}`);
    }
    let r: { batches: RecordBatch[]; rejected: RejectedRow[] };
    if (Array.isArray(rows)) {
      const one = rowsToBatch(rows, schema, defaults, eventTime);
      r = { batches: [one.batch], rejected: one.rejected };
    } else if (rows && typeof rows === 'object' && ('batches' in rows || 'schema' in rows)) {
      r = arrowToBatch(rows as Table | RecordBatch, schema, defaults, eventTime);
    } else {
      throw new SluiceError('ARGUMENT', 'insert takes an array of objects or an Arrow Table/RecordBatch');
    }
    return { rt, ...r, partition, ...(expected === undefined ? {} : { expected: { version: expected } }) };
  }

  /**
   * The version of one event stream of a keyed source (`WITH (key = 'col')`): how many
   * events were appended for that key value (0 if none).
   *
   * @example
   * await engine.streamVersion('account_events', 'acc-1'); // 0 before its first event
   */
  streamVersion(source: string, keyValue: unknown): Promise<number> {
    return this.serial(async () => {
      const log = this.sourceRuntime(source).log!;
      const key = this.streamKey(log);
      const v = fromApiValue(keyValue, key.type);
      if ('error' in v || v.value === null) {
        throw new SluiceError('ARGUMENT', `a stream of '${log.source}' is named by a ${key.type} value of ${key.name}, got ${'error' in v ? v.error : 'NULL'}`);
      }
      return log.streamVersion(v.value);
    });
  }

  private streamKey(log: EventLog): SourceColumn {
    if (!log.key) throw new SluiceError('ARGUMENT', noStreams(log.source));
    return log.key;
  }

  /** Appends one insert's events at once (SQL INSERT), as a group of its own. */
  private async appendEvents(
    rt: SourceRuntime,
    batches: readonly RecordBatch[],
    rejected: readonly RejectedRow[],
    partition = '',
    expected?: { readonly version: number; readonly span?: Span },
  ): Promise<InsertResult> {
    let result: InsertResult | undefined;
    let failure: SluiceError | undefined;
    const prepared: PreparedInsert = { rt, batches, rejected, partition, ...(expected === undefined ? {} : { expected }) };
    (await this.commitInserts([{ prepare: () => prepared, resolve: (r) => (result = r), reject: (e) => (failure = e) }]))();
    if (failure) throw failure;
    return result!;
  }

  /**
   * Group commit: appends the events of a group of inserts to their sources' logs in one
   * DuckDB commit, then delivers them live in call order. An insert refused by its checks
   * (a CONFLICT, a bad argument, an ended source) fails alone; offsets and stream versions
   * move on with each staged insert, so the next one's expected version is checked against
   * them. Rejected rows are set aside in sluice_dead_letters, each with an offset of its own
   * reserved after its insert's accepted rows (the log skips it), in the same commit: no
   * replay can derive them again. Returns the call that settles each insert's promise
   * (the caller settles once anything that must come before it, a checkpoint, is done).
   */
  private async commitInserts(group: readonly PendingInsert[]): Promise<() => void> {
    const settled: (() => void)[] = [];
    const staged: { rt: SourceRuntime; parts: { batch: RecordBatch; offsets: Float64Array; partition: string }[]; result: InsertResult; req: PendingInsert }[] = [];
    const logs = new Set<EventLog>();
    const dead: DeadLetter[] = [];
    try {
      for (const req of group) {
        let p: PreparedInsert;
        let keys: Value[];
        try {
          p = req.prepare();
          if (p.rt.ended) throw new SluiceError('STATE', `source '${p.rt.name}' has ended (endOfStream): it takes no more events`);
          const log = p.rt.log!;
          keys = log.key ? log.streamKeys(p.batches) : [];
          if (p.expected !== undefined) checkExpectedVersion(log, keys, p.expected);
        } catch (e) {
          settled.push(() => req.reject(toSluiceError(e)));
          continue;
        }
        const { rt, partition } = p;
        const log = rt.log!;
        logs.add(log);
        const schema = sourceSchema(rt.def);
        const parts: { batch: RecordBatch; offsets: Float64Array; partition: string }[] = [];
        const offsets: number[] = [];
        for (const batch of p.batches) {
          if (batch.numRows === 0) continue;
          const o = log.stage(batch, schema, rt.def.version, partition);
          parts.push({ batch, offsets: o, partition });
          for (let i = 0; i < o.length; i++) offsets.push(o[i]!);
        }
        if (p.rejected.length > 0) {
          const first = log.reserve(p.rejected.length);
          p.rejected.forEach((x, i) => dead.push({ source: rt.name, offset: first + i, raw: x.raw, reason: x.reason }));
        }
        const version = keys.length === 1 ? { version: log.streamVersion(keys[0]!) } : {};
        staged.push({ rt, parts, req, result: { inserted: offsets.length, rejected: p.rejected.length, offsets, ...version } });
      }
      // One write needs no transaction of its own: an appender's rows commit together.
      let writes = dead.length > 0 ? 1 : 0;
      for (const log of logs) writes += log.stagedWrites();
      const write = async () => {
        for (const log of logs) await log.writeStaged();
        if (dead.length > 0) {
          this.system.recordDead(dead, true);
          await this.system.flushInput();
        }
      };
      if (writes > 1) await this.db.transaction(write);
      else await write();
    } catch (e) {
      for (const log of logs) log.abortStaged();
      throw e;
    }
    for (const log of logs) log.commitStaged();
    // Consecutive inserts into a source without event time reach its views as one batch: no
    // row of theirs can be late, so one batch gives the views what the calls one by one would
    // (a pass per batch is what many small inserts would otherwise cost).
    for (let i = 0; i < staged.length; ) {
      const { rt } = staged[i]!;
      const partition = staged[i]!.parts[0]?.partition;
      let j = i + 1;
      if (rt.def.watermark === null) {
        while (j < staged.length && staged[j]!.rt === rt && staged[j]!.parts.every((p) => p.partition === partition)) j++;
      }
      const run = staged.slice(i, j);
      const parts = run.flatMap((x) => x.parts);
      try {
        if (run.length > 1 && parts.length > 1) {
          const batch = concatBatches(parts.map((p) => p.batch), sourceSchema(rt.def));
          const offsets = new Float64Array(batch.numRows);
          let at = 0;
          for (const p of parts) offsets.set(p.offsets, (at += p.offsets.length) - p.offsets.length);
          rt.eventsRead += batch.numRows;
          rt.deliver(rt.inputs, batch, offsets, partition ?? '');
        } else {
          for (const part of parts) {
            rt.eventsRead += part.batch.numRows;
            rt.deliver(rt.inputs, part.batch, part.offsets, part.partition);
          }
        }
        for (const x of run) settled.push(() => x.req.resolve(x.result));
      } catch (e) {
        for (const x of run) settled.push(() => x.req.reject(toSluiceError(e)));
      }
      i = j;
    }
    this.notifyProgress();
    return () => {
      for (const f of settled) f();
    };
  }

  private notifyProgress(): void {
    for (const f of [...this.progressWaiters]) f();
  }

  /** Moves a source's watermark forward by hand (ms since the epoch, or a Date). */
  advanceWatermark(source: string, t: number | Date): Promise<void> {
    return this.serial(async () => {
      const ms = t instanceof Date ? t.getTime() : t;
      if (typeof ms !== 'number' || Number.isNaN(ms)) throw new SluiceError('ARGUMENT', 'advanceWatermark takes a Date or epoch milliseconds');
      this.sourceRuntime(source, true).advanceWatermark(ms);
    });
  }

  /** Declares a source finished: its watermark becomes +infinity and every window closes. */
  endOfStream(source: string): Promise<void> {
    return this.serial(async () => {
      this.sourceRuntime(source, true).finish();
    });
  }

  /**
   * A pull query over materialized views and system tables, answered by DuckDB with any of
   * its SQL; `?` parameters. Bounded sources are read to their end first.
   *
   * With `after` (read-your-writes), it first waits until every view the query reads has
   * consumed those offsets of its sources, up to `timeout` ms, else rejects with code TIMEOUT.
   *
   * @example
   * const written = await engine.insert('clicks', rows);
   * await engine.query('SELECT * FROM per_page WHERE page = ?', ['/'], { after: { clicks: written } });
   */
  query(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<Row[]> {
    if (options !== null && typeof options === 'object' && options.after !== undefined) {
      let wait: Promise<void>;
      try {
        wait = this.waitAfter(typeof sql === 'string' ? sql : '', options);
      } catch (e) {
        return Promise.reject(toSluiceError(e));
      }
      return wait.then(() => this.runQuery(sql, params));
    }
    return this.runQuery(sql, params);
  }

  /**
   * Resolves once every view `sql` may read has consumed the `after` offsets of the sources
   * it reads. Views are found by name in the text: a name that is not a read only makes the
   * wait stricter, and every view takes a delivered batch at once, so it costs nothing.
   */
  private waitAfter(sql: string, options: QueryOptions): Promise<void> {
    const targets = afterTargets(options.after, (s) => this.sources.get(s)?.name ?? this.sources.get(s.toLowerCase())?.name ?? null);
    const timeout = options.timeout ?? 10_000;
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw new SluiceError('ARGUMENT', `timeout must be a number of milliseconds >= 0, got ${String(timeout)}`);
    const names = namesIn(sql);
    const behind = (): string | null => {
      for (const v of this.views.values()) {
        if (!names.has(v.def.name.toLowerCase())) continue;
        for (const [source, offset] of targets) {
          if (!v.readsSource(source)) continue;
          const at = v.sourceOffsets().get(source) ?? -1;
          if (at < offset) return `view '${v.def.name}' has consumed source '${source}' up to offset ${at}, not yet ${offset}`;
        }
      }
      return null;
    };
    if (behind() === null) return Promise.resolve();
    return new Promise<void>((done, fail) => {
      const check = () => {
        if (this.closed) finish(new SluiceError('STATE', 'the engine is closed'));
        else if (behind() === null) finish();
      };
      // Inserts notify at once; sources read in the background are polled.
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => finish(new SluiceError('TIMEOUT', `read-your-writes query gave up after ${timeout} ms: ${behind() ?? 'offsets not consumed'}`)), timeout);
      const finish = (e?: SluiceError) => {
        clearInterval(poll);
        clearTimeout(timer);
        this.progressWaiters.delete(check);
        if (e) fail(e);
        else done();
      };
      this.progressWaiters.add(check);
    });
  }

  private runQuery(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.serial(async () => {
      if (typeof sql !== 'string') throw new SluiceError('ARGUMENT', 'query takes SQL text');
      if (!Array.isArray(params)) throw new SluiceError('ARGUMENT', 'query parameters must be an array');
      await this.drain();
      let statement: Statement | undefined;
      let parseError: SluiceError | undefined;
      try {
        statement = parseStatement(sql);
      } catch (e) {
        // Not sluice SQL: DuckDB's own syntax goes to DuckDB as written.
        if (isDialectError(e)) throw e;
        parseError = toSluiceError(e).withSql(sql);
      }
      try {
        const pull = statement?.kind === 'QueryStatement' ? bindPullQuery(statement, sql, this.catalog) : null;
        const r = pull ? await this.runPullQuery(pull, params) : await this.pullQuery(sql, params);
        return r.rows;
      } catch (e) {
        const err = toSluiceError(e).withSql(sql);
        throw parseError ? furtherParseError(err, parseError) : err;
      }
    });
  }

  /**
   * A continuous query: a streaming SELECT over sources, or `SUBSCRIBE view`. The listener
   * gets the changes of its result as they happen (everything so far first); meanwhile the
   * engine reads connector sources in the background (unbounded ones without end) until
   * every live query has stopped.
   */
  live(sql: string, listener: (changes: Change[]) => void): Promise<LiveQuery> {
    return this.serial(async () => {
      if (typeof sql !== 'string') throw new SluiceError('ARGUMENT', 'live takes SQL text');
      let statement: Statement;
      try {
        statement = parseStatement(sql);
      } catch (e) {
        throw toSluiceError(e).withSql(sql);
      }
      let plan: LogicalPlan;
      let unsubscribe: () => void = () => undefined;
      try {
        const bound = bindStatement({ statement, text: sql, sql, baseDir: process.cwd() }, this.catalog);
        if (bound.kind === 'Subscribe') {
          const rt = this.viewRuntime(bound.view);
          plan = viewScanNode(rt.def.name, rt.def, rt.def.schema.map((_, i) => i));
        } else if (bound.kind === 'StreamQuery') {
          plan = bound.plan;
          walkPlan(plan, (n) => {
            if (n.kind === 'Scan' && n.until) throw new SluiceError('BIND', 'an AS OF query is answered once: run it with execute, not live');
          });
        } else {
          throw new SluiceError('BIND', 'a live query is a SELECT over sources or SUBSCRIBE view (a query over views only is a pull query)');
        }
      } catch (e) {
        throw toSluiceError(e).withSql(sql);
      }
      const schema = plan.schema;
      let watermark = -Infinity;
      const pipeline = this.newPipeline(
        plan,
        { push: (b) => listener(batchChanges(b, schema)), watermark: (w) => (watermark = w) },
        'live',
      );
      await this.attach(pipeline);
      this.liveQueries.add(pipeline);
      unsubscribe = () => {
        this.liveQueries.delete(pipeline);
        this.detach(pipeline);
      };
      this.startPump();
      return {
        columns: columnsOfSchema(schema),
        stop: () => this.serial(async () => unsubscribe()),
        status: () => ({
          watermark: Number.isFinite(watermark) ? new Date(watermark) : watermark > 0 ? 'end of input' : null,
          // A subscription holds no state itself: report the views it follows.
          stateSize:
            pipeline.stateSize() +
            pipeline.inputs.reduce((n, i) => n + (i.kind === 'view' ? (this.views.get(i.view)?.pipeline?.stateSize() ?? 0) : 0), 0),
        }),
      };
    });
  }

  /** Whether anything needs sources read in the background. */
  private wantsPump(): boolean {
    if (this.liveQueries.size > 0) return true;
    if (!this.background) return false;
    for (const s of this.sources.values()) if (s.isConnector && !s.bounded && !s.ended && s.failure === null && s.inputs.size > 0) return true;
    return false;
  }

  /**
   * Reads connector sources and applies idle timeouts in the background: while live queries
   * run, and (unless opened with `background: false`) while views or sinks read a source
   * without end, so they stay current with nobody asking.
   */
  private startPump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const batchSize = () => this.settings.number('batch_size');
    const loop = async (): Promise<void> => {
      while (!this.closed && this.wantsPump()) {
        const worked = await this.serial(async () => {
          const now = Date.now();
          let any = false;
          for (const s of this.sources.values()) {
            s.tick(now);
            if (!s.isConnector || s.ended || s.failure !== null || s.inputs.size === 0) continue;
            try {
              any = (await s.step(batchSize())) || any;
            } catch (e) {
              // One broken source stops alone: the others, and the API, go on.
              s.failure = toSluiceError(e);
              this.onBackgroundError?.(s.failure);
            }
          }
          await this.maybeCheckpoint();
          return any;
        }).catch(() => false);
        if (worked) this.notifyProgress();
        // Yield to other calls; idle a little when there was nothing to read.
        await new Promise((r) => setTimeout(r, worked ? 0 : 50));
      }
      this.pumping = false;
    };
    void loop();
  }

  /** The sources background reading stopped on, with why (see OpenOptions.onBackgroundError). */
  backgroundFailures(): { source: string; error: SluiceError }[] {
    return [...this.sources.values()].filter((s) => s.failure !== null).map((s) => ({ source: s.name, error: s.failure! }));
  }

  /**
   * True when `sql` is one streaming SELECT (or SUBSCRIBE) that reads a source without end,
   * so it never finishes: run it with `live` rather than `execute` (what `sluice run` does).
   * False for anything else, including SQL that does not parse or bind.
   */
  readsUnbounded(sql: string): boolean {
    let plan: LogicalPlan;
    try {
      const bound = bindStatement({ statement: parseStatement(sql), text: sql, sql, baseDir: process.cwd() }, this.catalog);
      if (bound.kind === 'StreamQuery') plan = bound.plan;
      else if (bound.kind === 'Subscribe') plan = this.viewRuntime(bound.view).pipeline!.plan;
      else return false;
    } catch {
      return false;
    }
    let unbounded = false;
    const visit = (p: LogicalPlan): void =>
      walkPlan(p, (n) => {
        if (n.kind === 'Scan') {
          const src = this.sources.get(n.source);
          if (src && src.isConnector && !src.bounded) unbounded = true;
        } else if (n.kind === 'ViewScan') {
          const v = this.views.get(n.view)?.pipeline?.plan;
          if (v) visit(v);
        }
      });
    visit(plan);
    return unbounded;
  }

  /** Calls `listener` with every change of a materialized view (its current contents first). */
  subscribe(view: string, listener: (change: Change) => void, options: SubscribeOptions = {}): Subscription {
    if (typeof listener !== 'function') throw new SluiceError('ARGUMENT', 'subscribe takes a view name and a listener function');
    // A view that does not exist is an error now, not a silent subscription to nothing.
    this.viewRuntime(view);
    let active = true;
    let registered: ((b: ChangeBatch) => void) | undefined;
    let rt: ViewRuntime | undefined;
    const ready = this.serial(async () => {
      rt = this.viewRuntime(view);
      const schema = rt.def.schema;
      const deliver = (b: ChangeBatch) => {
        if (!active) return;
        for (const c of batchChanges(b, schema)) listener(c);
      };
      if (options.snapshot !== false) deliver(await rt.snapshot());
      registered = deliver;
      if (active) rt.listeners.add(deliver);
    });
    ready.catch(() => undefined);
    return {
      unsubscribe: () => {
        active = false;
        if (rt && registered) rt.listeners.delete(registered);
      },
    };
  }

  /** The changes of a materialized view as an async iterator (its current contents first). */
  changes(view: string, options: SubscribeOptions = {}): AsyncIterableIterator<Change> {
    const buffer: Change[] = [];
    let wake: (() => void) | null = null;
    let failure: unknown;
    const sub = this.subscribe(
      view,
      (c) => {
        buffer.push(c);
        wake?.();
      },
      options,
    );
    // Surface a bad view name through the iterator.
    this.serial(async () => void this.viewRuntime(view)).catch((e) => {
      failure = e;
      wake?.();
    });
    const it: AsyncIterableIterator<Change> = {
      next: async () => {
        for (;;) {
          if (buffer.length > 0) return { value: buffer.shift()!, done: false };
          if (failure) throw failure;
          if (this.closed) return { value: undefined, done: true };
          await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      },
      return: async () => {
        sub.unsubscribe();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /**
   * Writes a checkpoint: operator state, source positions, view contents, sink positions and
   * system tables, in one DuckDB transaction.
   */
  checkpoint(): Promise<void> {
    return this.serial(() => this.checkpointNow());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.serial(async () => {
      for (const p of this.liveQueries) this.detach(p);
      this.liveQueries.clear();
      await this.checkpointNow();
      for (const s of this.sinks.values()) await s.writer.close();
      for (const s of this.sources.values()) await s.close();
      // Already here: a call queued behind this one (the background pump's next step) would
      // otherwise run on closed sinks and sources, reopening them.
      this.closed = true;
    }).catch(() => undefined);
    this.closed = true;
    this.db.close();
    if (this.path !== null) Engine.openPaths.delete(this.path);
  }

  /** Names and columns of sources, views and sinks (REPL completion and dot-commands). */
  describeCatalog(): {
    sources: { name: string; sql: string; columns: { name: string; type: SqlType }[] }[];
    views: { name: string; sql: string; materialized: boolean; columns: { name: string; type: SqlType }[] }[];
    sinks: { name: string; sql: string; from: string }[];
  } {
    return {
      sources: this.catalog.sources().map((s) => ({ name: s.name, sql: s.sql, columns: s.columns.map((c) => ({ name: c.name, type: c.type })) })),
      views: this.catalog.views().map((v) => ({
        name: v.name,
        sql: v.sql,
        materialized: v.materialized,
        columns: v.schema.map((c) => ({ name: c.name, type: c.type })),
      })),
      sinks: this.catalog.sinks().map((s) => ({ name: s.name, sql: s.sql, from: s.from })),
    };
  }

  metrics(): Metrics {
    let eventsIn = 0;
    for (const s of this.sources.values()) eventsIn += s.eventsRead;
    let stateSize = 0;
    for (const v of this.views.values()) stateSize += v.pipeline?.stateSize() ?? 0;
    return { eventsIn, lateEvents: this.system.lateCount, deadLetters: this.system.deadCount, stateSize };
  }

  // -------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------

  private sourceRuntime(name: string, anyConnector = false): SourceRuntime {
    if (typeof name !== 'string') throw new SluiceError('ARGUMENT', 'a source name must be a string');
    const rt = this.sources.get(name) ?? this.sources.get(name.toLowerCase());
    if (!rt) {
      const e = this.catalog.get(name.toLowerCase());
      if (!e && this.catalog.isSystemTable(name.toLowerCase())) {
        throw new SluiceError('IMMUTABLE', `'${name}' is a system table: it is read-only (sluice writes it)`);
      }
      throw new SluiceError('CATALOG', e ? `'${name}' is a ${describeKind(e)}, not a source` : `source '${name}' does not exist`);
    }
    if (!anyConnector && rt.isConnector) {
      throw new SluiceError('ARGUMENT', `source '${rt.name}' reads from its ${rt.def.connector} connector: it takes no inserts`);
    }
    return rt;
  }

  private viewRuntime(name: string): ViewRuntime {
    if (typeof name !== 'string') throw new SluiceError('ARGUMENT', 'a view name must be a string');
    const rt = this.views.get(name) ?? this.views.get(name.toLowerCase());
    if (!rt) {
      const e = this.catalog.get(name.toLowerCase());
      throw new SluiceError('CATALOG', e ? `'${name}' is a ${describeKind(e)}, not a materialized view` : `materialized view '${name}' does not exist`);
    }
    return rt;
  }

  private operatorContext(owner: string): OperatorContext {
    return { owner, recordLate: (records: readonly LateRecord[]) => this.system.recordLate(owner, records) };
  }

  private newPipeline(plan: LogicalPlan, out: ConstructorParameters<typeof Pipeline>[1], owner: string): Pipeline {
    return new Pipeline(plan, out, {
      ctx: this.operatorContext(owner),
      idleTimeout: (s) => this.sources.get(s)?.idleTimeoutMs ?? null,
    });
  }

  /** Connects a pipeline's inputs: each catches up on history, then follows live. */
  private async attach(p: Pipeline): Promise<void> {
    const batchSize = this.settings.number('batch_size');
    for (const input of p.inputs) {
      if (input.kind === 'source') {
        const rt = this.sources.get(input.source)!;
        await rt.catchUp([input], batchSize);
        rt.inputs.add(input);
      } else if (input.kind === 'view') {
        await this.views.get(input.view)!.follow(input);
      }
    }
    p.start();
  }

  private detach(p: Pipeline): void {
    for (const input of p.inputs) {
      if (input.kind === 'source') this.sources.get(input.source)?.inputs.delete(input as SourceInput);
      else if (input.kind === 'view') this.views.get(input.view)?.downstream.delete(input as ViewInput);
    }
    p.close();
  }

  /** Reads every bounded connector source to its end, interleaving them by event time. */
  private async drain(onProgress?: (p: Progress) => void): Promise<void> {
    const batchSize = this.settings.number('batch_size');
    for (;;) {
      const open = [...this.sources.values()].filter((s) => s.isConnector && s.bounded && !s.ended);
      if (open.length === 0) return;
      const next = open.reduce((a, b) => (b.maxEventTime < a.maxEventTime ? b : a));
      const more = await next.step(batchSize);
      onProgress?.({ source: next.name, events: next.eventsRead, done: !more });
      await this.maybeCheckpoint();
      await yieldToEventLoop();
    }
  }

  /**
   * The checkpoint: sink output is made durable first (its position recorded), then every
   * owner's changed state, source positions, view contents and system tables are written in
   * one transaction; `extra` adds catalog changes to the same transaction.
   */
  private async checkpointNow(extra?: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    const sinkBytes = new Map<string, number>();
    for (const s of this.sinks.values()) sinkBytes.set(s.def.name, await s.writer.flush());
    const positions = [...this.sources.values()].map((s) => s.position());
    await this.db.transaction(async () => {
      for (const v of this.views.values()) await v.table.flush();
      await this.system.flush();
      // In memory nothing could be recovered: operator state and positions are not written.
      if (this.path !== null) {
        // An owner nothing reached since the last checkpoint has nothing to write.
        for (const v of this.views.values()) {
          if (v.pipeline!.dirty) await this.checkpoints.writeState(v.def.name, v.pipeline!.checkpointDelta());
        }
        for (const s of this.sinks.values()) {
          if (!s.pipeline.dirty) continue;
          await this.checkpoints.writeState(s.def.name, s.pipeline.checkpointDelta());
          await this.checkpoints.writeSinkPosition(s.def.name, sinkBytes.get(s.def.name)!);
        }
        await this.checkpoints.writePositions(positions);
        for (const v of this.views.values()) await this.history.retain(v);
        const readers = [...this.views.values()].map((v) => ({ name: v.def.name, inputs: v.pipeline?.inputs ?? [], view: true }));
        for (const s of this.sinks.values()) readers.push({ name: s.def.name, inputs: s.pipeline.inputs, view: false });
        await archiveRetainedLogs(this.sources.values(), readers, this.checkpoints);
      }
      if (extra) await extra();
      await this.checkpoints.recordCheckpoint(++this.checkpointCount, performance.now() - t0);
    }).catch(async (e: unknown) => {
      await reloadArchives(this.sources.values());
      throw e;
    });
    // Only now may a broker source acknowledge what the checkpoint holds.
    for (const p of positions) this.sources.get(p.source)?.committed(p);
    this.lastCheckpoint = Date.now();
  }

  /** Checkpoints when checkpoint_interval has passed since the last one. */
  private async maybeCheckpoint(): Promise<void> {
    // In memory there is nothing to make durable: view tables are brought up to date by pull queries.
    if (this.path === null) return;
    if (Date.now() - this.lastCheckpoint >= this.settings.number('checkpoint_interval')) await this.checkpointNow();
  }

  /** Reopening: the catalog, each owner's state and each source's position as of the last checkpoint. */
  private async recover(): Promise<void> {
    for (const [name, value] of await this.catalogStore.settings()) this.settings.set(name, value);
    const positions = await this.checkpoints.readPositions();
    const sinkBytes = await this.checkpoints.readSinkPositions();
    for (const e of await this.catalogStore.load()) {
      if (e.kind === 'source') {
        const def = e.source!;
        const rt = new SourceRuntime(def, this.db, this.system);
        await rt.log?.create(def.columns);
        const p = positions.get(def.name);
        if (p) rt.restorePosition(p);
        this.sources.set(def.name, rt);
        this.catalog.put(def);
        continue;
      }
      const statement = parseStatement(e.sql);
      const bound = bindStatement({ statement, text: e.sql, sql: e.sql, baseDir: e.baseDir }, this.catalog);
      if (bound.kind === 'CreateView') {
        const def: ViewDef = { ...bound.def, query: (statement as CreateView).query };
        if (def.materialized) await this.startView(def, bound.plan, true);
        this.catalog.put(def);
      } else if (bound.kind === 'CreateSink') {
        await this.startSink(bound.def, sinkBytes.get(bound.def.name));
        this.catalog.put(bound.def);
      }
    }
    // Events logged after the checkpoint reach the restored pipelines again.
    const batchSize = this.settings.number('batch_size');
    for (const rt of this.sources.values()) await rt.replayLog(batchSize);
  }

  /**
   * Brings what `sql` can read up to date. In a file, view tables change only inside
   * checkpoints, so what a pull query reads is durable (and a crash cannot apply a change
   * twice). In memory nothing is recovered: only the tables of the views the text names are
   * written, and only their changes; the engine's own tables (audit trails, late events, …)
   * are written when the text names one of them, or when the audit backlog grows large.
   */
  private async prepareRead(sql: string): Promise<void> {
    if (this.path !== null) return this.checkpointNow();
    const names = namesIn(sql);
    let backlog = 0;
    for (const v of this.views.values()) backlog += v.table.auditBacklog;
    if (backlog > 100_000 || [...names].some((n) => n.startsWith('sluice_') || n === 'changes')) return this.checkpointNow();
    for (const v of this.views.values()) if (names.has(v.def.name.toLowerCase())) await v.table.flushTable();
  }

  /** Runs DuckDB SQL over the view tables; errors point into `origin` (the text itself by default). */
  private async pullQuery(sql: string, params: readonly unknown[], origin?: TextOrigin): Promise<{ columns: ResultColumn[]; rows: Row[] }> {
    await this.prepareRead(sql);
    const r = await this.db.queryReadOnly(sql, params.map(toDuckParamLoose) as never, origin);
    return toApiResult(r);
  }

  /**
   * A bound pull query: each AS OF read is replayed into a temporary table first, so the rest
   * of the query (joins with live views or other points, ORDER BY, aggregates) is DuckDB's.
   */
  private async runPullQuery(q: PullQuery, params: readonly unknown[], onProgress?: (p: Progress) => void): Promise<{ columns: ResultColumn[]; rows: Row[] }> {
    await this.drain(onProgress);
    try {
      for (const read of q.asOf) {
        const collector = new ResultCollector(read.plan.schema, false);
        if (!(await this.replayFromHistory(read, collector))) {
          const pipeline = this.newPipeline(read.plan, collector, 'query');
          try {
            await this.replay(pipeline);
          } finally {
            this.detach(pipeline);
          }
        }
        await this.db.createTempTable(read.table, read.plan.schema, collector.result());
      }
      return await this.pullQuery(q.sql, params, q.origin);
    } finally {
      for (const read of q.asOf) await this.db.dropTempTable(read.table);
    }
  }

  /**
   * An AS OF read of a materialized view: refused before its retain_history, else answered
   * from its nearest retained snapshot when one applies (false: replay from the start).
   */
  private async replayFromHistory(read: AsOfRead, out: ResultCollector): Promise<boolean> {
    const rt = read.view === undefined ? undefined : this.views.get(read.view);
    let limit: ReplayLimit | undefined;
    walkPlan(read.plan, (n) => (limit ??= n.kind === 'Scan' ? n.until : undefined));
    if (!rt || !limit) return false;
    await this.history.checkRetained(rt, limit);
    if (this.path === null || rt.def.schema.length !== read.plan.schema.length) return false;
    return this.history.replay(rt, limit, out);
  }

  /**
   * Time travel: runs a pipeline once over the past. Each source is replayed from the start of
   * its log up to the AS OF point of its scan (to its end without one); each view is read as
   * it stands now. Nothing live is touched; the caller detaches the pipeline afterwards.
   */
  private async replay(pipeline: Pipeline): Promise<void> {
    const batchSize = this.settings.number('batch_size');
    for (const input of pipeline.inputs) {
      if (input.kind === 'source') await this.sources.get(input.source)!.catchUp([input], batchSize, input.node.until);
      else if (input.kind === 'view') await this.views.get(input.view)!.follow(input);
    }
    pipeline.start();
  }

  private async runStatement(s: Statement, text: string, sql: string, options: ExecuteOptions): Promise<StatementResult> {
    const name = STATEMENT_NAMES[s.kind];
    if (options.explain) {
      if (s.kind === 'Insert') return { statement: name, message: 'skipped' };
      if (s.kind === 'QueryStatement') s = { kind: 'Explain', statement: s, span: s.span };
      else if (s.kind === 'CreateView') {
        const plan = await this.runStatement({ kind: 'Explain', statement: s, span: s.span }, text, sql, {});
        await this.runStatement(s, text, sql, {});
        return { ...plan, statement: s.materialized ? 'CREATE MATERIALIZED VIEW' : 'CREATE VIEW' };
      }
    }
    const bound: BoundStatement = bindStatement({ statement: s, text, sql, baseDir: options.baseDir ?? process.cwd() }, this.catalog);
    switch (bound.kind) {
      case 'CreateSource':
        return { statement: name, message: await this.createSource(bound.def, bound.mode, bound.span) };
      case 'CreateView': {
        // Keep the query with spans of its own text, so it can be re-bound from the catalog.
        const local = parseStatement(text) as CreateView;
        const def: ViewDef = { ...bound.def, query: local.query };
        return { statement: def.materialized ? 'CREATE MATERIALIZED VIEW' : 'CREATE VIEW', message: await this.createView(def, bound.plan, bound.mode, bound.span) };
      }
      case 'CreateSink':
        return { statement: name, message: await this.createSink(bound.def, bound.mode, bound.span) };
      case 'Insert': {
        const rt = this.sourceRuntime(bound.source);
        const { batch, rejected } = rowsToBatch(
          bound.rows.map((r) => Object.fromEntries(rt.def.columns.map((c, i) => [c.name, toApiValue(r[i] ?? null, c.type)]))),
          sourceSchema(rt.def),
          rt.def.columns.map((c) => c.default),
          eventTimeColumn(rt.def),
        );
        const r = await this.appendEvents(rt, [batch], rejected, '', bound.expectedVersion);
        const stream = r.version === undefined ? '' : ` (stream version ${r.version})`;
        const aside = r.rejected > 0 ? `; ${r.rejected} set aside in sluice_dead_letters (${rejected[0]!.reason}${r.rejected > 1 ? ', …' : ''})` : '';
        return { statement: name, message: `inserted ${r.inserted} event${r.inserted === 1 ? '' : 's'} into ${rt.name}${stream}${aside}` };
      }
      case 'StreamQuery':
        return { statement: name, ...(await this.runStreamQuery(bound.plan, options)) };
      case 'PullQuery':
        return { statement: name, ...(await this.runPullQuery(bound, [], options.onProgress)) };
      case 'Subscribe': {
        await this.drain(options.onProgress);
        const rt = this.viewRuntime(bound.view);
        const snap = await rt.snapshot();
        return { statement: name, columns: columnsOfSchema(rt.def.schema), changes: batchChanges(snap, rt.def.schema) };
      }
      case 'Drop':
        return { statement: name, message: await this.drop(bound.name) };
      case 'AlterSource': {
        if (bound.change) return { statement: name, message: await this.alterColumn(bound.def, bound.change, bound.replan ?? []) };
        const rt = this.sources.get(bound.source)!;
        const def: SourceDef = bound.def;
        await this.db.transaction(async () => {
          await rt.log?.addColumn(bound.column);
          await this.catalogStore.updateSource(def);
        });
        rt.def = def;
        this.catalog.put(def);
        return { statement: name, message: `added column ${bound.column.name} to ${def.name} (schema version ${def.version})` };
      }
      case 'Show':
        return { statement: name, ...this.show(bound.what, bound.setting, bound.span) };
      case 'Describe':
        return { statement: name, ...(this.catalog.get(bound.name) ? this.describe(bound.name) : await this.describeSystemTable(bound.name)) };
      case 'Explain': {
        if (bound.plan) return { statement: name, columns: [{ name: 'plan', type: 'VARCHAR' }], rows: explainPlan(bound.plan).split('\n').map((l) => ({ plan: l })) };
        const pull = bound.pull!;
        // DuckDB plans over the AS OF reads' tables, empty here: nothing is replayed to explain.
        const tables = pull.asOf.map((read) => ({ name: read.table, schema: read.plan.schema }));
        const text = await this.db.explainReadOnly(pull.sql, pull.origin, tables);
        const reads = pull.asOf.flatMap((read) => [`AS OF read ${read.table}:`, ...explainPlan(read.plan).split('\n').map((l) => `  ${l}`)]);
        return { statement: name, columns: [{ name: 'plan', type: 'VARCHAR' }], rows: [`PullQuery (DuckDB):`, ...text, ...reads].map((l) => ({ plan: l })) };
      }
      case 'Checkpoint':
        await this.checkpointNow();
        return { statement: name, message: 'checkpoint written' };
      case 'Set':
        this.settings.set(bound.name, bound.value, bound.span);
        await this.catalogStore.putSetting(bound.name, this.settings.text(bound.name));
        return { statement: name, message: `${bound.name} = ${this.settings.text(bound.name)}` };
      case 'Rebuild':
        return { statement: name, message: await this.rebuild(bound.view) };
    }
  }

  private async createSource(def: SourceDef, mode: { orReplace: boolean; ifNotExists: boolean }, span: Span): Promise<string> {
    const action = this.catalog.checkCreate(def, mode, span);
    if (action === 'skip') return `source ${def.name} already exists`;
    if (def.connector !== 'none') {
      try {
        validateSourceOptions(def.connector, def.options, sourceSchema(def));
      } catch (e) {
        throw toSluiceError(e);
      }
    }
    if (action === 'replace') {
      const deps = this.catalog.dependents(def.name);
      if (deps.length > 0) {
        throw new SluiceError('CATALOG', `cannot replace source '${def.name}': ${deps.map((d) => `'${d}'`).join(', ')} depend on it`, { span });
      }
      await this.dropSourceRuntime(def.name);
    }
    const rt = new SourceRuntime(def, this.db, this.system);
    await rt.check();
    await rt.log?.create(def.columns);
    this.sources.set(def.name, rt);
    this.catalog.put(def);
    await this.checkpointNow(() => this.catalogStore.put(def));
    return `${action === 'replace' ? 'replaced' : 'created'} source ${def.name}`;
  }

  private async createView(def: ViewDef, plan: LogicalPlan, mode: { orReplace: boolean; ifNotExists: boolean }, span: Span): Promise<string> {
    const action = this.catalog.checkCreate(def, mode, span);
    const kind = def.materialized ? 'materialized view' : 'view';
    if (action === 'skip') return `${kind} ${def.name} already exists`;
    if (action === 'replace') {
      const deps = this.catalog.dependents(def.name);
      if (deps.length > 0) {
        throw new SluiceError('CATALOG', `cannot replace view '${def.name}': ${deps.map((d) => `'${d}'`).join(', ')} depend on it`, { span });
      }
      await this.dropViewRuntime(def.name);
    }
    if (def.materialized) await this.startView(def, plan, false);
    this.catalog.put(def);
    // The view exists (durably) only once its state after the replay is checkpointed.
    await this.checkpointNow(() => this.catalogStore.put(def));
    if (this.wantsPump()) this.startPump();
    return `${action === 'replace' ? 'replaced' : 'created'} ${kind} ${def.name}`;
  }

  /**
   * Builds a view's pipeline and table. A new view replays its inputs from the start; a
   * restored one takes its checkpointed state and follows its inputs from where they stood.
   */
  private async startView(def: ViewDef, plan: LogicalPlan, restore: boolean): Promise<void> {
    const rt = new ViewRuntime(def, this.db, (v) => this.views.get(v));
    const pipeline = this.newPipeline(plan, rt, def.name);
    rt.pipeline = pipeline;
    this.views.set(def.name, rt);
    try {
      if (restore && (await this.restorePipeline(def.name, pipeline))) {
        await rt.table.ensure();
        return;
      }
      await rt.table.create();
      await this.checkpoints.dropOwner(def.name);
      await this.history.forget(def.name);
      await this.attach(pipeline);
    } catch (e) {
      this.detach(pipeline);
      this.views.delete(def.name);
      throw e;
    }
  }

  /** Restores a pipeline from the last checkpoint and connects its inputs without replay; false when no state was stored. */
  private async restorePipeline(owner: string, pipeline: Pipeline): Promise<boolean> {
    const state = await this.checkpoints.readState(owner);
    if (state.size === 0) return false;
    pipeline.restoreEntries(state);
    for (const input of pipeline.inputs) {
      if (input.kind === 'source') {
        const src = this.sources.get(input.source)!;
        src.inputs.add(input);
        // It stands where the checkpoint left its source (the audit trail's source offsets).
        input.lastOffset = src.restoredThrough;
      } else if (input.kind === 'view') this.views.get(input.view)!.downstream.add(input);
    }
    return true;
  }

  private async createSink(def: SinkDef, mode: { orReplace: boolean; ifNotExists: boolean }, span: Span): Promise<string> {
    const action = this.catalog.checkCreate(def, mode, span);
    if (action === 'skip') return `sink ${def.name} already exists`;
    if (action === 'replace') await this.dropSinkRuntime(def.name);
    await this.startSink(def, undefined);
    this.catalog.put(def);
    await this.checkpointNow(() => this.catalogStore.put(def));
    if (this.wantsPump()) this.startPump();
    return `${action === 'replace' ? 'replaced' : 'created'} sink ${def.name}`;
  }

  /** The plan a sink runs: its source's events, or its view's changes. */
  private sinkPlan(def: SinkDef): LogicalPlan {
    const from = this.catalog.get(def.from);
    if (from?.kind === 'source') {
      const schema = sourceSchema(from);
      return scanNode(from.name, schema, schema.map((_, i) => i), null);
    }
    if (from?.kind === 'view' && from.materialized) return viewScanNode(from.name, from, from.schema.map((_, i) => i));
    if (from?.kind === 'view') return planQuery(from.query, from.sql, this.catalog);
    throw new SluiceError('BIND', `sink '${def.name}' reads '${def.from}', which is not a source or a view`);
  }

  /**
   * Starts a sink. `resumeAt` (recovery): the file position of the last checkpoint; output
   * after it is cut away and the restored pipeline writes it again.
   */
  private async startSink(def: SinkDef, resumeAt: number | undefined): Promise<void> {
    const plan = this.sinkPlan(def);
    const writer = openSink(def.connector, {
      name: def.name,
      schema: plan.schema,
      appendOnly: plan.appendOnly,
      key: plan.uniqueKey,
      options: def.options,
      baseDir: def.baseDir,
      eager: this.path === null,
      ...(resumeAt === undefined ? {} : { resumeAt }),
    });
    const pipeline = this.newPipeline(plan, { push: (b) => writer.write(b), watermark: () => undefined }, def.name);
    this.sinks.set(def.name, { def, pipeline, writer });
    if (resumeAt !== undefined && (await this.restorePipeline(def.name, pipeline))) return;
    await this.checkpoints.dropOwner(def.name);
    await this.attach(pipeline);
  }

  private async runStreamQuery(plan: LogicalPlan, options: ExecuteOptions): Promise<Omit<StatementResult, 'statement'>> {
    const collector = new ResultCollector(plan.schema, options.changelog === true);
    const pipeline = this.newPipeline(plan, collector, 'query');
    let asOf = false;
    walkPlan(plan, (n) => (asOf ||= n.kind === 'Scan' && n.until !== undefined));
    try {
      if (asOf) {
        // An AS OF read a pull query cannot take (inside a window, beside a live source) runs once here.
        await this.drain(options.onProgress);
        await this.replay(pipeline);
      } else {
        await this.attach(pipeline);
        await this.drain(options.onProgress);
      }
    } finally {
      this.detach(pipeline);
    }
    const orderBy = plan.kind === 'TopN' ? plan.orderBy : undefined;
    const rows = collector.result(orderBy).map((r) => toApiRow(r, plan.schema));
    const result: Omit<StatementResult, 'statement'> = { columns: columnsOfSchema(plan.schema), rows };
    if (options.changelog) {
      return { ...result, changes: collector.changes.map((c) => ({ op: c.op, row: toApiRow(c.values, plan.schema) })) };
    }
    return result;
  }

  private async drop(name: string): Promise<string> {
    const e = this.catalog.get(name);
    if (!e) return `${name} does not exist`;
    this.catalog.drop(name);
    await this.db.transaction(async () => {
      if (e.kind === 'source') await this.dropSourceRuntime(name);
      else if (e.kind === 'view') await this.dropViewRuntime(name);
      else await this.dropSinkRuntime(name);
      await this.catalogStore.remove(name);
    });
    return `dropped ${describeKind(e)} ${name}`;
  }

  private async dropSourceRuntime(name: string): Promise<void> {
    const rt = this.sources.get(name);
    if (!rt) return;
    await rt.close();
    await rt.log?.drop();
    await this.checkpoints.removePosition(name);
    this.sources.delete(name);
  }

  private async dropViewRuntime(name: string): Promise<void> {
    const rt = this.views.get(name);
    if (!rt) return;
    if (rt.pipeline) this.detach(rt.pipeline);
    await rt.table.drop();
    await this.checkpoints.dropOwner(name);
    await this.history.forget(name);
    this.views.delete(name);
  }

  private async dropSinkRuntime(name: string): Promise<void> {
    const s = this.sinks.get(name);
    if (!s) return;
    this.detach(s.pipeline);
    await s.writer.close();
    await this.checkpoints.dropOwner(name);
    this.sinks.delete(name);
  }

  /**
   * RENAME, DROP or widen a column of a source (see bind-alter-column.ts): after a checkpoint,
   * the log and the catalog change in one transaction; each view that reads the source goes on
   * with its operators' state under a plan of the new schema (its contents, columns, audit
   * trail and followers stay as they were).
   */
  private async alterColumn(def: SourceDef, change: SchemaChange, replan: readonly string[]): Promise<string> {
    await this.checkpointNow();
    const rt = this.sources.get(def.name)!;
    await this.db.transaction(async () => {
      await rt.log?.changeColumn(change);
      await this.catalogStore.updateSource(def);
    });
    rt.def = def;
    this.catalog.put(def);
    await rt.log?.create(def.columns);
    for (const view of replan) {
      const vrt = this.views.get(view)!;
      const statement = parseStatement(vrt.def.sql);
      const bound = bindStatement({ statement, text: vrt.def.sql, sql: vrt.def.sql, baseDir: vrt.def.baseDir }, this.catalogWithout(view));
      if (bound.kind !== 'CreateView') continue;
      // The plan differs only in its scans (columns, types): the same operators take over the same state.
      const old = vrt.pipeline!;
      const state = old.snapshot();
      this.detach(old);
      const fresh = this.newPipeline(bound.plan, vrt, view);
      fresh.restore(state);
      fresh.inputs.forEach((input, i) => {
        const was = old.inputs[i];
        if (input.kind === 'source' && was?.kind === 'source') {
          input.lastOffset = was.lastOffset;
          input.trigger = was.trigger;
          this.sources.get(input.source)!.inputs.add(input);
        } else if (input.kind === 'view') this.views.get(input.view)!.downstream.add(input);
      });
      vrt.pipeline = fresh;
    }
    const what = change.kind === 'rename' ? `renamed column ${change.column} of ${def.name} to ${change.to}` : change.kind === 'drop' ? `dropped column ${change.column} of ${def.name}` : `widened column ${change.column} of ${def.name} to ${change.to}`;
    return `${what} (schema version ${def.version})`;
  }

  /** The catalog without one entry (to bind that entry's statement again). */
  private catalogWithout(name: string): Catalog {
    const c = new Catalog();
    for (const e of this.catalog.all()) if (e.name !== name) c.put(e);
    return c;
  }

  private async rebuild(view: string): Promise<string> {
    const rt = this.views.get(view)!;
    if (rt.downstream.size > 0 || this.catalog.dependents(view).length > 0) {
      throw new SluiceError('CATALOG', `cannot rebuild '${view}' while ${this.catalog.dependents(view).join(', ')} read it`);
    }
    const plan = rt.pipeline!.plan;
    const listeners = [...rt.listeners];
    await this.dropViewRuntime(view);
    await this.startView(rt.def, plan, false);
    for (const l of listeners) this.views.get(view)!.listeners.add(l);
    await this.checkpointNow();
    return `rebuilt materialized view ${view} from its sources`;
  }

  private show(what: string, setting: string | undefined, span: Span): Omit<StatementResult, 'statement'> {
    const text = (name: string) => ({ name, type: 'VARCHAR' });
    switch (what) {
      case 'SOURCES':
        return {
          columns: [text('name'), text('connector'), text('columns'), text('watermark')],
          rows: this.catalog.sources().map((s) => ({
            name: s.name,
            connector: s.connector,
            columns: s.columns.map((c) => `${c.name} ${c.type}`).join(', '),
            watermark: s.watermark ? `${s.watermark.column} - ${s.watermark.delayMs} ms` : null,
          })),
        };
      case 'VIEWS':
      case 'MATERIALIZED_VIEWS':
        return {
          columns: [text('name'), text('kind'), text('columns')],
          rows: this.catalog
            .views()
            .filter((v) => what === 'VIEWS' || v.materialized)
            .map((v) => ({ name: v.name, kind: v.materialized ? 'materialized' : 'view', columns: v.schema.map((c) => c.name).join(', ') })),
        };
      case 'SINKS':
        return {
          columns: [text('name'), text('from'), text('connector')],
          rows: this.catalog.sinks().map((s) => ({ name: s.name, from: s.from, connector: s.connector })),
        };
      default:
        return { columns: [text('name'), text('value')], rows: [{ name: setting!, value: this.settings.text(setting!, span) }] };
    }
  }

  /** DESCRIBE of one of the engine's own tables: its columns as DuckDB holds them. */
  private async describeSystemTable(name: string): Promise<Omit<StatementResult, 'statement'>> {
    const r = await this.db.query(`SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND NOT internal ORDER BY column_index`, [name]);
    return {
      columns: [
        { name: 'column', type: 'VARCHAR' },
        { name: 'type', type: 'VARCHAR' },
        { name: 'event_time', type: 'VARCHAR' },
      ],
      rows: r.rows.map(([column, type]) => ({ column, type, event_time: '' })),
    };
  }

  private describe(name: string): Omit<StatementResult, 'statement'> {
    const e = this.catalog.get(name);
    const schema: Schema = e
      ? e.kind === 'source'
        ? sourceSchema(e)
        : e.kind === 'view'
          ? e.schema
          : []
      : SYSTEM_TABLES[name]!;
    const wm = e?.kind === 'source' ? e.watermark : null;
    return {
      columns: [
        { name: 'column', type: 'VARCHAR' },
        { name: 'type', type: 'VARCHAR' },
        { name: 'event_time', type: 'VARCHAR' },
      ],
      rows: schema.map((c) => ({
        column: c.name,
        type: c.type,
        event_time: wm && wm.column === c.name ? `watermark ${c.name} - ${wm.delayMs} ms` : c.timeAttr ? 'yes' : '',
      })),
    };
  }
}

/** Batches of one schema as one. */
function concatBatches(batches: readonly RecordBatch[], schema: Schema): RecordBatch {
  const cols = batches.map((b) => columnsOf(b));
  const n = batches.reduce((a, b) => a + b.numRows, 0);
  return makeRecordBatch(arrowSchema(schema), schema.map((_, j) => concatColumns(cols.map((c) => c[j]!))), n);
}

/** The largest offset to wait for in each source of an `after` option, checked. */
function afterTargets(after: QueryOptions['after'], sourceNamed: (name: string) => string | null): Map<string, number> {
  if (after === null || typeof after !== 'object' || Array.isArray(after)) {
    throw new SluiceError('ARGUMENT', "after must name each source's offsets: { source: offsets }, e.g. { clicks: await engine.insert('clicks', rows) }");
  }
  const out = new Map<string, number>();
  for (const [source, given] of Object.entries(after)) {
    const name = sourceNamed(source);
    if (name === null) throw new SluiceError('CATALOG', `after names source '${source}', which does not exist`);
    const list = typeof given === 'number' ? [given] : Array.isArray(given) ? given : given && typeof given === 'object' ? (given as { offsets?: unknown }).offsets : undefined;
    if (!Array.isArray(list)) throw new SluiceError('ARGUMENT', `after.${source} must be an offset, an array of offsets or an insert's result, got ${typeof given}`);
    let max = -1;
    for (const o of list as unknown[]) {
      if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw new SluiceError('ARGUMENT', `after.${source}: an offset is a whole number >= 0, got ${String(o)}`);
      if (o > max) max = o;
    }
    if (max >= 0) out.set(name, Math.max(max, out.get(name) ?? -1));
  }
  return out;
}

/** The identifiers of a SQL text, lower-cased (quoted ones unquoted). */
function namesIn(sql: string): Set<string> {
  const out = new Set<string>();
  for (const m of sql.matchAll(/"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*)/g)) out.add((m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!).toLowerCase());
  return out;
}

function columnsOfSchema(schema: Schema): ResultColumn[] {
  return schema.map((c) => ({ name: c.name, type: c.type }));
}

function batchChanges(b: ChangeBatch, schema: Schema): Change[] {
  const cols = columnsOf(b);
  const out: Change[] = [];
  for (let i = 0; i < b.length; i++) {
    const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
    out.push({ op: OP_NAMES[b.ops === null ? 0 : b.ops[i]!]!, row: toApiRow(values, schema) });
  }
  return out;
}

function toApiResult(r: QueryResult): { columns: ResultColumn[]; rows: Row[] } {
  const columns = r.columns.map((c) => ({ name: c.name, type: c.sqlType ?? c.type }));
  const rows = r.rows.map((values) => {
    const row: Row = {};
    r.columns.forEach((c, j) => (row[c.name] = c.sqlType ? toApiValue(values[j]!, c.sqlType) : values[j]));
    return row;
  });
  return { columns, rows };
}

/** An API parameter as a DuckDB value (Dates become timestamps). */
function toDuckParamLoose(v: unknown): unknown {
  if (v instanceof Date) return new DuckDBTimestampValue(BigInt(v.getTime()) * 1000n);
  if (v === undefined) return null;
  return v;
}

/** The index of a source's event-time column (its WATERMARK column), or null without one. */
function eventTimeColumn(def: SourceDef): number | null {
  const wm = def.watermark;
  return wm ? def.columns.findIndex((c) => c.name === wm.column) : null;
}

/**
 * Of DuckDB's error on a statement sluice could not parse and sluice's parse error, the one
 * to report: DuckDB's when it parsed the statement (then the statement is DuckDB SQL and its
 * error names the real fault), else the parse error that got further into the text, since
 * each parser understood everything before the point where it stopped.
 */
function furtherParseError(duck: SluiceError, own: SluiceError): SluiceError {
  if (duck.code !== 'PARSE') return duck;
  if (duck.line === undefined || duck.column === undefined || own.line === undefined || own.column === undefined) return own;
  const further = duck.line > own.line || (duck.line === own.line && duck.column > own.column);
  return further ? duck : own;
}

/**
 * Refuses an append whose stream is not at the expected version (code CONFLICT), or whose
 * check means nothing: rows of several streams (code ARGUMENT).
 */
function checkExpectedVersion(log: EventLog, keys: readonly Value[], expected: { readonly version: number; readonly span?: Span }): void {
  const at = expected.span ? { span: expected.span } : {};
  const key = log.key;
  if (!key) throw new SluiceError('ARGUMENT', noStreams(log.source), at);
  if (keys.length > 1) {
    throw new SluiceError('ARGUMENT', `an expected version checks one stream, but the events name ${keys.length} values of ${key.name} (${keys.slice(0, 3).map(keyText).join(', ')}${keys.length > 3 ? ', …' : ''})`, at);
  }
  if (keys.length === 0) return;
  const actual = log.streamVersion(keys[0]!);
  if (actual !== expected.version) {
    throw new SluiceError(
      'CONFLICT',
      `expected version ${expected.version} of stream ${key.name} = ${keyText(keys[0]!)} in '${log.source}', but it is at version ${actual}`,
      at,
    );
  }
}

function noStreams(source: string): string {
  return `source '${source}' has no streams: declare its key with WITH (key = 'column')`;
}

function keyText(v: Value): string {
  return typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v);
}
