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
  /** The same result as DuckDB SQL over tables person, auction, bid and side_input; null when there is none yet. */
  readonly duckdb: string | null;
  /**
   * The result columns (by position) that decide equality, when the others may differ on
   * ties: which of two bids at the same time is "the last", say. Default: all.
   */
  readonly compare?: readonly number[];
}

const EPOCH = "TIMESTAMP '1970-01-01 00:00:00'";
const bucket = (size: string) => `time_bucket(INTERVAL '${size}', date_time, ${EPOCH})`;
const DAY = "strftime(date_time, '%Y-%m-%d')";
/** DECIMAL(23, 3), as in the reference (and as DuckDB and sluice type `0.908 * price`). */
const EUROS = 'CAST(0.908 * price AS DECIMAL(23, 3))';

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

/** Bids per auction and hop window (10 s sliding by 2 s): each bid in its 5 windows. */
const HOP_COUNTS = `SELECT auction, count(*) AS num, window_start, window_end FROM (
  SELECT auction, ${bucket('2 seconds')} - k * INTERVAL '2 seconds' AS window_start,
    ${bucket('2 seconds')} - k * INTERVAL '2 seconds' + INTERVAL '10 seconds' AS window_end
  FROM bid, range(5) AS hops(k)
) GROUP BY auction, window_start, window_end`;

/** The queries in the order the bench runs them. */
export const BENCH_QUERIES: readonly BenchQuery[] = [
  { name: 'q0', duckdb: 'SELECT auction, bidder, price, date_time, extra FROM bid' },
  { name: 'q1', duckdb: `SELECT auction, bidder, ${EUROS} AS price, date_time, extra FROM bid` },
  { name: 'q2', duckdb: 'SELECT auction, price FROM bid WHERE auction % 123 = 0' },
  {
    name: 'q3',
    duckdb: `SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id
WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')`,
  },
  {
    name: 'q4',
    duckdb: `SELECT category, avg(final) AS avg_final FROM (
  SELECT max(B.price) AS final, A.category FROM auction A JOIN bid B ON A.id = B.auction
  WHERE B.date_time >= A.date_time AND B.date_time <= A.expires
  GROUP BY A.id, A.category
) GROUP BY category`,
  },
  {
    name: 'q5',
    duckdb: `WITH counts AS (${HOP_COUNTS})
SELECT c.auction, c.num FROM counts c
JOIN (SELECT max(num) AS maxn, window_start, window_end FROM counts GROUP BY window_start, window_end) m
  ON c.window_start = m.window_start AND c.window_end = m.window_end AND c.num >= m.maxn`,
  },
  {
    name: 'q6',
    duckdb: `SELECT seller, avg(price) OVER (PARTITION BY seller ORDER BY date_time ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS avg_price
FROM (
  SELECT A.id, A.seller, B.price, B.date_time,
    row_number() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
  FROM auction A JOIN bid B ON A.id = B.auction
  WHERE B.date_time >= A.date_time AND B.date_time <= A.expires
) WHERE rownum <= 1`,
  },
  {
    name: 'q7',
    duckdb: `SELECT B.auction, B.bidder, B.price, B.date_time, B.extra FROM bid B
JOIN (SELECT max(price) AS maxprice, ${bucket('10 seconds')} + INTERVAL '10 seconds' AS window_end FROM bid GROUP BY window_end) B1
  ON B.price = B1.maxprice
WHERE B.date_time >= B1.window_end - INTERVAL '10 seconds' AND B.date_time <= B1.window_end`,
  },
  {
    name: 'q8',
    duckdb: `SELECT P.id, P.name, P.starttime FROM
  (SELECT DISTINCT id, name, ${bucket('10 seconds')} AS starttime FROM person) P
JOIN (SELECT DISTINCT seller, ${bucket('10 seconds')} AS starttime FROM auction) A
  ON P.id = A.seller AND P.starttime = A.starttime`,
  },
  {
    name: 'q9',
    duckdb: `SELECT id, item_name, description, initial_bid, reserve, date_time, expires, seller, category, extra,
  auction, bidder, price, bid_date_time, bid_extra
FROM (
  SELECT A.*, B.auction, B.bidder, B.price, B.date_time AS bid_date_time, B.extra AS bid_extra,
    row_number() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time ASC) AS rownum
  FROM auction A JOIN bid B ON A.id = B.auction
  WHERE B.date_time >= A.date_time AND B.date_time <= A.expires
) WHERE rownum <= 1`,
    // The winning bid's bidder and extra are arbitrary when two bids tie on price and time.
    compare: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13],
  },
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
  {
    name: 'q13',
    duckdb: `SELECT B.auction, B.bidder, B.price, B.date_time, S.value FROM bid B JOIN side_input S ON B.auction % 10000 = S.key`,
  },
  {
    name: 'q14',
    duckdb: `SELECT auction, bidder, ${EUROS} AS price,
  CASE WHEN hour(date_time) BETWEEN 8 AND 18 THEN 'dayTime'
       WHEN hour(date_time) <= 6 OR hour(date_time) >= 20 THEN 'nightTime'
       ELSE 'otherTime' END AS bid_time_type,
  date_time, extra, length(extra) - length(replace(extra, 'c', '')) AS c_counts
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
  {
    name: 'q18',
    duckdb: `SELECT auction, bidder, price, channel, url, date_time, extra FROM (
  SELECT *, row_number() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC) AS rank_number FROM bid
) WHERE rank_number <= 1`,
    // Several bids of a pair can share the last millisecond: which one is kept is arbitrary.
    compare: [0, 1, 5],
  },
  {
    name: 'q19',
    duckdb: `SELECT * FROM (
  SELECT *, row_number() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid
) WHERE rank_number <= 10`,
    // Rank k holds the k-th highest price whichever of tied bids it is.
    compare: [0, 2, 7],
  },
  {
    name: 'q20',
    duckdb: `SELECT auction, bidder, price, channel, url, B.date_time AS bid_date_time, B.extra AS bid_extra,
  item_name, description, initial_bid, reserve, A.date_time AS auction_date_time, expires, seller, category, A.extra AS auction_extra
FROM bid B JOIN auction A ON B.auction = A.id WHERE A.category = 10`,
  },
  {
    name: 'q21',
    duckdb: `SELECT auction, bidder, price, channel,
  CASE lower(channel) WHEN 'apple' THEN '0' WHEN 'google' THEN '1' WHEN 'facebook' THEN '2' WHEN 'baidu' THEN '3'
    ELSE regexp_extract(url, '(&|^)channel_id=([^&]*)', 2) END AS channel_id
FROM bid
WHERE regexp_extract(url, '(&|^)channel_id=([^&]*)', 2) <> '' OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu')`,
  },
  {
    name: 'q22',
    duckdb: `SELECT auction, bidder, price, channel, split_part(url, '/', 4) AS dir1, split_part(url, '/', 5) AS dir2, split_part(url, '/', 6) AS dir3 FROM bid`,
  },
  { name: 'hop_count', duckdb: HOP_COUNTS },
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
