/**
 * Concatenates inputs. Batches pass through unchanged; the output watermark is the minimum
 * of the inputs', and each row is stamped with the watermark in effect downstream when it
 * arrived (its own input's may be ahead of the others').
 */
import type { ChangeBatch } from '../batch.js';
import { WatermarkMerger, type Emitter, type Operator } from '../operator.js';

export class UnionOperator implements Operator {
  private readonly merger: WatermarkMerger;

  constructor(
    private readonly out: Emitter,
    inputs: number,
  ) {
    this.merger = new WatermarkMerger(inputs);
  }

  process(batch: ChangeBatch): void {
    const cur = this.merger.current;
    if (batch.wm === null) {
      this.out.push(batch.wmConst > cur ? { ...batch, wmConst: cur } : batch);
      return;
    }
    let wm: Float64Array | null = null;
    for (let i = 0; i < batch.length; i++) {
      if (batch.wm[i]! > cur) {
        wm ??= batch.wm.slice();
        wm[i] = cur;
      }
    }
    this.out.push(wm ? { ...batch, wm } : batch);
  }

  onWatermark(wm: number, input: number): void {
    const next = this.merger.update(input, wm);
    if (next !== undefined) this.out.watermark(next);
  }

  snapshot(): unknown {
    return this.merger.save();
  }

  restore(state: unknown): void {
    this.merger.load(state as (number | null)[]);
  }

  stateSize(): number {
    return 0;
  }

  close(): void {}
}
