/**
 * Generator-only throughput of the Nexmark source (not part of `npm test`):
 * `npx vitest bench test/bench/nexmark-generator.bench.ts`. Each iteration generates
 * 1,000,000 rows in 8192-row batches, so rows/s = ops/s × 10^6.
 */
import { bench, describe } from 'vitest';
import { NexmarkGenerator } from '../../src/connectors/nexmark/generator.js';
import type { NexmarkTable } from '../../src/connectors/nexmark/schemas.js';

const ROWS = 1_000_000;
const BATCH = 8192;

function run(table: NexmarkTable, columns?: string[]): void {
  const g = new NexmarkGenerator(table, {}, columns ? { columns } : {});
  for (let n = 0; n < ROWS; ) n += g.nextBatch(BATCH)!.data.numRows;
}

describe('nexmark generator, 1M rows per op', () => {
  bench('bid, all columns', () => run('bid'), { time: 3000 });
  bench('bid, auction/bidder/price/date_time', () => run('bid', ['auction', 'bidder', 'price', 'date_time']), { time: 3000 });
  bench('auction, all columns', () => run('auction'), { time: 3000 });
  bench('person, all columns', () => run('person'), { time: 3000 });
});
