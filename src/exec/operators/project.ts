/** Computes the output columns from the input columns, one compiled expression each. */
import type { Schema as ArrowSchema } from 'apache-arrow';
import type { BoundExpr } from '../../plan/expr.js';
import type { Schema } from '../../types.js';
import { arrowSchema, columnsOf, type ChangeBatch } from '../batch.js';
import { withColumns } from '../batch-ops.js';
import { compileExpr, type CompiledExpr } from '../expr/compile.js';
import type { Emitter } from '../operator.js';
import { StatelessOperator } from './stateless.js';

export class ProjectOperator extends StatelessOperator {
  private readonly exprs: CompiledExpr[];
  private readonly schema: ArrowSchema;

  constructor(
    out: Emitter,
    exprs: readonly BoundExpr[],
    schema: Schema,
    private readonly params: readonly unknown[] = [],
  ) {
    super(out);
    this.exprs = exprs.map((e) => compileExpr(e));
    this.schema = arrowSchema(schema);
  }

  process(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const n = batch.length;
    this.out.push(withColumns(batch, this.schema, this.exprs.map((e) => e.evaluate(cols, n, this.params as never))));
  }
}
