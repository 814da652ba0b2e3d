/**
 * ORDER BY … LIMIT n over a stream: keeps the rows in order and emits the changes of the
 * first n (+I for a row that enters, -D for one pushed out). Over an append-only input only
 * the first n rows are kept (no later row can bring back a row pushed out); over a changelog
 * every row is kept, so a retraction can pull the next one up.
 */
import type { SortKey, TopNNode } from '../../plan/logical-plan.js';
import type { Value } from '../../types.js';
import { columnsOf, isRetraction, OP_DELETE, OP_INSERT, readValue, type ChangeBatch } from '../batch.js';
import type { Emitter, Operator } from '../operator.js';
import { OutputBuilder } from '../output-builder.js';

interface Entry {
  readonly values: Value[];
  readonly seq: number;
}

/** SQL ordering of two values under a sort key (NULLS LAST unless asked otherwise). */
export function compareValues(a: Value, b: Value, key: Pick<SortKey, 'desc' | 'nullsFirst'>): number {
  if (a === b) return 0;
  if (a === null) return key.nullsFirst ? -1 : 1;
  if (b === null) return key.nullsFirst ? 1 : -1;
  const c = a < b ? -1 : a > b ? 1 : 0;
  return key.desc ? -c : c;
}

export class TopNOperator implements Operator {
  private rows: Entry[] = [];
  private seq = 0;
  private readonly limit: number;
  private readonly output: OutputBuilder;
  private wm = -Infinity;

  constructor(
    private readonly out: Emitter,
    private readonly node: TopNNode,
  ) {
    this.limit = node.limit ?? Infinity;
    this.output = new OutputBuilder(node.schema);
  }

  private compare = (a: Entry, b: Entry): number => {
    for (const k of this.node.orderBy) {
      const c = compareValues(a.values[k.column]!, b.values[k.column]!, k);
      if (c !== 0) return c;
    }
    return a.seq - b.seq;
  };

  private insertSorted(e: Entry): void {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(this.rows[mid]!, e) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.rows.splice(lo, 0, e);
  }

  process(batch: ChangeBatch): void {
    const before = new Set(this.rows.slice(0, this.limit));
    const cols = columnsOf(batch);
    const schema = this.node.schema;
    for (let i = 0; i < batch.length; i++) {
      const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
      if (batch.ops !== null && isRetraction(batch.ops[i]!)) {
        const at = this.rows.findIndex((r) => r.values.every((v, j) => v === values[j]));
        if (at >= 0) this.rows.splice(at, 1);
      } else {
        this.insertSorted({ values, seq: this.seq++ });
      }
    }
    if (this.node.input.appendOnly && this.rows.length > this.limit) this.rows.length = this.limit;
    const after = this.rows.slice(0, this.limit);
    const afterSet = new Set(after);
    for (const r of before) {
      if (!afterSet.has(r)) {
        this.output.row(OP_DELETE);
        this.output.values(0, r.values);
      }
    }
    for (const r of after) {
      if (!before.has(r)) {
        this.output.row(OP_INSERT);
        this.output.values(0, r.values);
      }
    }
    const b = this.output.finish(this.wm, false);
    if (b) this.out.push(b);
  }

  onWatermark(wm: number): void {
    this.wm = wm;
    this.out.watermark(wm);
  }

  snapshot(): unknown {
    return { rows: this.rows.map((r) => r.values), seq: this.seq };
  }

  restore(state: unknown): void {
    const s = state as { rows: Value[][]; seq: number };
    this.rows = s.rows.map((values, i) => ({ values, seq: i }));
    this.seq = s.seq;
  }

  stateSize(): number {
    return this.rows.length;
  }

  close(): void {}
}
