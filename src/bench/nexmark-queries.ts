/**
 * The queries `sluice bench nexmark` runs: the Nexmark suite q0–q22 and three extra windowed
 * benchmarks, each a file in queries/nexmark/ (the one text both `sluice run` and the bench
 * execute), paired with the same query as DuckDB batch SQL over tables of the generated
 * events (the oracle and the speed reference).
 *
 * The DuckDB texts are written independently of sluice's: windows with time_bucket and a
 * cross join (hop), sessions as gaps-and-islands, FILTER clauses and strftime where the
 * sluice files use CASE and substrings. They must yield the view's columns in order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '../../grammar/index.js';

/** A benchmark query: its name (the file's and the result relation's) and its DuckDB twin. */
export interface BenchQuery {
  readonly name: string;
  /** The same result as DuckDB SQL over tables person, auction and bid; null when there is none yet. */
  readonly duckdb: string | null;
}

const EPOCH = "TIMESTAMP '1970-01-01 00:00:00'";
const bucket = (size: string) => `time_bucket(INTERVAL '${size}', date_time, ${EPOCH})`;
const DAY = "strftime(date_time, '%Y-%m-%d')";
const EUROS = '0.908::DOUBLE * price';

const RANK_COUNTS = `count(*) AS total_bids,
  count(*) FILTER (WHERE price < 10000) AS rank1_bids,
  count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
  count(*) FILTER (WHERE price >= 1000000) AS rank3_bids`;

const DISTINCT_COUNTS = ['bidder', 'auction']
  .map(
    (c) => `count(DISTINCT ${c}) AS total_${c}s,
  count(DISTINCT ${c}) FILTER (WHERE price < 10000) AS rank1_${c}s,
  count(DISTINCT ${c}) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_${c}s,
  count(DISTINCT ${c}) FILTER (WHERE price >= 1000000) AS rank3_${c}s`,
  )
  .join(',\n  ');

/** Bids grouped into per-bidder sessions (gap 10 s: rows exactly 10 s apart stay apart, SPEC 2.5). */
const SESSIONS = `WITH marked AS (
  SELECT bidder, date_time,
    CASE WHEN date_time - lag(date_time) OVER (PARTITION BY bidder ORDER BY date_time) < INTERVAL '10 seconds' THEN 0 ELSE 1 END AS starts
  FROM bid
), numbered AS (
  SELECT bidder, date_time, sum(starts) OVER (PARTITION BY bidder ORDER BY date_time ROWS UNBOUNDED PRECEDING) AS session
  FROM marked
)
SELECT bidder, count(*) AS bid_count, min(date_time) AS starttime, max(date_time) + INTERVAL '10 seconds' AS endtime
FROM numbered GROUP BY bidder, session`;

/** The queries in the order the bench runs them. */
export const BENCH_QUERIES: readonly BenchQuery[] = [
  { name: 'q0', duckdb: 'SELECT auction, bidder, price, date_time, extra FROM bid' },
  { name: 'q1', duckdb: `SELECT auction, bidder, ${EUROS} AS price, date_time, extra FROM bid` },
  { name: 'q2', duckdb: 'SELECT auction, price FROM bid WHERE auction % 123 = 0' },
  { name: 'q3', duckdb: null },
  { name: 'q4', duckdb: null },
  { name: 'q5', duckdb: null },
  { name: 'q6', duckdb: null },
  { name: 'q7', duckdb: null },
  { name: 'q8', duckdb: null },
  { name: 'q9', duckdb: null },
  {
    name: 'q10',
    duckdb: `SELECT auction, bidder, price, date_time, extra, ${DAY} AS dt, strftime(date_time, '%H:%M') AS hm FROM bid`,
  },
  { name: 'q11', duckdb: SESSIONS },
  {
    name: 'q12',
    duckdb: `SELECT bidder, count(*) AS bid_count, ${bucket('10 seconds')} AS starttime, ${bucket('10 seconds')} + INTERVAL '10 seconds' AS endtime
FROM bid GROUP BY bidder, starttime`,
  },
  { name: 'q13', duckdb: null },
  {
    name: 'q14',
    duckdb: `SELECT auction, bidder, ${EUROS} AS price,
  CASE WHEN hour(date_time) BETWEEN 8 AND 18 THEN 'dayTime'
       WHEN hour(date_time) <= 6 OR hour(date_time) >= 20 THEN 'nightTime'
       ELSE 'otherTime' END AS bid_time_type,
  date_time, extra
FROM bid WHERE ${EUROS} > 1000000 AND ${EUROS} < 50000000`,
  },
  { name: 'q15', duckdb: `SELECT ${DAY} AS day, ${RANK_COUNTS},\n  ${DISTINCT_COUNTS}\nFROM bid GROUP BY day` },
  {
    name: 'q16',
    duckdb: `SELECT channel, ${DAY} AS day, max(strftime(date_time, '%H:%M')) AS minute, ${RANK_COUNTS},\n  ${DISTINCT_COUNTS}\nFROM bid GROUP BY channel, day`,
  },
  {
    name: 'q17',
    duckdb: `SELECT auction, ${DAY} AS day, ${RANK_COUNTS},
  min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price
FROM bid GROUP BY auction, day`,
  },
  { name: 'q18', duckdb: null },
  { name: 'q19', duckdb: null },
  { name: 'q20', duckdb: null },
  { name: 'q21', duckdb: null },
  { name: 'q22', duckdb: null },
  {
    name: 'hop_count',
    duckdb: `SELECT auction, count(*) AS num, window_start, window_end FROM (
  SELECT auction, ${bucket('2 seconds')} - k * INTERVAL '2 seconds' AS window_start,
    ${bucket('2 seconds')} - k * INTERVAL '2 seconds' + INTERVAL '10 seconds' AS window_end
  FROM bid, range(5) AS hops(k)
) GROUP BY auction, window_start, window_end`,
  },
  {
    name: 'tumble_max',
    duckdb: `SELECT ${bucket('10 seconds')} AS window_start, ${bucket('10 seconds')} + INTERVAL '10 seconds' AS window_end, max(price) AS max_price
FROM bid GROUP BY window_start, window_end`,
  },
  { name: 'q11_sessions', duckdb: SESSIONS },
];

export function findQuery(name: string): BenchQuery | undefined {
  return BENCH_QUERIES.find((q) => q.name === name.toLowerCase());
}

/** The folder of the query files: queries/nexmark/ of the package (found from dist/ or src/). */
export function queriesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'queries', 'nexmark');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find the queries/nexmark folder of the sluice package');
}

/** A query file made ready to run with a given number of events. */
export interface QueryScript {
  /** The statements that set the query up (sources, views, sinks), without the file's sample SELECTs. */
  readonly setup: string;
  /** Whether the result is a materialized view (read by a pull query) or a plain view (read by a streaming SELECT). */
  readonly materialized: boolean;
  /** The nexmark tables the query reads. */
  readonly tables: readonly string[];
}

/**
 * Reads a query file with every nexmark source's `events` set to `events` (and its `rate`
 * of events per second of event time, when given). The trailing SELECTs of the file
 * (samples for `sluice run`) are left out.
 */
export function loadQueryScript(name: string, events: number, rate?: number): QueryScript {
  const setting = rate === undefined ? `events = ${events}` : `events = ${events}, rate = ${rate}`;
  const text = readFileSync(join(queriesDir(), `${name}.sql`), 'utf8').replace(/\bevents\s*=\s*\d+/gi, setting);
  const script = parse(text);
  const keep: string[] = [];
  let materialized = false;
  const tables = new Set<string>();
  script.statements.forEach((s, i) => {
    if (s.kind === 'QueryStatement') return;
    keep.push(script.texts[i]!);
    if (s.kind === 'CreateView' && s.name.name.toLowerCase() === name) materialized = s.materialized;
  });
  for (const m of text.matchAll(/table\s*=\s*'(person|auction|bid)'/gi)) tables.add(m[1]!.toLowerCase());
  return { setup: keep.map((t) => t + ';').join('\n'), materialized, tables: [...tables] };
}
