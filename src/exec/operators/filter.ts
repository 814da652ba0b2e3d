/**
 * Keeps the rows whose predicate is TRUE; changelog rows are filtered the same way. An
 * update (-U immediately followed by +U) whose rows fall on different sides of the predicate
 * leaves one row, and its change kind says what happened to the result: the row left it
 * (-D) or entered it (+I) — as a HAVING clause over a changing group needs.
 */
import { OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE, type ChangeBatch } from '../batch.js';
import { selectRows } from '../batch-ops.js';
import { columnsOf } from '../batch.js';
import { compilePredicate, type CompiledPredicate } from '../expr/compile.js';
import type { BoundExpr } from '../../plan/expr.js';
import type { Emitter } from '../operator.js';
import { StatelessOperator } from './stateless.js';

export class FilterOperator extends StatelessOperator {
  private readonly predicate: CompiledPredicate;

  constructor(
    out: Emitter,
    predicate: BoundExpr,
    private readonly params: readonly unknown[] = [],
  ) {
    super(out);
    this.predicate = compilePredicate(predicate);
  }

  process(batch: ChangeBatch): void {
    const n = batch.length;
    if (n === 0) return;
    const { sel, count } = this.predicate.select(columnsOf(batch), n, this.params as never);
    if (count === 0) return;
    const out = selectRows(batch, sel, count);
    this.out.push(batch.ops === null || count === n ? out : { ...out, ops: splitUpdates(batch.ops, sel, count) });
  }
}

/** The change kinds of the selected rows, with updates cut in half by the filter turned into -D or +I. */
function splitUpdates(ops: Uint8Array, sel: Int32Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const i = sel[k]!;
    const op = ops[i]!;
    out[k] = op;
    if (op === OP_UPDATE_BEFORE && ops[i + 1] === OP_UPDATE_AFTER) {
      if (k + 1 < count && sel[k + 1] === i + 1) out[++k] = OP_UPDATE_AFTER; // both halves kept
      else out[k] = OP_DELETE;
    } else if (op === OP_UPDATE_AFTER && i > 0 && ops[i - 1] === OP_UPDATE_BEFORE && (k === 0 || sel[k - 1] !== i - 1)) {
      out[k] = OP_INSERT;
    }
  }
  return out;
}
