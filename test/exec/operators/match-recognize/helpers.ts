/** Runs MATCH_RECOGNIZE views over given rows through the public Engine API. */
import { Engine, type Row } from '../../../../src/index.js';

export const TICKER = `CREATE SOURCE ticker (symbol VARCHAR, rowtime TIMESTAMP, price BIGINT, tax BIGINT,
  WATERMARK FOR rowtime AS rowtime - INTERVAL '0' SECOND)`;

export interface TickerRow {
  readonly symbol: string;
  readonly rowtime: string;
  readonly price: number;
  readonly tax?: number;
}

/** `2018-09-17 10:00:02` style times as Dates. */
export const at = (t: string): Date => new Date(`${t.replace(' ', 'T')}Z`);

/**
 * The rows of view `v` (defined by `select`) after `rows` are inserted in `order` and the
 * watermark is moved: `end` ends the stream (+∞), otherwise it stops 1 ms past the last row,
 * as an endless stream that has seen these rows would.
 */
export async function runTicker(
  select: string,
  rows: readonly TickerRow[],
  options: { end?: boolean; order?: readonly number[]; batch?: number } = {},
): Promise<Row[]> {
  const engine = await Engine.open();
  try {
    await engine.execute(TICKER);
    await engine.execute(`CREATE MATERIALIZED VIEW v AS ${select}`);
    const order = options.order ?? rows.map((_, i) => i);
    const batch = options.batch ?? rows.length;
    for (let i = 0; i < order.length; i += batch) {
      await engine.insert('ticker', order.slice(i, i + batch).map((k) => ({ ...rows[k]!, tax: rows[k]!.tax ?? 0, rowtime: at(rows[k]!.rowtime) })));
    }
    if (options.end ?? false) await engine.endOfStream('ticker');
    else await engine.advanceWatermark('ticker', Math.max(...rows.map((r) => at(r.rowtime).getTime())) + 1);
    return await engine.query('SELECT * FROM v');
  } finally {
    await engine.close();
  }
}

/** Rows as plain arrays of their values (Dates as ISO text), sorted. */
export function table(rows: readonly Row[]): unknown[][] {
  return rows
    .map((r) => Object.values(r).map((v) => (v instanceof Date ? v.toISOString().slice(0, 19).replace('T', ' ') : v)))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
