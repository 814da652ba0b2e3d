/**
 * Bad events from the API (issue 11, item 8; SPEC 4): a row without a value in its source's
 * event-time column is set aside in `sluice_dead_letters`, as the file connector does, with
 * a reason naming the row's index and the column — from plain objects, Arrow tables and
 * INSERT alike — and views never count it. A dead letter's offset is reserved in the
 * source's offset space, so it never names a logged event, also across a reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, TimestampMillisecond, Utf8, tableFromArrays, vectorFromArray } from 'apache-arrow';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-bad-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
const SOURCE = `CREATE SOURCE IF NOT EXISTS s (k VARCHAR, x DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`;
const VIEW = `CREATE MATERIALIZED VIEW IF NOT EXISTS c AS SELECT k, COUNT(*) AS n FROM s GROUP BY k`;

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function open(path?: string): Promise<Engine> {
  const e = await Engine.open(path === undefined ? {} : { path });
  await e.execute(SOURCE);
  await e.execute(VIEW);
  return e;
}

const deadLetters = (e: Engine) => e.query(`SELECT "offset", raw, reason FROM sluice_dead_letters ORDER BY "offset"`);

/** Log offsets and dead-letter offsets of source s: disjoint, and together every offset once. */
async function offsets(e: Engine): Promise<{ logged: number[]; dead: number[] }> {
  const logged = (await e.query('SELECT sluice_offset AS o FROM sluice_log_s ORDER BY 1')).map((r) => r['o'] as number);
  const dead = (await e.query(`SELECT "offset" AS o FROM sluice_dead_letters WHERE source = 's' ORDER BY 1`)).map((r) => r['o'] as number);
  return { logged, dead };
}

describe('engine.insert of rows without event time', () => {
  it('sets them aside with a reason naming the row and the column; views do not count them', async () => {
    engine = await open();
    const r = await engine.insert('s', [
      { k: 'a', x: 1, ts: t(1) },
      { k: 'missing', x: 1 },
      { k: 'null', x: 1, ts: null },
      { k: 'undefined', x: 1, ts: undefined },
      { k: 'a', x: 2, ts: t(2) },
    ]);
    expect(r).toEqual({ inserted: 2, rejected: 3, offsets: [0, 1] });
    expect(await engine.query('SELECT k, n FROM c')).toEqual([{ k: 'a', n: 2 }]);
    expect((await deadLetters(engine)).map((d) => [d['raw'], d['reason']])).toEqual([
      ['{"k":"missing","x":1}', 'row 1: missing event time column ts'],
      ['{"k":"null","x":1,"ts":null}', 'row 2: missing event time column ts'],
      ['{"k":"undefined","x":1}', 'row 3: missing event time column ts'],
    ]);
    expect(engine.metrics().deadLetters).toBe(3);
  });

  it('a source without a WATERMARK has no event-time column: NULL timestamps are events', async () => {
    engine = await Engine.open();
    await engine.execute(`CREATE SOURCE plain (k VARCHAR, ts TIMESTAMP)`);
    expect(await engine.insert('plain', [{ k: 'a' }, { k: 'b', ts: null }])).toEqual({ inserted: 2, rejected: 0, offsets: [0, 1] });
  });

  it('every reason names the row index, also for wrong types', async () => {
    engine = await open();
    await engine.insert('s', [{ k: 'a', ts: t(1) }, 7 as unknown as object, { k: 'b', x: 'lots', ts: t(1) }]);
    expect((await deadLetters(engine)).map((d) => d['reason'])).toEqual([
      'row 1: an event must be a plain object',
      "row 2: column x: expected DOUBLE, got 'lots'",
    ]);
  });
});

describe('Arrow inserts follow the same rule', () => {
  it('a NULL event time, or no event-time column at all, is a dead letter', async () => {
    engine = await open();
    const table = new Table({
      k: vectorFromArray(['a', 'no-ts', 'b'], new Utf8()),
      ts: vectorFromArray([t(1), null, t(2)], new TimestampMillisecond()),
    });
    expect(await engine.insert('s', table)).toEqual({ inserted: 2, rejected: 1, offsets: [0, 1] });
    const noTs = tableFromArrays({ k: ['c', 'd'], x: Float64Array.from([1, 2]) });
    expect(await engine.insert('s', noTs)).toEqual({ inserted: 0, rejected: 2, offsets: [] });
    expect(await engine.query('SELECT k, n FROM c ORDER BY k')).toEqual([
      { k: 'a', n: 1 },
      { k: 'b', n: 1 },
    ]);
    expect((await deadLetters(engine)).map((d) => d['reason'])).toEqual([
      'row 1: missing event time column ts',
      'row 0: missing event time column ts',
      'row 1: missing event time column ts',
    ]);
    expect(JSON.parse((await deadLetters(engine))[1]!['raw'] as string)).toEqual({ k: 'c', x: 1 });
  });
});

describe('INSERT follows the same rule', () => {
  it('a NULL event time is set aside, and the message says so', async () => {
    engine = await open();
    const [r] = await engine.execute(`INSERT INTO s VALUES ('a', 1, TIMESTAMP '2024-01-01 00:00:01'), ('b', 2, NULL)`);
    expect(r!.message).toBe('inserted 1 event into s; 1 set aside in sluice_dead_letters (row 1: missing event time column ts)');
    expect(await engine.query('SELECT k, n FROM c')).toEqual([{ k: 'a', n: 1 }]);
  });
});

describe('dead-letter offsets never name a logged event', () => {
  it('each rejected row takes an offset of its own, after the accepted rows of its call', async () => {
    engine = await open();
    await engine.insert('s', [{ k: 'a', ts: t(1) }, { k: 'bad' }, { k: 'a', ts: t(2) }]);
    await engine.insert('s', [{ k: 'a', ts: t(3) }]);
    await engine.insert('s', [{ k: 'bad' }, { k: 'bad' }]);
    await engine.insert('s', [{ k: 'a', ts: t(4) }]);
    expect(await offsets(engine)).toEqual({ logged: [0, 1, 3, 6], dead: [2, 4, 5] });
  });

  it('also across a reopen, when the last rows of the log were dead letters', async () => {
    const path = join(tmp(), 'db.duckdb');
    engine = await open(path);
    await engine.insert('s', [{ k: 'a', ts: t(1) }, { k: 'bad' }]);
    await engine.close();
    engine = await open(path);
    await engine.insert('s', [{ k: 'a', ts: t(2) }, { k: 'bad', ts: null }]);
    await engine.close();
    engine = await open(path);
    await engine.insert('s', [{ k: 'a', ts: t(3) }]);
    expect(await offsets(engine)).toEqual({ logged: [0, 2, 4], dead: [1, 3] });
    expect(await engine.query('SELECT n FROM c')).toEqual([{ n: 3 }]);
  });
});
