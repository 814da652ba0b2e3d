import { parse } from '../../grammar/index.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { bindStatement } from '../../src/plan/binder/bind-statement.js';
import type { BoundStatement } from '../../src/plan/bound-statement.js';
import { explainPlan } from '../../src/plan/explain.js';
import { SluiceError } from '../../src/errors.js';

export const SETUP = `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price DOUBLE, channel VARCHAR, url VARCHAR, date_time TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND);
CREATE SOURCE auction (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP, expires TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND);
CREATE SOURCE orders (id INT, amount DOUBLE, note VARCHAR, placed TIMESTAMP);
CREATE SOURCE files (a BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'x.jsonl', format = 'jsonl');
CREATE MATERIALIZED VIEW totals AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction;
`;

/** A catalog holding the sources and views of SETUP (plus `extra`). */
export function catalogWith(extra = ''): Catalog {
  const catalog = new Catalog();
  const sql = SETUP + extra;
  const script = parse(sql);
  script.statements.forEach((statement, i) => {
    const b = bindStatement({ statement, text: script.texts[i]!, sql, baseDir: '/tmp' }, catalog);
    if (b.kind === 'CreateSource' || b.kind === 'CreateView' || b.kind === 'CreateSink') catalog.put(b.def);
  });
  return catalog;
}

/** Binds one statement against the SETUP catalog. */
export function bind(sql: string, catalog = catalogWith()): BoundStatement {
  const script = parse(sql);
  try {
    return bindStatement({ statement: script.statements[0]!, text: script.texts[0]!, sql, baseDir: '/tmp' }, catalog);
  } catch (e) {
    if (e instanceof SluiceError) e.withSql(sql);
    throw e;
  }
}

/** The EXPLAIN text of a streaming query. */
export function planText(sql: string, catalog = catalogWith()): string {
  const b = bind(sql, catalog);
  if (b.kind === 'StreamQuery') return explainPlan(b.plan);
  if (b.kind === 'CreateView') return explainPlan(b.plan);
  throw new Error(`not a streaming query: ${b.kind}`);
}

/** The SluiceError binding `sql` throws. */
export function bindError(sql: string, catalog = catalogWith()): SluiceError {
  try {
    bind(sql, catalog);
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${sql}`);
}
