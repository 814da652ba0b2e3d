/** The interactive shell (ink). */
import { SluiceError } from '../../src/errors.js';
import type { ReplOptions } from '../start.js';

export async function runInteractive(_options: ReplOptions): Promise<void> {
  throw new SluiceError('UNSUPPORTED', 'the interactive REPL is not built yet; pipe statements into sluice or use sluice run');
}
