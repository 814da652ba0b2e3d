/** Base of single-input operators without state: watermarks pass straight through. */
import type { ChangeBatch } from '../batch.js';
import type { Emitter, Operator } from '../operator.js';

export abstract class StatelessOperator implements Operator {
  constructor(protected readonly out: Emitter) {}

  abstract process(batch: ChangeBatch, input: number): void;

  onWatermark(wm: number): void {
    this.out.watermark(wm);
  }

  snapshot(): null {
    return null;
  }

  restore(): void {}

  stateSize(): number {
    return 0;
  }

  close(): void {}
}
