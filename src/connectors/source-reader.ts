/**
 * The contract between the engine and a source connector: a pull-based reader that hands
 * out Arrow batches in the source's declared schema, each row tagged with its source offset,
 * plus the events it could not read (dead letters), and that can resume from a position
 * stored in a checkpoint.
 *
 * Connectors: `file` (formats jsonl, csv, parquet, arrow), `nexmark` (the benchmark's
 * generator) and `nats` (a JetStream stream). Offsets: jsonl/csv the byte offset of the
 * line's start; parquet/arrow the row number in the file; nexmark the event number in the
 * interleaved Person/Auction/Bid sequence; nats the stream sequence.
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../errors.js';
import type { RowPartitions } from '../exec/watermark-tracker.js';
import type { Schema } from '../types.js';
import { openFileReader, validateFileOptions } from './file/file-source.js';
import { openNexmarkReader, validateNexmarkOptions } from './nexmark/nexmark-source.js';
import { openNatsReader, validateNatsOptions } from './nats/nats-source.js';

export { GENERIC_SOURCE_OPTIONS } from './options.js';

/** How far a reader is behind its source (SourceReader.backlog). */
export interface Backlog {
  readonly waiting: number;
  readonly waited: boolean;
}

/** An event that could not be read; stored in `sluice_dead_letters`. */
export interface DeadLetter {
  readonly source: string;
  readonly offset: number;
  readonly raw: string;
  readonly reason: string;
}

/** One stretch of a source. */
export interface ReadBatch {
  /** Columns of the source schema, in order, in the physical layout of src/exec/batch.ts. */
  readonly data: RecordBatch;
  /** The source offset of each row. */
  readonly offsets: Float64Array;
  /** Events of this stretch that could not be read. */
  readonly deadLetters: readonly DeadLetter[];
  /**
   * The partition of each row, for a source whose partitions arrive interleaved (nats);
   * absent: every row is of the source's one unnamed partition.
   */
  readonly partitions?: RowPartitions;
  /**
   * Partitions that passed an event time without a row in this stretch (watermark messages
   * of a repartition stream), applied after the rows: partition → event time.
   */
  readonly progress?: ReadonlyMap<string, number>;
}

export interface SourceReader {
  /** False for a source without end (`follow = true`, nexmark without `events`). */
  readonly bounded: boolean;
  /**
   * Partitions that hold the watermark from the start, before their first row (a
   * repartition stream's upstream partitions); absent: a partition counts from its first row.
   */
  readonly heldPartitions?: readonly string[];
  /**
   * The next batch of at most `maxRows` events (rows plus dead letters); null at the end of
   * a bounded source. An unbounded source waits briefly for data and returns an empty batch
   * when none came, so the caller can check idle timeouts.
   */
  next(maxRows: number): Promise<ReadBatch | null>;
  /**
   * For an unbounded reader: false when `next()` would only wait for data (nothing has
   * arrived), so the caller need not call it and holds nothing while it waits. Absent:
   * always worth calling.
   */
  ready?(): boolean;
  /** Resolves once `ready()` turns true, or after `ms` (for a caller that waits without calling `next()`). */
  whenReady?(ms: number): Promise<void>;
  /** Where to resume after everything returned so far (JSON-serializable; stored in checkpoints). */
  position(): unknown;
  /**
   * A checkpoint holding `position` (an earlier `position()`) has committed: a broker source
   * acknowledges the messages it covers, never before (they are replayed after a crash).
   */
  committed?(position: unknown): void;
  /**
   * `waiting`: events beyond what `next()` has handed out — read ahead, or still on the
   * server as the last delivery said (0: caught up with the stream as of then); `waited`:
   * whether any were waiting at some point since the previous call. Absent: not known.
   */
  backlog?(): Backlog;
  close(): Promise<void>;
}

/** Option values as the WITH clause gives them. */
export type SourceOptions = Readonly<Record<string, string | number | boolean>>;

export interface ReaderOptions {
  /** The source's name (for dead letters). */
  readonly source: string;
  /** The declared columns. */
  readonly schema: Schema;
  /** Index of the WATERMARK FOR column: a row without a valid value there is a dead letter. */
  readonly eventTimeColumn: number | null;
  /** The WITH options, keys lower-case. */
  readonly options: SourceOptions;
  /** Relative paths resolve against it (the SQL file's folder). */
  readonly baseDir: string;
  /** A `position()` returned earlier. */
  readonly resumeFrom?: unknown;
  /**
   * The declared columns the engine reads (indices, ascending; absent: all). A reader may
   * skip producing the others and hand out all-NULL columns in their place (projection
   * pushdown); the event-time column is always among these.
   */
  readonly columns?: readonly number[];
  /**
   * The reader re-reads events the source already delivered (a pipeline catching up): it
   * must leave shared progress alone (a broker's durable consumer and its acks).
   */
  readonly replay?: boolean;
  /**
   * False when the engine makes nothing durable (in memory): no checkpoint will ever hold a
   * position, so a broker reader keeps none on the server either (no durable consumer, no
   * acks held). Absent: true.
   */
  readonly durable?: boolean;
}

/** The connectors that can be read from. */
export const SOURCE_CONNECTORS: readonly string[] = ['file', 'nexmark', 'nats'];

/**
 * Opens a reader; every problem the user can cause (missing file, bad option, a declared
 * column the file lacks) is a SluiceError('CONNECTOR') thrown here rather than later.
 *
 * @example
 * const r = await openSourceReader('file', { source: 'bids', schema, eventTimeColumn: 3,
 *   options: { path: 'bids.jsonl', format: 'jsonl' }, baseDir: process.cwd() });
 * for (let b = await r.next(8192); b !== null; b = await r.next(8192)) consume(b);
 */
export async function openSourceReader(connector: string, opts: ReaderOptions): Promise<SourceReader> {
  validateSourceOptions(connector, opts.options, opts.schema);
  switch (connector.toLowerCase()) {
    case 'file':
      return openFileReader(opts);
    case 'nexmark':
      return openNexmarkReader(opts);
    case 'nats':
      return openNatsReader(opts);
    default:
      throw unknownConnector(connector);
  }
}

/**
 * Validates WITH options at CREATE SOURCE time (unknown option, bad value, missing path, a
 * declared column the nexmark table lacks…), throwing SluiceError('CONNECTOR') with a
 * message naming the option or column.
 */
export function validateSourceOptions(connector: string, options: SourceOptions, schema: Schema): void {
  switch (connector.toLowerCase()) {
    case 'file':
      return validateFileOptions(options, schema);
    case 'nexmark':
      return validateNexmarkOptions(options, schema);
    case 'nats':
      return validateNatsOptions(options, schema);
    default:
      throw unknownConnector(connector);
  }
}

function unknownConnector(connector: string): SluiceError {
  return new SluiceError('CONNECTOR', `unknown source connector '${connector}' (expected one of: ${SOURCE_CONNECTORS.join(', ')})`);
}
