/**
 * INTERSECT / EXCEPT [ALL]: the rows of an aggregate's changelog that holds, per distinct
 * row, how often each side has it (`cols…, left, right`; see SetOpNode). The counts live in
 * that aggregate's state, so this operator keeps none: each change of a row's counts becomes
 * the change of how many copies the result holds — an update's -U and +U (which the
 * aggregate emits next to each other) are netted, so a row whose copies did not change
 * emits nothing, one that gained copies emits that many +I and one that lost some, -D.
 */
import type { Data, Schema as ArrowSchema } from 'apache-arrow';
import type { SetOpNode } from '../../plan/logical-plan.js';
import {
  arrowSchema,
  columnsOf,
  isValid,
  makeRecordBatch,
  OP_DELETE,
  OP_INSERT,
  OP_UPDATE_AFTER,
  OP_UPDATE_BEFORE,
  type ChangeBatch,
} from '../batch.js';
import { gather } from '../vector/gather.js';
import type { Emitter } from '../operator.js';
import { StatelessOperator } from './stateless.js';

export class SetOpOperator extends StatelessOperator {
  private readonly schema: ArrowSchema;
  private readonly copies: (left: number, right: number) => number;
  private readonly width: number;

  constructor(out: Emitter, node: SetOpNode) {
    super(out);
    this.width = node.schema.length;
    this.schema = arrowSchema(node.schema);
    this.copies =
      node.op === 'INTERSECT'
        ? node.all
          ? (l, r) => Math.min(l, r)
          : (l, r) => (l > 0 && r > 0 ? 1 : 0)
        : node.all
          ? (l, r) => Math.max(l - r, 0)
          : (l, r) => (l > 0 && r === 0 ? 1 : 0);
  }

  process(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const left = cols[this.width]!;
    const right = cols[this.width + 1]!;
    const n = batch.length;
    const ops = batch.ops;
    let sel = new Int32Array(n);
    let outOps = new Uint8Array(n);
    let m = 0;
    const emit = (row: number, op: number, times: number): void => {
      if (m + times > sel.length) {
        const size = Math.max(sel.length * 2, m + times);
        const s = new Int32Array(size);
        s.set(sel.subarray(0, m));
        sel = s;
        const o = new Uint8Array(size);
        o.set(outOps.subarray(0, m));
        outOps = o;
      }
      for (let t = 0; t < times; t++) {
        sel[m] = row;
        outOps[m++] = op;
      }
    };
    for (let i = 0; i < n; i++) {
      const op = ops === null ? OP_INSERT : ops[i]!;
      const now = this.copies(count(left, i), count(right, i));
      if (op === OP_UPDATE_BEFORE && i + 1 < n && ops![i + 1] === OP_UPDATE_AFTER) {
        const next = this.copies(count(left, i + 1), count(right, i + 1));
        if (next > now) emit(i + 1, OP_INSERT, next - now);
        else if (next < now) emit(i, OP_DELETE, now - next);
        i++;
      } else if (op === OP_UPDATE_BEFORE || op === OP_DELETE) {
        emit(i, OP_DELETE, now);
      } else {
        emit(i, OP_INSERT, now);
      }
    }
    if (m === 0) return;
    const rows = sel.subarray(0, m);
    let wm: Float64Array | null = null;
    if (batch.wm !== null) {
      wm = new Float64Array(m);
      for (let k = 0; k < m; k++) wm[k] = batch.wm[rows[k]!]!;
    }
    const data = makeRecordBatch(this.schema, gather(cols.slice(0, this.width), rows, m), m);
    this.out.push({ data, length: m, ops: outOps.slice(0, m), wm, wmConst: batch.wmConst, origin: null });
  }
}

function count(d: Data, i: number): number {
  return isValid(d, i) ? Number((d.values as Float64Array)[i]) : 0;
}
