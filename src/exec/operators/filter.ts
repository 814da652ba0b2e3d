/** Keeps the rows whose predicate is TRUE; changelog rows are filtered the same way. */
import type { ChangeBatch } from '../batch.js';
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
    if (batch.length === 0) return;
    const { sel, count } = this.predicate.select(columnsOf(batch), batch.length, this.params as never);
    if (count > 0) this.out.push(selectRows(batch, sel, count));
  }
}
