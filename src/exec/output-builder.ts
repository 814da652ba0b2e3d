/** Builds an operator's output batch row by row: one ColumnBuilder per column plus the change kinds. */
import type { Schema as ArrowSchema } from 'apache-arrow';
import type { Schema, Value } from '../types.js';
import { arrowSchema, ColumnBuilder, makeRecordBatch, type ChangeBatch } from './batch.js';

export class OutputBuilder {
  readonly columns: ColumnBuilder[];
  private readonly arrow: ArrowSchema;
  private ops = new Uint8Array(256);
  private offsets = new Float64Array(256);
  private count = 0;
  /** The source the rows of the batch being built derive from, one event each (null: not known). */
  private originSource: string | null = null;

  constructor(readonly schema: Schema) {
    this.columns = schema.map((c) => new ColumnBuilder(c.type, 256));
    this.arrow = arrowSchema(schema);
  }

  get length(): number {
    return this.count;
  }

  /**
   * Names the source every row of the batch being built comes with an event offset of (see
   * `row`): the batch then carries them as its origin, the audit trail's provenance.
   */
  from(source: string): void {
    this.originSource = source;
  }

  /** Starts a row with change kind `op` (caused by event `offset` of the `from` source); the caller appends one value to every column. */
  row(op: number, offset = -1): void {
    if (this.count === this.ops.length) {
      const o = new Uint8Array(this.ops.length * 2);
      o.set(this.ops);
      this.ops = o;
      const f = new Float64Array(this.offsets.length * 2);
      f.set(this.offsets);
      this.offsets = f;
    }
    this.offsets[this.count] = offset;
    this.ops[this.count++] = op;
  }

  /** Appends values to columns from `from` on. */
  values(from: number, values: readonly Value[]): void {
    for (let j = 0; j < values.length; j++) this.columns[from + j]!.append(values[j]!);
  }

  /**
   * The rows built so far as a batch (null when none), every row stamped with watermark
   * `wm`; `appendOnly` drops the change kinds (all inserts).
   */
  finish(wm: number, appendOnly: boolean): ChangeBatch | null {
    const n = this.count;
    if (n === 0) {
      this.originSource = null;
      return null;
    }
    const ops = appendOnly ? null : this.ops.slice(0, n);
    this.count = 0;
    const data = makeRecordBatch(this.arrow, this.columns.map((c) => c.finish()), n);
    const origin = this.originSource === null ? null : { source: this.originSource, offsets: this.offsets.slice(0, n) };
    this.originSource = null;
    return { data, length: n, ops, wm: null, wmConst: wm, origin };
  }
}
