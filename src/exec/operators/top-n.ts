/**
 * ORDER BY … LIMIT n [OFFSET m] over a stream, globally or per partition (ROW_NUMBER() …
 * WHERE rn <= n): keeps each partition's rows in order and emits the changes of its ranks
 * m+1..m+n (a row entering the first m pushes the one at rank m+1… down into the result).
 * When the rows' positions are selected (`rowNumber`), a row whose position changes is
 * retracted at its old position and inserted at its new one. Over an append-only input only
 * the first n+m rows of a partition are kept (no later row can bring back a row pushed out);
 * over a changelog every row is kept, so a retraction can pull the next one up.
 */
import type { Data } from 'apache-arrow';
import type { TopNNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, isRetraction, OP_DELETE, OP_INSERT, readValue, type ChangeBatch } from '../batch.js';
import type { Emitter, Operator } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';
import { TimeFloor } from '../time-floor.js';
import { compareValues, lowerBound, partitionKey, rowComparator, type OrderedRow } from './ordered-rows.js';

type Entry = OrderedRow;

export class TopNOperator implements Operator {
  private readonly partitions = new Map<string, Entry[]>();
  private seq = 0;
  private readonly limit: number;
  /** Rows skipped before the first emitted one (OFFSET): they are kept, as ranks 1..offset. */
  private readonly offset: number;
  /** The rows a partition of an append-only input needs: the skipped ones and the emitted ones. */
  private readonly keep: number;
  private readonly output: OutputBuilder;
  private readonly width: number;
  /** The last watermark forwarded downstream. */
  private wm = -Infinity;
  private readonly floor: TimeFloor<Entry>;

  constructor(
    private readonly out: Emitter,
    private readonly node: TopNNode,
  ) {
    this.limit = node.limit ?? Infinity;
    this.offset = node.offset;
    this.keep = this.limit + this.offset;
    this.output = new OutputBuilder(node.schema);
    this.width = node.input.schema.length;
    this.compare = rowComparator(node.orderBy);
    this.floor = new TimeFloor(TimeFloor.columnsOf(node.schema, this.width));
  }

  private readonly compare: (a: Entry, b: Entry) => number;

  /** True when row i sorts before `e` (a tie goes to the row that came first: `e`). */
  private beats(cols: readonly Data[], i: number, e: Entry): boolean {
    const schema = this.node.input.schema;
    for (const k of this.node.orderBy) {
      const c = compareValues(readValue(cols[k.column]!, i, schema[k.column]!.type), e.values[k.column]!, k);
      if (c !== 0) return c < 0;
    }
    return false;
  }

  private emit(op: number, e: Entry, position: number): void {
    this.output.row(op);
    this.output.values(0, e.values);
    if (this.node.rowNumber !== null) this.output.columns[this.width]!.appendNumber(this.offset + position + 1);
  }

  process(batch: ChangeBatch): void {
    const cols: readonly Data[] = columnsOf(batch);
    const schema = this.node.input.schema;
    const before = new Map<string, Entry[]>();
    const appendOnly = this.node.input.appendOnly;
    for (let i = 0; i < batch.length; i++) {
      const pk = partitionKey(this.node.partitionBy.map((p) => readValue(cols[p]!, i, schema[p]!.type)));
      let rows = this.partitions.get(pk);
      // Over an append-only input a full partition keeps its rows unless this one sorts before
      // its last: most rows of a top 10 do not, and are dropped without decoding the rest.
      if (appendOnly && rows !== undefined && rows.length >= this.keep && !this.beats(cols, i, rows[rows.length - 1]!)) continue;
      const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
      if (!rows) this.partitions.set(pk, (rows = []));
      if (!before.has(pk)) before.set(pk, rows.slice(this.offset, this.keep));
      if (batch.ops !== null && isRetraction(batch.ops[i]!)) {
        const at = rows.findIndex((r) => r.values.every((v, j) => v === values[j]));
        if (at >= 0) this.floor.remove(rows.splice(at, 1)[0]!);
      } else {
        const e = { values, seq: this.seq++ };
        rows.splice(lowerBound(rows, e, this.compare), 0, e);
        this.floor.add(e);
      }
      if (this.node.input.appendOnly && rows.length > this.keep) {
        for (let k = this.keep; k < rows.length; k++) this.floor.remove(rows[k]!);
        rows.length = this.keep;
      }
    }
    for (const [pk, old] of before) {
      const rows = this.partitions.get(pk)!;
      const now = rows.slice(this.offset, this.keep);
      if (this.node.rowNumber !== null) {
        // Positions matter: a row that moved is taken back where it was and put where it is.
        for (let k = 0; k < old.length; k++) if (now[k] !== old[k]) this.emit(OP_DELETE, old[k]!, k);
        for (let k = 0; k < now.length; k++) if (now[k] !== old[k]) this.emit(OP_INSERT, now[k]!, k);
      } else {
        const nowSet = new Set(now);
        const oldSet = new Set(old);
        old.forEach((r, k) => nowSet.has(r) || this.emit(OP_DELETE, r, k));
        now.forEach((r, k) => oldSet.has(r) || this.emit(OP_INSERT, r, k));
      }
      if (rows.length === 0) this.partitions.delete(pk);
    }
    const b = this.output.finish(this.wm, false);
    if (b) this.out.push(b);
  }

  onWatermark(wm: number): void {
    // A held row can come back (retracted, moved) at any time: the watermark waits for it.
    const held = this.floor.enabled && wm !== Infinity ? Math.min(wm, this.floor.min()) : wm;
    if (held > this.wm) {
      this.wm = held;
      this.out.watermark(held);
    }
  }

  snapshot(): unknown {
    const rows: Value[][] = [];
    for (const list of this.partitions.values()) for (const r of list) rows.push([r.seq, ...r.values]);
    return { rows, seq: this.seq };
  }

  restore(state: unknown): void {
    const s = state as { rows: Value[][]; seq: number };
    this.partitions.clear();
    this.floor.clear();
    for (const r of s.rows) {
      const e = { seq: r[0] as number, values: r.slice(1) };
      const pk = partitionKey(this.node.partitionBy.map((p) => e.values[p]!));
      let list = this.partitions.get(pk);
      if (!list) this.partitions.set(pk, (list = []));
      list.push(e);
      this.floor.add(e);
    }
    for (const list of this.partitions.values()) list.sort(this.compare);
    this.seq = s.seq;
  }

  stateSize(): number {
    let n = 0;
    for (const list of this.partitions.values()) n += list.length;
    return n;
  }

  close(): void {}
}
