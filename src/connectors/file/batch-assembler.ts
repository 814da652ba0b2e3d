/**
 * Collects the rows and dead letters of one `next()` call and finishes them into a
 * ReadBatch. The builders are reused from batch to batch (ColumnBuilder resets on finish).
 */
import type { Schema as ArrowSchema } from 'apache-arrow';
import { arrowSchema, ColumnBuilder, makeRecordBatch } from '../../exec/batch.js';
import type { Schema } from '../../types.js';
import type { DeadLetter, ReadBatch } from '../source-reader.js';
import type { RowStage } from './row-stage.js';

export class BatchAssembler {
  readonly builders: ColumnBuilder[];
  private readonly arrow: ArrowSchema;
  private readonly source: string;
  private offsets: Float64Array;
  private dead: DeadLetter[] = [];
  rows = 0;

  constructor(source: string, schema: Schema) {
    this.source = source;
    this.arrow = arrowSchema(schema);
    this.builders = schema.map((c) => new ColumnBuilder(c.type, 1024));
    this.offsets = new Float64Array(1024);
  }

  /** Rows plus dead letters so far: what counts against `maxRows`. */
  get events(): number {
    return this.rows + this.dead.length;
  }

  addRow(stage: RowStage, offset: number): void {
    stage.commit(this.builders);
    this.pushOffset(offset);
  }

  /** Records the offset of a row the caller appended to `builders` itself. */
  pushOffset(offset: number): void {
    if (this.rows === this.offsets.length) {
      const o = new Float64Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
    }
    this.offsets[this.rows++] = offset;
  }

  addDeadLetter(offset: number, raw: string, reason: string): void {
    this.dead.push({ source: this.source, offset, raw, reason });
  }

  finish(): ReadBatch {
    const n = this.rows;
    const data = makeRecordBatch(
      this.arrow,
      this.builders.map((b) => b.finish()),
      n,
    );
    const out: ReadBatch = { data, offsets: this.offsets.slice(0, n), deadLetters: this.dead };
    this.rows = 0;
    this.dead = [];
    return out;
  }
}
