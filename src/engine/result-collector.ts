/**
 * Collects the output of a transient query: folds its changelog into the current result
 * (a multiset of rows, in first-arrival order) and, when asked, keeps the changes themselves.
 */
import { valueJson } from '../value-json.js';
import { columnsOf, isRetraction, OP_NAMES, readValue, type ChangeBatch, type OpName } from '../exec/batch.js';
import type { Emitter } from '../exec/operator.js';
import { compareValues } from '../exec/operators/ordered-rows.js';
import type { SortKey } from '../plan/logical-plan.js';
import type { Schema, Value } from '../types.js';

export interface CollectedChange {
  readonly op: OpName;
  readonly values: Value[];
}

export class ResultCollector implements Emitter {
  private readonly rows = new Map<string, { values: Value[]; count: number }>();
  readonly changes: CollectedChange[] = [];
  watermarkSeen = -Infinity;

  constructor(
    private readonly schema: Schema,
    private readonly keepChanges: boolean,
    private readonly onChange?: (c: CollectedChange) => void,
  ) {}

  push(b: ChangeBatch): void {
    const cols = columnsOf(b);
    for (let i = 0; i < b.length; i++) {
      const values = this.schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const op = b.ops === null ? 0 : b.ops[i]!;
      const key = valueJson(values);
      const cur = this.rows.get(key);
      if (isRetraction(op)) {
        if (cur) {
          cur.count--;
          if (cur.count === 0) this.rows.delete(key);
        }
      } else if (cur) cur.count++;
      else this.rows.set(key, { values, count: 1 });
      if (this.keepChanges || this.onChange) {
        const change = { op: OP_NAMES[op]!, values };
        if (this.keepChanges) this.changes.push(change);
        this.onChange?.(change);
      }
    }
  }

  watermark(wm: number): void {
    this.watermarkSeen = wm;
  }

  /** The current result, each row as often as it occurs; sorted when `orderBy` is given. */
  result(orderBy?: readonly SortKey[]): Value[][] {
    const out: Value[][] = [];
    for (const r of this.rows.values()) for (let k = 0; k < r.count; k++) out.push(r.values);
    if (orderBy && orderBy.length > 0) {
      out.sort((a, b) => {
        for (const k of orderBy) {
          const c = compareValues(a[k.column]!, b[k.column]!, k);
          if (c !== 0) return c;
        }
        return 0;
      });
    }
    return out;
  }

  get size(): number {
    let n = 0;
    for (const r of this.rows.values()) n += r.count;
    return n;
  }
}
