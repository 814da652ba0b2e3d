import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { NexmarkGenerator } from '../../src/connectors/nexmark/generator.js';
import { columnsOf } from '../../src/exec/batch.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/** SUM(price) over the first `rows` bids of seed 0, straight from the generator. */
function priceSum(rows: number): number {
  const g = new NexmarkGenerator('bid', {}, { columns: ['price'] });
  let sum = 0;
  for (let left = rows; left > 0; ) {
    const b = g.nextBatch(Math.min(left, 8192))!;
    const v = columnsOf(b.data)[0]!.values as Float64Array;
    for (let i = 0; i < b.data.numRows; i++) sum += v[i]!;
    left -= b.data.numRows;
  }
  return sum;
}

async function until(f: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('source runtime: the shared reader makes only the columns read', () => {
  it('reopens where it stands when a view that reads more columns joins mid-stream', async () => {
    engine = await Engine.open({ background: true });
    await engine.execute(`SET batch_size = 500`);
    await engine.execute(`CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP)
      WITH (connector = 'nexmark', table = 'bid')`);
    // Reads bidder only: the shared reader leaves price NULL.
    await engine.execute(`CREATE MATERIALIZED VIEW by_bidder AS SELECT bidder, COUNT(*) AS n FROM bid GROUP BY bidder`);
    const read = async () => Number((await engine!.query(`SELECT coalesce(sum(n), 0) AS n FROM by_bidder`))[0]!['n']);
    await until(async () => (await read()) >= 5_000);
    // Joins after the reader passed thousands of rows: catches up, then reads price live.
    await engine.execute(`CREATE MATERIALIZED VIEW prices AS SELECT COUNT(*) AS n, COUNT(price) AS priced, SUM(price) AS total FROM bid`);
    const start = await read();
    await until(async () => (await read()) >= start + 5_000);
    // One pull query: both views as of the same moment.
    const [p] = await engine.query(`SELECT n, priced, total, (SELECT sum(n) FROM by_bidder) AS seen FROM prices`);
    const n = Number(p!['n']);
    expect(n).toBeGreaterThan(start);
    expect(Number(p!['priced'])).toBe(n);
    expect(Number(p!['total'])).toBe(priceSum(n));
    // The first view was not disturbed by the reopen: it has seen the same bids.
    expect(Number(p!['seen'])).toBe(n);
  });
});
