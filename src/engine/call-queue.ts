/**
 * The engine's one queue: its calls run one after another and never interleave, so an
 * insert resolves after its events are reflected in every view that reads the source.
 */
import { SluiceError, toSluiceError } from '../errors.js';

export class CallQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Called as each call is queued (the inserter closes its open group: calls keep their order). */
  onQueued: () => void = () => undefined;

  constructor(private readonly closed: () => boolean) {}

  /** Runs `f` after every call queued before it; a failed call does not block the next. */
  run<T>(f: () => Promise<T>): Promise<T> {
    this.onQueued();
    const run = async (): Promise<T> => {
      if (this.closed()) throw new SluiceError('STATE', 'the engine is closed');
      try {
        return await f();
      } catch (e) {
        throw toSluiceError(e);
      }
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
