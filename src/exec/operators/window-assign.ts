/**
 * The window table functions TUMBLE, HOP and CUMULATE without aggregation: each row is
 * repeated once per window it belongs to, with window_start, window_end and window_time
 * added. Stateless, so late rows pass like any other (SPEC 2.5). The watermark is held back
 * to the start of the first window a row at the watermark falls in: window_start is an
 * event-time column, and a later row's can be below the input watermark.
 */
import type { Schema as ArrowSchema } from 'apache-arrow';
import type { WindowDef } from '../../plan/logical-plan.js';
import type { Schema } from '../../types.js';
import { arrowSchema, columnsOf, type ChangeBatch } from '../batch.js';
import { selectRows, withColumns } from '../batch-ops.js';
import type { Emitter } from '../operator.js';
import { float64Column } from '../vector/columns.js';
import { assignWindows, firstOpenStart, maxWindowsPerRow } from '../window/window-math.js';
import { StatelessOperator } from './stateless.js';

export class WindowAssignOperator extends StatelessOperator {
  private readonly schema: ArrowSchema;
  private readonly kind: 'TUMBLE' | 'HOP' | 'CUMULATE';

  constructor(
    out: Emitter,
    private readonly window: WindowDef,
    outputSchema: Schema,
  ) {
    super(out);
    if (window.kind === 'SESSION') throw new Error('SESSION windows are assigned by their aggregation');
    this.kind = window.kind;
    this.schema = arrowSchema(outputSchema);
  }

  process(batch: ChangeBatch): void {
    const n = batch.length;
    const { size, slide, offset, timeCol } = this.window;
    const tsCol = columnsOf(batch)[timeCol]!;
    const ts = tsCol.values as Float64Array;
    const valid = tsCol.nullCount > 0 ? tsCol.nullBitmap : null;
    const cap = n * maxWindowsPerRow(this.kind, size, slide);
    const sel = new Int32Array(cap);
    const starts = new Float64Array(cap);
    const ends = new Float64Array(cap);
    let m = 0;
    for (let i = 0; i < n; i++) {
      // A row without event time belongs to no window.
      if (valid && ((valid[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const k = assignWindows(this.kind, ts[i]!, size, slide, offset, starts, ends, m);
      for (let j = 0; j < k; j++) sel[m + j] = i;
      m += k;
    }
    if (m === 0) return;
    const rows = selectRows(batch, sel, m);
    const times = new Float64Array(m);
    for (let i = 0; i < m; i++) times[i] = ends[i]! - 1;
    const cols = [
      ...columnsOf(rows),
      float64Column(starts.subarray(0, m)),
      float64Column(ends.subarray(0, m)),
      float64Column(times),
    ];
    // A row's stamp is held back as the watermark is: its window_start may be below its own.
    const { kind } = this;
    const held = (w: number) => firstOpenStart(kind, w, size, slide, offset);
    const wm = rows.wm === null ? null : rows.wm.map(held);
    this.out.push({ ...withColumns(rows, this.schema, cols), wm, wmConst: held(rows.wmConst) });
  }

  override onWatermark(wm: number): void {
    const held = firstOpenStart(this.kind, wm, this.window.size, this.window.slide, this.window.offset);
    if (held > this.held) {
      this.held = held;
      this.out.watermark(held);
    }
  }

  private held = -Infinity;
}
