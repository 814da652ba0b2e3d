/**
 * The DuckDB-differential cases of subqueries in expressions (SPEC 2.3), over source `s` /
 * table `t` (oracle.ts): each a view and the same query as DuckDB batch SQL.
 */
import { oracleWindowed } from './oracle.js';
import type { Case } from './differential-harness.js';

/** Per x, its row count: x values seen exactly once enter and leave `WHERE g.n = 1`. */
const ONCE = (t: string) => `(SELECT x, COUNT(*) AS n FROM ${t} GROUP BY x) AS g`;
/** Per k, its row count: a k with 2 or 3 rows is in, then out when it gets a 4th. */
const COUNTS = (t: string) => `(SELECT k, COUNT(*) AS n FROM ${t} GROUP BY k) AS c`;

const both = (name: string, sql: (t: string) => string): Case => ({ name, sql: sql('s'), oracle: sql('t') });

/** EXISTS / IN as semi, anti and mark joins. */
export const SEMI_CASES: Case[] = [
  both('in_changelog', (t) => `SELECT k, x, ts FROM ${t} WHERE x IN (SELECT g.x FROM ${ONCE(t)} WHERE g.n = 1)`),
  both('not_in_nulls', (t) => `SELECT k, x, ts FROM ${t} WHERE x NOT IN (SELECT g.x FROM ${ONCE(t)} WHERE g.n = 1)`),
  both('not_in', (t) => `SELECT k, x, ts FROM ${t} WHERE x NOT IN (SELECT g.x FROM ${ONCE(t)} WHERE g.n = 1 AND g.x IS NOT NULL) AND b > 0`),
  both('not_in_empty', (t) => `SELECT k, x FROM ${t} WHERE x NOT IN (SELECT x FROM ${t} WHERE x > 1000)`),
  both('in_expr_types', (t) => `SELECT k, x, b FROM ${t} WHERE x + 1 IN (SELECT b FROM ${t} WHERE d > 0)`),
  both(
    'exists_corr',
    (t) => `SELECT k, x, b FROM ${t} AS o WHERE EXISTS (SELECT 1 FROM ${COUNTS(t)} WHERE c.k = o.k AND c.n BETWEEN 2 AND 3)`,
  ),
  both(
    'not_exists_corr',
    (t) => `SELECT k, x, b FROM ${t} AS o WHERE NOT EXISTS (SELECT 1 FROM ${COUNTS(t)} WHERE c.k = o.k AND c.n BETWEEN 2 AND 3) AND x > -20`,
  ),
  both('exists_uncorr', (t) => `SELECT k, x FROM ${t} WHERE EXISTS (SELECT 1 FROM ${COUNTS(t)} WHERE c.n = 2)`),
  both('not_exists_two_keys', (t) => `SELECT k, v, x FROM ${t} AS o WHERE NOT EXISTS (SELECT * FROM ${t} AS i WHERE i.v = o.v AND o.k = i.k AND i.x > 30)`),
  both('in_corr', (t) => `SELECT k, x FROM ${t} AS o WHERE o.b IN (SELECT i.x FROM ${t} AS i WHERE i.v = o.v)`),
  both('not_in_corr', (t) => `SELECT k, x, v FROM ${t} AS o WHERE o.x NOT IN (SELECT i.x FROM ${t} AS i WHERE i.k = o.k AND i.b > 0)`),
  // Mark joins: the predicate's (three-valued) value as a column, or under OR / CASE / NOT.
  both('mark_in_select', (t) => `SELECT k, x, x IN (SELECT g.x FROM ${ONCE(t)} WHERE g.n = 1) AS hit FROM ${t}`),
  both('mark_not_in_corr', (t) => `SELECT k, v, o.x NOT IN (SELECT i.x FROM ${t} AS i WHERE i.k = o.k AND i.b > 0) AS miss FROM ${t} AS o`),
  both(
    'mark_exists_or',
    (t) => `SELECT k, x FROM ${t} AS o WHERE x > 40 OR NOT EXISTS (SELECT 1 FROM ${COUNTS(t)} WHERE c.k = o.k AND c.n BETWEEN 2 AND 3)`,
  ),
  both(
    'mark_case',
    (t) => `SELECT v, CASE WHEN EXISTS (SELECT 1 FROM ${t} AS i WHERE i.v = o.v AND i.x > 30) THEN 'hot' ELSE 'cold' END AS temp FROM ${t} AS o`,
  ),
  both('mark_in_is_null', (t) => `SELECT k, x FROM ${t} WHERE (x IN (SELECT g.x FROM ${ONCE(t)} WHERE g.n = 1)) IS NULL`),
  // The left side a changelog too: its rows are retracted while matched or not.
  both('in_left_changelog', (t) => `SELECT c.k, c.n FROM ${COUNTS(t)} WHERE c.k IN (SELECT k FROM ${t} WHERE x > 20)`),
  both('not_in_left_changelog', (t) => `SELECT c.k, c.n FROM ${COUNTS(t)} WHERE c.k NOT IN (SELECT k FROM ${t} WHERE x > 20)`),
  both('not_exists_left_changelog', (t) => `SELECT g.x, g.n FROM ${ONCE(t)} WHERE NOT EXISTS (SELECT 1 FROM ${t} AS i WHERE i.b > 0 AND i.x = g.x)`),
  // Left rows deleted for good (x seen a second time leaves `g.n = 1`), not replaced by an update.
  both('semi_left_deletes', (t) => `SELECT g.x FROM ${ONCE(t)} WHERE g.n = 1 AND g.x IN (SELECT x FROM ${t} WHERE b > 0)`),
  both('anti_left_deletes', (t) => `SELECT g.x FROM ${ONCE(t)} WHERE g.n = 1 AND g.x NOT IN (SELECT x FROM ${t} WHERE b > 0 AND x IS NOT NULL)`),
  both('mark_left_deletes', (t) => `SELECT g.x, g.x IN (SELECT x FROM ${t} WHERE b > 0) AS hit FROM ${ONCE(t)} WHERE g.n = 1`),
  // Over a window table function: the semi join runs before the window assignment.
  {
    name: 'tumble_over_semi',
    sql: `SELECT window_start, window_end, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND) WHERE v IN (SELECT v FROM s WHERE x > 0) GROUP BY window_start, window_end`,
    oracle: `SELECT window_start, window_end, COUNT(*) AS n FROM ${oracleWindowed({ kind: 'TUMBLE', size: 10_000 })} AS w WHERE v IN (SELECT v FROM t WHERE x > 0) GROUP BY window_start, window_end`,
  },
  // Aggregating above a semi join, and a subquery inside a CTE.
  both('group_over_semi', (t) => `SELECT k, COUNT(*) AS n, SUM(x) AS sx FROM ${t} WHERE v IN (SELECT v FROM ${t} WHERE b > 0) GROUP BY k`),
  both('cte_exists', (t) => `WITH big AS (SELECT k, x FROM ${t} WHERE x > 0) SELECT DISTINCT k FROM big AS o WHERE EXISTS (SELECT 1 FROM big AS i WHERE i.k = o.k AND i.x > 45)`),

  // Correlation on expressions of either side (computed probe columns, cast key types).
  both('exists_corr_exprs', (t) => `SELECT k, x, v FROM ${t} AS o WHERE EXISTS (SELECT 1 FROM ${t} AS i WHERE i.x = o.x + 1 AND upper(i.v) = upper(o.v))`),
  both('in_corr_cast', (t) => `SELECT k, b FROM ${t} AS o WHERE o.x IN (SELECT i.b FROM ${t} AS i WHERE i.k = o.k)`),
];

/** Scalar subqueries: joins to aggregates. */
export const SCALAR_CASES: Case[] = [
  both('scalar_where', (t) => `SELECT k, x FROM ${t} WHERE x > (SELECT AVG(x) FROM ${t})`),
  both('scalar_select', (t) => `SELECT k, x, (SELECT MAX(b) FROM ${t} WHERE x > 10) AS mb FROM ${t} WHERE x > 30`),
  both('scalar_corr_count', (t) => `SELECT k, x, (SELECT COUNT(*) FROM ${t} AS i WHERE i.k = o.k AND i.x > 10) AS n FROM ${t} AS o`),
  both('scalar_corr_sum', (t) => `SELECT v, x, (SELECT SUM(i.x) FROM ${t} AS i WHERE i.v = o.v) AS total FROM ${t} AS o`),
  both('scalar_corr_count_expr', (t) => `SELECT v, (SELECT COUNT(*) + 1 FROM ${t} AS i WHERE i.v = o.v AND i.b > 0) AS n1 FROM ${t} AS o`),
  both('scalar_corr_where', (t) => `SELECT k, x, ts FROM ${t} AS o WHERE o.x >= (SELECT MAX(i.x) FROM ${t} AS i WHERE i.k = o.k)`),
  both('scalar_left_changelog', (t) => `SELECT c.k, c.n, (SELECT MAX(x) FROM ${t}) AS mx FROM ${COUNTS(t)}`),
  both('scalar_corr_left_changelog', (t) => `SELECT c.k, c.n, (SELECT SUM(i.x) FROM ${t} AS i WHERE i.k = c.k AND i.b > 0) AS sx FROM ${COUNTS(t)}`),
  // The second join takes the first's updates (-D pair, +I padded, -D padded, +I pair) in one batch.
  both('two_scalars', (t) => `SELECT v, (SELECT COUNT(*) FROM ${t} AS i WHERE i.v = o.v) AS n, (SELECT MAX(b) FROM ${t}) AS mb FROM ${t} AS o`),
];
