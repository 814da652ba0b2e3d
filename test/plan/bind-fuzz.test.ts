import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, tokenize } from '../../grammar/index.js';
import { bindStatement } from '../../src/plan/binder/bind-statement.js';
import { SluiceError } from '../../src/errors.js';
import { catalogWith } from './helpers.js';

const VALID = [
  `SELECT auction, price * 0.908 AS euros FROM bids WHERE auction % 123 = 0`,
  `SELECT auction, window_start, COUNT(*) AS n FROM HOP(bids, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end EMIT ON WINDOW CLOSE`,
  `SELECT bidder, window_start, COUNT(*) FROM SESSION(bids PARTITION BY bidder, date_time, INTERVAL '10' SECOND) GROUP BY bidder, window_start, window_end`,
  `SELECT TUMBLE_START(date_time, INTERVAL '1' MINUTE) AS ws, channel, COUNT(DISTINCT bidder), AVG(price) FROM bids GROUP BY TUMBLE(date_time, INTERVAL '1' MINUTE), channel HAVING COUNT(*) > 2`,
  `WITH t AS (SELECT auction, MAX(price) AS m FROM CUMULATE(bids, date_time, INTERVAL '10' SECOND, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, auction) SELECT * FROM t WHERE m > 1`,
  `SELECT b.auction, a.seller FROM bids b JOIN auction a ON b.auction = a.id WHERE a.category = 10`,
  `SELECT id, amount FROM orders UNION ALL SELECT CAST(auction AS INT), price FROM bids`,
  `SELECT CASE WHEN price > 10 THEN 'hi' ELSE 'lo' END, COALESCE(channel, 'x') || url FROM bids WHERE channel LIKE 'a%' AND price BETWEEN 1 AND 2`,
  `SELECT auction, AVG(price) OVER (PARTITION BY auction ORDER BY date_time ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) FROM bids`,
  `SELECT DISTINCT channel FROM bids WHERE date_time > TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '1' HOUR`,
  `INSERT INTO orders VALUES (1, 2.5, 'a', TIMESTAMP '2024-01-01 00:00:00')`,
  `CREATE MATERIALIZED VIEW v AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`,
  `SELECT * FROM totals ORDER BY n DESC LIMIT 5`,
  `SELECT EXTRACT(HOUR FROM date_time), DATE_TRUNC('minute', date_time), LOWER(channel) FROM bids`,
];

const catalog = catalogWith();

/** Parses and binds; returns normally or with a SluiceError, anything else fails the property. */
function parseAndBind(sql: string): void {
  let script;
  try {
    script = parse(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return;
  }
  script.statements.forEach((statement, i) => {
    try {
      bindStatement({ statement, text: script.texts[i]!, sql, baseDir: '/tmp' }, catalog);
    } catch (e) {
      if (!(e instanceof SluiceError)) throw new Error(`binder threw ${String(e)} for: ${sql}`);
      expect(e.code).not.toBe('INTERNAL');
    }
  });
}

function tokensOf(sql: string): string[] {
  return tokenize(sql).filter((t) => t.kind !== 'comment').map((t) => t.text);
}

const NAMES = ['bids', 'auction', 'price', 'date_time', 'window_start', 'nope', 'totals', 'bidder', 'x', '1', "'a'", 'NULL', '*', '(', ')', ','];

describe('the parser and binder take any input without crashing', () => {
  it('every valid statement binds', () => {
    for (const q of VALID) expect(() => parseAndBind(q)).not.toThrow();
  });

  it('mutated valid statements give a plan or a SluiceError', () => {
    const mutation = fc.record({
      base: fc.integer({ min: 0, max: VALID.length - 1 }),
      edits: fc.array(
        fc.record({
          kind: fc.constantFrom('drop', 'dup', 'swap', 'replace', 'truncate'),
          at: fc.nat(),
          with: fc.constantFrom(...NAMES),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ base, edits }) => {
        let toks = tokensOf(VALID[base]!);
        for (const e of edits) {
          if (toks.length === 0) break;
          const i = e.at % toks.length;
          if (e.kind === 'drop') toks.splice(i, 1);
          else if (e.kind === 'dup') toks.splice(i, 0, toks[i]!);
          else if (e.kind === 'swap' && i + 1 < toks.length) [toks[i], toks[i + 1]] = [toks[i + 1]!, toks[i]!];
          else if (e.kind === 'replace') toks[i] = e.with;
          else if (e.kind === 'truncate') toks = toks.slice(0, i);
        }
        parseAndBind(toks.join(' '));
      }),
      { numRuns: 400 },
    );
  });

  it('random token soup gives a plan or a SluiceError', () => {
    const soup = fc.array(fc.constantFrom(...NAMES, 'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'TUMBLE', 'INTERVAL', "'1'", 'SECOND', '+', '=', 'AND', 'COUNT', 'OVER', 'EMIT', 'ON', 'WINDOW', 'CLOSE', ';'), { maxLength: 30 });
    fc.assert(
      fc.property(soup, (toks) => parseAndBind(['SELECT', ...toks].join(' '))),
      { numRuns: 400 },
    );
  });
});
