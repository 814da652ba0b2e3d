/**
 * The contract every physical operator keeps. An operator receives batches of changes and
 * watermarks on its inputs, pushes its own batches and watermarks to one downstream
 * {@link Emitter}, and can snapshot its state to plain data and restore from it.
 */
import type { ChangeBatch } from './batch.js';

/** Where an operator sends its output. */
export interface Emitter {
  push(batch: ChangeBatch): void;
  /** The watermark of the stream just pushed: no row below it will follow. */
  watermark(wm: number): void;
}

/** What an operator may report besides its output. */
export interface OperatorContext {
  /** The view (or query) the operator belongs to, for late-event records. */
  readonly owner: string;
  /** Records rows dropped as late (SPEC 2.5); rows as JSON text. */
  recordLate(records: readonly LateRecord[]): void;
}

export interface LateRecord {
  readonly source: string | null;
  readonly offset: number | null;
  readonly eventTime: number;
  readonly watermark: number;
  readonly row: string;
}

/** Plain, JSON-serializable operator state. */
export type OperatorSnapshot = unknown;

/**
 * The state an operator changed since its last checkpoint, as keyed entries, so a
 * checkpoint writes only what changed. `full`: the entries replace every stored entry.
 */
export interface StateDelta {
  readonly full: boolean;
  readonly puts: readonly (readonly [key: string, value: unknown])[];
  readonly deletes: readonly string[];
}

export interface Operator {
  /** Takes a batch on input `input` (0 for single-input operators). */
  process(batch: ChangeBatch, input: number): void;
  /**
   * Called once when the query starts running (after its inputs caught up on history, not
   * after a restore): an operator may emit the rows it has over no input.
   */
  start?(): void;
  /** Takes a watermark on input `input`; called only when it advances. */
  onWatermark(wm: number, input: number): void;
  /** The state as plain data (null for stateless operators). */
  snapshot(): OperatorSnapshot;
  restore(state: OperatorSnapshot): void;
  /**
   * Optional incremental form of snapshot(): entries changed since the last call. Without
   * it a checkpoint stores the whole snapshot as one entry.
   */
  checkpointDelta?(): StateDelta;
  /** Restores from the entries checkpointDelta wrote (required with checkpointDelta). */
  restoreEntries?(entries: ReadonlyMap<string, unknown>): void;
  /** Entries held in state (groups, windows, rows), for status lines and tests. */
  stateSize(): number;
  close(): void;
}

/** Forwards watermarks only when they advance; operators with several inputs take the minimum. */
export class WatermarkMerger {
  private readonly inputs: Float64Array;
  current = -Infinity;

  constructor(n: number) {
    this.inputs = new Float64Array(n).fill(-Infinity);
  }

  /** The last watermark of one input. */
  of(input: number): number {
    return this.inputs[input]!;
  }

  /** Returns the new combined watermark if it advanced, else undefined. */
  update(input: number, wm: number): number | undefined {
    if (wm <= this.inputs[input]!) return undefined;
    this.inputs[input] = wm;
    let min = Infinity;
    for (let i = 0; i < this.inputs.length; i++) min = Math.min(min, this.inputs[i]!);
    if (min > this.current) {
      this.current = min;
      return min;
    }
    return undefined;
  }

  /** The merger's state for snapshots (-Infinity as null, JSON has no infinities). */
  save(): (number | null)[] {
    return [...this.inputs].map((w) => (Number.isFinite(w) ? w : w > 0 ? 1e308 : null));
  }

  load(s: readonly (number | null)[]): void {
    s.forEach((w, i) => (this.inputs[i] = w === null ? -Infinity : w >= 1e308 ? Infinity : w));
    let min = Infinity;
    for (let i = 0; i < this.inputs.length; i++) min = Math.min(min, this.inputs[i]!);
    this.current = min;
  }
}
