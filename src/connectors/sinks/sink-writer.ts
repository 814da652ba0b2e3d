/**
 * The contract of a sink connector: it takes a stream of changes and writes them somewhere.
 * `file` writes one line per change (the row alone for an append-only input, the row with
 * `op` otherwise); `blackhole` discards everything (benchmarks).
 */
import type { ChangeBatch } from '../../exec/batch.js';
import type { Schema } from '../../types.js';

export interface SinkWriter {
  /** Writes a batch of changes (columns in the sink's schema). */
  write(batch: ChangeBatch): void;
  /**
   * Pushes buffered output to its destination; returns the durable position reached (bytes
   * of a file), which a checkpoint records so a recovery can cut later output away.
   */
  flush(): Promise<number>;
  close(): Promise<void>;
}

export interface SinkInit {
  readonly name: string;
  readonly schema: Schema;
  /** Whether the input has only inserts (then no `op` is written). */
  readonly appendOnly: boolean;
  /** The columns that identify a row of a changelog input (a view's GROUP BY columns), if known. */
  readonly key?: readonly number[] | null;
  readonly options: Readonly<Record<string, string | number | boolean>>;
  readonly baseDir: string;
  /** Recovery: continue the output at this position, discarding anything written after it. */
  readonly resumeAt?: number;
  /**
   * Write every batch out as it comes instead of collecting a few thousand lines (an
   * in-memory engine: no checkpoint decides what is durable, and `tail -f` should see
   * changes as they happen).
   */
  readonly eager?: boolean;
  /** The sink reads a source directly: a replay from a checkpoint gives it the same rows in the same order. */
  readonly fromSource?: boolean;
}
