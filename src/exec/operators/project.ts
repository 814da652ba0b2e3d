/**
 * Computes the output columns from the input columns, one compiled expression each. Over a
 * changelog, an update (-U immediately followed by +U) whose two rows project to the same
 * row is dropped: the result did not change, so it emits nothing.
 */
import type { Data, Schema as ArrowSchema } from 'apache-arrow';
import type { BoundExpr } from '../../plan/expr.js';
import type { Schema } from '../../types.js';
import { arrowSchema, columnsOf, isValid, OP_UPDATE_AFTER, OP_UPDATE_BEFORE, type ChangeBatch } from '../batch.js';
import { selectRows, withColumns } from '../batch-ops.js';
import { compileExpr, type CompiledExpr } from '../expr/compile.js';
import type { Emitter } from '../operator.js';
import { StatelessOperator } from './stateless.js';
import { forwardRowKeys } from '../row-keys.js';

export class ProjectOperator extends StatelessOperator {
  private readonly exprs: CompiledExpr[];
  private readonly schema: ArrowSchema;
  /** Per output column, the input column it copies unchanged (-1: computed): where row keys go. */
  private readonly source: readonly number[];

  constructor(
    out: Emitter,
    exprs: readonly BoundExpr[],
    schema: Schema,
    private readonly params: readonly unknown[] = [],
  ) {
    super(out);
    this.exprs = exprs.map((e) => compileExpr(e));
    this.schema = arrowSchema(schema);
    this.source = exprs.map((e, j) => (e.kind === 'Column' && e.type === schema[j]!.type ? e.index : -1));
  }

  process(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const n = batch.length;
    const outCols = this.exprs.map((e) => e.evaluate(cols, n, this.params as never));
    const out = withColumns(batch, this.schema, outCols);
    if (batch.ops === null) {
      forwardRowKeys(batch.data, out.data, this.source);
      return this.out.push(out);
    }
    const kept = dropUnchangedUpdates(out, batch.ops, outCols);
    if (kept === null) return;
    forwardRowKeys(batch.data, kept.batch.data, this.source, kept.sel);
    this.out.push(kept.batch);
  }
}

/** The batch without its -U/+U pairs of equal rows, and the rows kept (null: all); null when nothing is left. */
function dropUnchangedUpdates(b: ChangeBatch, ops: Uint8Array, cols: readonly Data[]): { batch: ChangeBatch; sel: Int32Array | null } | null {
  const n = b.length;
  // Numbers first: an update usually changes an aggregate, found before comparing any text.
  const order = [...cols].sort((x, y) => textRank(x) - textRank(y));
  let sel: Int32Array | null = null;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (ops[i] === OP_UPDATE_BEFORE && ops[i + 1] === OP_UPDATE_AFTER && i + 1 < n && sameRow(order, i, i + 1)) {
      if (sel === null) {
        sel = new Int32Array(n);
        for (let k = 0; k < i; k++) sel[k] = k;
        m = i;
      }
      i++;
      continue;
    }
    if (sel !== null) sel[m++] = i;
  }
  if (sel === null) return { batch: b, sel: null };
  return m === 0 ? null : { batch: selectRows(b, sel, m), sel };
}

function textRank(d: Data): number {
  return d.valueOffsets !== undefined && d.valueOffsets !== null ? 1 : 0;
}

/** True when rows i and j hold the same values (NULLs equal, NaN equal) in every column. */
function sameRow(cols: readonly Data[], i: number, j: number): boolean {
  for (const d of cols) {
    const vi = isValid(d, i);
    if (vi !== isValid(d, j)) return false;
    if (!vi) continue;
    const values = d.values as Float64Array | Int32Array | Uint8Array;
    if (d.valueOffsets !== undefined && d.valueOffsets !== null) {
      const off = d.valueOffsets as Int32Array;
      const len = off[i + 1]! - off[i]!;
      if (len !== off[j + 1]! - off[j]!) return false;
      for (let k = 0; k < len; k++) if (values[off[i]! + k] !== values[off[j]! + k]) return false;
    } else if (values instanceof Uint8Array) {
      if (((values[i >> 3]! >> (i & 7)) & 1) !== ((values[j >> 3]! >> (j & 7)) & 1)) return false;
    } else if (values !== undefined && values[i] !== values[j] && !(values[i] !== values[i] && values[j] !== values[j])) {
      return false;
    }
  }
  return true;
}
