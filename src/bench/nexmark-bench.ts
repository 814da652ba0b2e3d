/** `sluice bench nexmark`: not yet built (issue: Nexmark benchmark). */
import { SluiceError } from '../errors.js';

export interface BenchOptions {
  readonly query?: string;
  readonly events?: number;
  readonly json: boolean;
}

export async function runNexmarkBench(_options: BenchOptions): Promise<void> {
  throw new SluiceError('UNSUPPORTED', 'sluice bench nexmark is not built yet');
}
