/** Forwards everything unchanged (ORDER BY without LIMIT: order is applied when results are read). */
import type { ChangeBatch } from '../batch.js';
import { StatelessOperator } from './stateless.js';

export class PassThroughOperator extends StatelessOperator {
  process(batch: ChangeBatch): void {
    this.out.push(batch);
  }
}
