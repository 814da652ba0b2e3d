import { describe, expect, it } from 'vitest';
import { parse } from '../../grammar/index.js';
import { renderError, SluiceError } from '../../src/errors.js';
import { bindError, catalogWith } from './helpers.js';

/** [sql, code, line, column, words that must appear in the message] */
const CASES: [string, string, number, number, string[]][] = [
  ['SELECT * FROM bidz', 'BIND', 1, 15, ["unknown source or view 'bidz'", "did you mean 'bids'"]],
  ['SELECT pricee FROM bids', 'BIND', 1, 8, ["column 'pricee' not found in bids", "did you mean 'price'"]],
  ['SELECT b.nope FROM bids b', 'BIND', 1, 10, ["column 'nope' not found in b"]],
  ['SELECT x.price FROM bids b', 'BIND', 1, 8, ["unknown table 'x'"]],
  ['SELECT date_time FROM bids JOIN auction ON bids.auction = auction.id', 'BIND', 1, 8, ["column 'date_time' is ambiguous", 'bids.date_time', 'auction.date_time']],
  ['SELECT auction, price, COUNT(*) FROM bids GROUP BY auction', 'BIND', 1, 17, ["column 'price' must appear in GROUP BY"]],
  ['SELECT auction FROM bids\nWHERE COUNT(*) > 1', 'BIND', 2, 7, ['aggregate function COUNT is not allowed in WHERE']],
  ['SELECT auction FROM bids HAVING price > 1', 'BIND', 1, 33, ['HAVING needs GROUP BY']],
  ["SELECT * FROM TUMBLE(bids, date_time)", 'BIND', 1, 15, ['TUMBLE takes TUMBLE(table, time_column, size, [offset])', 'got 0']],
  ["SELECT * FROM HOP(bids, date_time, INTERVAL '1' SECOND)", 'BIND', 1, 15, ['HOP takes', 'expected 2 or 3 interval arguments', 'got 1']],
  ["SELECT * FROM TUMBLE(bids, price, INTERVAL '1' SECOND)", 'TYPE', 1, 28, ["TUMBLE needs a TIMESTAMP time column, but 'price' is DOUBLE"]],
  ["SELECT * FROM TUMBLE(bids, date_time, 10)", 'TYPE', 1, 39, ['the TUMBLE size must be a constant INTERVAL']],
  ["SELECT * FROM TUMBLE(bids, date_time, INTERVAL '0' SECOND)", 'BIND', 1, 39, ['the TUMBLE size must be positive']],
  ["SELECT * FROM CUMULATE(bids, date_time, INTERVAL '7' SECOND, INTERVAL '1' MINUTE)", 'BIND', 1, 62, ['whole multiple of the step']],
  ["SELECT * FROM TUMBLE(orders, placed, INTERVAL '1' SECOND)", 'BIND', 0, 0, []], // no WATERMARK: every TIMESTAMP is event time (see below)
  ["SELECT window_start FROM SESSION(bids PARTITION BY bidder, date_time, INTERVAL '1' SECOND)", 'BIND', 1, 26, ['SESSION windows must be aggregated']],
  ["SELECT auction FROM bids EMIT ON WINDOW CLOSE", 'BIND', 1, 26, ['EMIT ON WINDOW CLOSE needs a window aggregation']],
  ['SELECT auction FROM bids ORDER BY auction', 'BIND', 1, 35, ['ORDER BY on an unbounded stream needs a LIMIT']],
  ['SELECT auction FROM bids OFFSET 2', 'BIND', 1, 33, ['OFFSET on an unbounded stream needs a LIMIT']],
  ["SELECT price + 'x' FROM bids", 'TYPE', 1, 8, ['+', 'DOUBLE', 'VARCHAR']],
  ['SELECT auction FROM bids WHERE price', 'TYPE', 1, 32, ['WHERE needs a BOOLEAN condition, got DOUBLE']],
  ["SELECT LOWER(price) FROM bids", 'TYPE', 1, 8, ['LOWER', 'VARCHAR', 'DOUBLE']],
  ['SELECT FOO(price) FROM bids', 'BIND', 1, 8, ['unknown function FOO']],
  ['SELECT SUM(channel) FROM bids', 'TYPE', 1, 12, ['SUM needs a numeric argument, got VARCHAR']],
  ["SELECT CAST(date_time AS BOOLEAN) FROM bids", 'TYPE', 1, 8, ['cannot cast TIMESTAMP to BOOLEAN']],
  ["SELECT TIMESTAMP '2024-13-45 00:00:00' FROM bids", 'TYPE', 1, 8, ["invalid TIMESTAMP literal '2024-13-45 00:00:00'"]],
  ['SELECT auction FROM bids UNION ALL SELECT auction, bidder FROM bids', 'BIND', 1, 1, ['different numbers of columns (1 and 2)']],
  ['INSERT INTO bids VALUES (1, 2)', 'BIND', 1, 26, ['INSERT row has 2 values but 6 columns are expected']],
  ["INSERT INTO files VALUES (1, TIMESTAMP '2024-01-01 00:00:00')", 'BIND', 1, 13, ["cannot INSERT into source 'files'", 'file connector']],
  ["INSERT INTO orders VALUES ('a', 1, 'n', TIMESTAMP '2024-01-01 00:00:00')", 'TYPE', 1, 28, ["value for column 'id' cannot be read as INT"]],
  ['UPDATE bids SET price = 0', 'IMMUTABLE', 1, 1, ['UPDATE is not allowed', 'events are immutable']],
  ['DELETE FROM bids', 'IMMUTABLE', 1, 1, ['DELETE is not allowed', 'events are immutable']],
  ['DROP VIEW totals', 'CATALOG', 1, 11, ["'totals' is a materialized view: use DROP MATERIALIZED VIEW"]],
  ['DROP SOURCE nope', 'CATALOG', 1, 13, ["source 'nope' does not exist"]],
  ['SUBSCRIBE bids', 'BIND', 1, 11, ['SUBSCRIBE needs a materialized view', 'is a source']],
  ['ALTER SOURCE bids ADD COLUMN price DOUBLE', 'CATALOG', 1, 30, ["already has a column 'price'"]],
  ["CREATE SOURCE s (a INT, a BIGINT)", 'BIND', 1, 25, ["column 'a' is declared twice"]],
  ["CREATE SOURCE s (a INT, WATERMARK FOR a AS a)", 'TYPE', 1, 39, ["WATERMARK FOR needs a TIMESTAMP column, but 'a' is INT"]],
  ["CREATE SOURCE s (t TIMESTAMP, WATERMARK FOR t AS t + INTERVAL '1' SECOND)", 'UNSUPPORTED', 1, 50, ["a watermark must be 't' or 't - INTERVAL"]],
  ['CREATE MATERIALIZED VIEW v AS SELECT auction, auction FROM bids', 'BIND', 1, 31, ["column name 'auction' appears twice"]],
  ['SELECT * FROM CHANGES(totals) c JOIN bids b ON c.auction = b.auction', 'UNSUPPORTED', 1, 15, ['CHANGES(v) can only be read by a pull query']],
  ['SELECT * FROM CHANGES(bids)', 'BIND', 1, 23, ['CHANGES(bids) needs a materialized view']],
  ['SET checkpoint_interval = 5', 'BIND', 0, 0, []],
  // Window functions run over the groups: their columns must be grouped (SQL's rule).
  ["SELECT MAX(price) OVER (PARTITION BY auction) , COUNT(*) FROM bids", 'BIND', 1, 38, ["column 'auction' must appear in GROUP BY"]],
  ['SELECT auction, COUNT(*) FROM bids GROUP BY auction HAVING RANK() OVER (ORDER BY COUNT(*)) = 1', 'BIND', 1, 60, ['window functions (OVER) are not allowed in HAVING']],
  ["SELECT TUMBLE_END(date_time, INTERVAL '1' SECOND) FROM bids GROUP BY auction", 'BIND', 1, 8, ['TUMBLE_END needs GROUP BY TUMBLE(…)']],
];

describe('binder errors name the thing at fault, with its position', () => {
  for (const [sql, code, line, column, words] of CASES) {
    if (line === 0) continue;
    it(sql.replace(/\n/g, ' '), () => {
      const e = bindError(sql);
      expect(e).toBeInstanceOf(SluiceError);
      expect({ code: e.code, line: e.line, column: e.column }).toEqual({ code, line, column });
      for (const w of words) expect(e.message).toContain(w);
      // The rendered error points at the column with a caret.
      const rendered = renderError(e, sql);
      const lines = rendered.split('\n');
      expect(lines.at(-1)!.indexOf('^') - lines.at(-2)!.indexOf(sql.split('\n')[line - 1]!)).toBe(column - 1);
    });
  }

  it('has at least 25 error cases with positions', () => {
    expect(CASES.filter((c) => c[2] > 0).length).toBeGreaterThanOrEqual(25);
  });

  it('accepts windows on any TIMESTAMP of a source without WATERMARK (the watermark then comes from the API or the end of input)', () => {
    expect(() => bindError("SELECT * FROM TUMBLE(orders, placed, INTERVAL '1' SECOND)")).toThrow(/expected an error/);
  });

  it('rejects a window on a timestamp the watermark does not follow', () => {
    const e = bindError("SELECT * FROM TUMBLE(auction, expires, INTERVAL '1' SECOND)");
    expect(e.message).toContain("'expires' is not an event-time column");
  });

  it('a syntax error is a PARSE error before any binding', () => {
    expect(() => parse('SELECT a FORM bids')).toThrow(/expected FROM after the select list, found 'FORM'/);
  });

  it('errors inside a view name the view when it is expanded', () => {
    const cat = catalogWith(`CREATE VIEW cheap AS SELECT auction, price FROM bids WHERE price < 10;`);
    const e = bindError('SELECT nope FROM cheap', cat);
    expect(e.message).toContain("column 'nope' not found in cheap");
  });
});
