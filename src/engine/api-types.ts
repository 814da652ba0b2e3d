/**
 * The option and result types of the Engine API (SPEC 1.2), re-exported by engine.ts: the
 * shapes callers pass and get back, apart from the class that takes them.
 */
import type { SluiceError } from '../errors.js';
import type { Change, Row } from './rows.js';

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
  /** Pull queries answered from a view's in-memory state (point lookups by a GROUP BY key) rather than by DuckDB. */
  readonly pointLookups: number;
}
