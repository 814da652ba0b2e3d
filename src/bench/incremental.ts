/**
 * Incremental maintenance against recomputation. A source fed through the API holds `bids`
 * generated bids and a windowed materialized view over it (bids and top price per auction
 * and 10-second tumbling window, EMIT CHANGES, so new bids show at once). Timed, per round:
 * sluice takes 1,000 more bids (`engine.insert`) and answers a pull query on the view
 * (the hottest auctions of the latest window); DuckDB, holding the same bids plus the new
 * ones, recomputes the view from all of them and answers the same pull query. The ratio is
 * DuckDB's time over sluice's.
 *
 * The bids go through the API rather than the nexmark connector because a connector source
 * is bounded or endless, and a user appending after the fact is the case that matters here.
 */
import { performance } from 'node:perf_hooks';
import { Engine } from '../engine/engine.js';
import { NexmarkGenerator } from '../connectors/nexmark/generator.js';
import { Database } from '../state/database.js';

const COLUMNS = ['auction', 'bidder', 'price', 'date_time'];
const LOAD_BATCH = 1 << 16;

const SOURCE = `CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)`;

const VIEW_QUERY = `SELECT auction, window_start, window_end, COUNT(*) AS bids, MAX(price) AS top_price
FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND)
GROUP BY auction, window_start, window_end`;

const DUCK_VIEW_QUERY = `SELECT auction, time_bucket(INTERVAL '10 seconds', date_time, TIMESTAMP '1970-01-01') AS window_start,
  time_bucket(INTERVAL '10 seconds', date_time, TIMESTAMP '1970-01-01') + INTERVAL '10 seconds' AS window_end,
  count(*) AS bids, max(price) AS top_price
FROM bid GROUP BY auction, window_start, window_end`;

const PULL = `SELECT auction, bids, top_price FROM auction_activity
WHERE window_start = (SELECT max(window_start) FROM auction_activity)
ORDER BY bids DESC, auction LIMIT 10`;

export interface IncrementalResult {
  readonly query: 'incremental';
  readonly bids: number;
  readonly batch: number;
  readonly rounds: number;
  /** Median per round: insert the batch and answer the pull query. */
  readonly sluice_ms: number;
  /** Median per round: recompute the view from all bids and answer the pull query. */
  readonly duckdb_recompute_ms: number;
  readonly ratio: number;
  readonly answers_match: boolean;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runIncremental(bids: number, batch = 1000, rounds = 5): Promise<IncrementalResult> {
  const engine = await Engine.open();
  const duck = await Database.open();
  try {
    await duck.run('SET threads = 1');
    await duck.run('CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP)');
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW auction_activity AS ${VIEW_QUERY};`);
    const gen = new NexmarkGenerator('bid', {}, { columns: COLUMNS });
    const feed = async (n: number): Promise<void> => {
      while (n > 0) {
        const b = gen.nextBatch(Math.min(n, LOAD_BATCH))!;
        await engine.insert('bid', b.data);
        const cols = b.data.data.children;
        await duck.append('bid', COLUMNS.map((_, j) => ({ type: j === 3 ? ('TIMESTAMP' as const) : ('BIGINT' as const), data: cols[j]! })), b.data.numRows);
        n -= b.data.numRows;
      }
    };
    await feed(bids);
    await engine.query(PULL);
    const sluiceMs: number[] = [];
    const duckMs: number[] = [];
    let match = true;
    for (let r = 0; r < rounds; r++) {
      const b = gen.nextBatch(batch)!;
      const t0 = performance.now();
      await engine.insert('bid', b.data);
      const answer = await engine.query(PULL);
      sluiceMs.push(performance.now() - t0);
      const cols = b.data.data.children;
      await duck.append('bid', COLUMNS.map((_, j) => ({ type: j === 3 ? ('TIMESTAMP' as const) : ('BIGINT' as const), data: cols[j]! })), b.data.numRows);
      const t1 = performance.now();
      await duck.run(`CREATE OR REPLACE TABLE auction_activity AS ${DUCK_VIEW_QUERY}`);
      const expected = await duck.query(PULL);
      duckMs.push(performance.now() - t1);
      const got = answer.map((row) => JSON.stringify(Object.values(row)));
      const want = expected.rows.map((row) => JSON.stringify(row));
      if (got.join('\n') !== want.join('\n')) match = false;
    }
    const s = median(sluiceMs);
    const d = median(duckMs);
    return { query: 'incremental', bids, batch, rounds, sluice_ms: s, duckdb_recompute_ms: d, ratio: d / s, answers_match: match };
  } finally {
    await engine.close();
    duck.close();
  }
}
