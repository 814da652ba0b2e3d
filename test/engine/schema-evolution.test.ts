/**
 * Schema evolution beyond ADD COLUMN (SPEC 2.7 item 5): `ALTER SOURCE … RENAME COLUMN`,
 * `DROP COLUMN` and widening `ALTER COLUMN … TYPE` on an API-fed source. Views that read the
 * source go on with their state; events logged under every older version read correctly in
 * new views, REBUILD and AS OF, also after a reopen; a dropped column's values stay in the
 * file. A change that would alter what a view or sink means is refused naming it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const T0 = Date.UTC(2024, 0, 1);
const t = (s: number) => new Date(T0 + s * 1000);
const SOURCE = `CREATE SOURCE s (k VARCHAR, x INT, note VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (key = 'k')`;

let engine: Engine | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-schema-'));
  dirs.push(dir);
  return join(dir, 'db.duckdb');
}

const rows = (sql: string) => engine!.query(sql);
const columnsOf = async (name: string) => ((await engine!.execute(`DESCRIBE ${name}`))[0]!.rows ?? []).map((r) => `${String(r['column'])} ${String(r['type'])}`);

describe('ALTER SOURCE … RENAME COLUMN', () => {
  it('renames in the log: old events read under the new name in new views, REBUILD, AS OF and after a reopen', async () => {
    const path = dbPath();
    engine = await Engine.open({ path });
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW sums AS SELECT k, SUM(x) AS total FROM s GROUP BY k`);
    await engine.insert('s', [{ k: 'a', x: 1, note: 'first', ts: t(0) }, { k: 'b', x: 2, note: 'second', ts: t(1) }]);
    const [r] = await engine.execute(`ALTER SOURCE s RENAME COLUMN note TO remark`);
    expect(r!.message).toBe('renamed column note of s to remark (schema version 2)');
    expect(await columnsOf('s')).toEqual(['k VARCHAR', 'x INT', 'remark VARCHAR', 'ts TIMESTAMP']);
    await engine.insert('s', [{ k: 'a', x: 10, remark: 'third', ts: t(2) }], { expectedVersion: 1 });
    // The view that did not read the column went on with its state.
    expect(await rows('SELECT k, total FROM sums ORDER BY k')).toEqual([{ k: 'a', total: 11 }, { k: 'b', total: 2 }]);
    await engine.execute(`CREATE MATERIALIZED VIEW remarks AS SELECT k, remark FROM s`);
    const expected = [
      { k: 'a', remark: 'first' },
      { k: 'b', remark: 'second' },
      { k: 'a', remark: 'third' },
    ];
    expect(await rows('SELECT k, remark FROM remarks')).toEqual(expected);
    const asOf = await engine.execute(`SELECT k, remark FROM s AS OF OFFSET 1`);
    expect(asOf[0]!.rows).toEqual(expected.slice(0, 2));
    await engine.close();
    engine = await Engine.open({ path });
    expect(await columnsOf('s')).toEqual(['k VARCHAR', 'x INT', 'remark VARCHAR', 'ts TIMESTAMP']);
    await engine.insert('s', [{ k: 'b', x: 5, remark: 'fourth', ts: t(3) }], { expectedVersion: 1 });
    await engine.execute('REBUILD MATERIALIZED VIEW remarks');
    expect(await rows('SELECT k, remark FROM remarks')).toEqual([...expected, { k: 'b', remark: 'fourth' }]);
    expect(await rows('SELECT k, total FROM sums ORDER BY k')).toEqual([{ k: 'a', total: 11 }, { k: 'b', total: 7 }]);
  });

  it('is refused while a view reads the column, naming the view; nothing changes', async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW notes AS SELECT note FROM s WHERE x > 0`);
    await expect(engine.execute(`ALTER SOURCE s RENAME note TO remark`)).rejects.toMatchObject({
      code: 'CATALOG',
      message: expect.stringContaining("cannot RENAME COLUMN 'note' of source 's': materialized view 'notes' reads it"),
    });
    expect(await columnsOf('s')).toEqual(['k VARCHAR', 'x INT', 'note VARCHAR', 'ts TIMESTAMP']);
  });
});

describe('ALTER SOURCE … DROP COLUMN', () => {
  it('views no longer see it, views over other columns go on, and the log keeps its values in the file', async () => {
    const path = dbPath();
    engine = await Engine.open({ path });
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW sums AS SELECT k, SUM(x) AS total FROM s GROUP BY k`);
    await engine.insert('s', [{ k: 'a', x: 1, note: 'secret', ts: t(0) }, { k: 'a', x: 2, note: 'also', ts: t(1) }]);
    // x sits before the key in the events' layout: the stream versions must still be counted by k.
    await engine.execute(`ALTER SOURCE s DROP COLUMN note`);
    expect(await columnsOf('s')).toEqual(['k VARCHAR', 'x INT', 'ts TIMESTAMP']);
    const r = await engine.insert('s', [{ k: 'a', x: 4, ts: t(2) }], { expectedVersion: 2 });
    expect(r.version).toBe(3);
    expect(await rows('SELECT k, total FROM sums')).toEqual([{ k: 'a', total: 7 }]);
    await expect(engine.execute(`CREATE MATERIALIZED VIEW v AS SELECT note FROM s`)).rejects.toMatchObject({ code: 'BIND' });
    await engine.execute(`CREATE MATERIALIZED VIEW everything AS SELECT * FROM s`);
    expect((await rows('SELECT * FROM everything')).map((x) => Object.keys(x).join(','))).toEqual(['k,x,ts', 'k,x,ts', 'k,x,ts']);
    await engine.close();
    engine = undefined;
    const duck = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const con = await duck.connect();
    const kept = await con.runAndReadAll(`SELECT sluice_offset, note FROM sluice_dropped_s_note_v2 ORDER BY 1`);
    expect(kept.getRows()).toEqual([
      [0n, 'secret'],
      [1n, 'also'],
    ]);
    con.closeSync();
    duck.closeSync();
    engine = await Engine.open({ path });
    await engine.execute('REBUILD MATERIALIZED VIEW sums');
    expect(await rows('SELECT k, total FROM sums')).toEqual([{ k: 'a', total: 7 }]);
    expect(await engine.streamVersion('s', 'a')).toBe(3);
  });

  it('is refused for a view that reads every column (SELECT *) and for a sink of the source', async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW everything AS SELECT * FROM s`);
    await expect(engine.execute(`ALTER SOURCE s DROP note`)).rejects.toMatchObject({
      code: 'CATALOG',
      message: expect.stringContaining("materialized view 'everything' would change its columns"),
    });
    await engine.execute(`DROP MATERIALIZED VIEW everything; CREATE SINK out FROM s WITH (connector = 'blackhole')`);
    await expect(engine.execute(`ALTER SOURCE s DROP note`)).rejects.toMatchObject({ code: 'CATALOG', message: expect.stringContaining("sink 'out'") });
  });
});

describe('ALTER SOURCE … ALTER COLUMN … TYPE (widening)', () => {
  it('INT to BIGINT: views that read it go on, values past INT fit, and old events read the same in REBUILD, AS OF and after a reopen', async () => {
    const path = dbPath();
    engine = await Engine.open({ path });
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW sums AS SELECT k, COUNT(*) AS n, MAX(x) > 100 AS big FROM s GROUP BY k`);
    await engine.insert('s', [{ k: 'a', x: 2_000_000_000, note: '', ts: t(0) }, { k: 'b', x: -7, note: '', ts: t(1) }]);
    await expect(engine.insert('s', [{ k: 'a', x: 3_000_000_000, note: '', ts: t(2) }])).resolves.toMatchObject({ rejected: 1 });
    await engine.execute(`ALTER SOURCE s ALTER COLUMN x TYPE BIGINT`);
    expect(await columnsOf('s')).toEqual(['k VARCHAR', 'x BIGINT', 'note VARCHAR', 'ts TIMESTAMP']);
    await engine.insert('s', [{ k: 'a', x: 3_000_000_000, note: '', ts: t(3) }]);
    expect(await rows('SELECT k, n, big FROM sums ORDER BY k')).toEqual([{ k: 'a', n: 2, big: true }, { k: 'b', n: 1, big: false }]);
    await engine.execute(`CREATE MATERIALIZED VIEW xs AS SELECT k, SUM(x) AS total FROM s GROUP BY k`);
    expect(await rows('SELECT k, total FROM xs ORDER BY k')).toEqual([{ k: 'a', total: 5_000_000_000 }, { k: 'b', total: -7 }]);
    // Offset 2 was the dead letter; AS OF OFFSET 1 is before the widening.
    expect((await engine.execute(`SELECT k, x FROM s AS OF OFFSET 1`))[0]!.rows).toEqual([{ k: 'a', x: 2_000_000_000 }, { k: 'b', x: -7 }]);
    await engine.close();
    engine = await Engine.open({ path });
    await engine.execute('REBUILD MATERIALIZED VIEW xs');
    expect(await rows('SELECT k, total FROM xs ORDER BY k')).toEqual([{ k: 'a', total: 5_000_000_000 }, { k: 'b', total: -7 }]);
    await engine.insert('s', [{ k: 'b', x: 8_000_000_000, note: '', ts: t(4) }]);
    expect(await rows('SELECT k, n, big FROM sums ORDER BY k')).toEqual([{ k: 'a', n: 2, big: true }, { k: 'b', n: 2, big: true }]);
  });

  it('is refused when a view would change its columns, naming the view', async () => {
    engine = await Engine.open();
    await engine.execute(`${SOURCE}; CREATE MATERIALIZED VIEW xs AS SELECT k, x FROM s`);
    await expect(engine.execute(`ALTER SOURCE s ALTER x TYPE BIGINT`)).rejects.toMatchObject({
      code: 'CATALOG',
      message: expect.stringContaining("materialized view 'xs' would change its columns"),
    });
  });
});

describe('bad ALTER SOURCE forms', () => {
  it.each([
    [`ALTER SOURCE s ALTER COLUMN x TYPE VARCHAR`, 'UNSUPPORTED', 1, 36, 'a column can only be widened'],
    [`ALTER SOURCE s ALTER COLUMN x TYPE INT`, 'CATALOG', 1, 36, "column 'x' of source 's' is already INT"],
    [`ALTER SOURCE s RENAME COLUMN k TO account`, 'UNSUPPORTED', 1, 30, "'k', the stream key column of source 's'"],
    [`ALTER SOURCE s DROP COLUMN ts`, 'UNSUPPORTED', 1, 28, "'ts', the event-time (WATERMARK) column"],
    [`ALTER SOURCE s DROP COLUMN nope`, 'CATALOG', 1, 28, "source 's' has no column 'nope'"],
    [`ALTER SOURCE s RENAME note TO x`, 'CATALOG', 1, 31, "source 's' already has a column 'x'"],
    [`ALTER SOURCE s RENAME note TO sluice_note`, 'CATALOG', 1, 31, "the name 'sluice_note' is reserved"],
    [`ALTER SOURCE f DROP COLUMN a`, 'UNSUPPORTED', 1, 28, "'f', which reads its events from its file connector"],
  ])('%s', async (sql, code, line, column, message) => {
    engine = await Engine.open();
    const file = join(dbPath(), '..', 'f.jsonl');
    writeFileSync(file, '{"a": 1, "b": 2}\n');
    await engine.execute(`${SOURCE}; CREATE SOURCE f (a INT, b INT) WITH (connector = 'file', path = '${file}', format = 'jsonl')`);
    await expect(engine.execute(sql)).rejects.toMatchObject({ code, line, column, message: expect.stringContaining(message) });
  });

  it('parses each form, and keeps TYPE, RENAME and TO usable as names', async () => {
    engine = await Engine.open();
    await engine.execute(`CREATE SOURCE e (type VARCHAR, rename INT, "to" INT, ts TIMESTAMP)`);
    await engine.execute(`ALTER SOURCE e RENAME COLUMN type TO kind; ALTER SOURCE e ALTER rename TYPE BIGINT; ALTER SOURCE e DROP "to"`);
    expect(await columnsOf('e')).toEqual(['kind VARCHAR', 'rename BIGINT', 'ts TIMESTAMP']);
  });
});

describe('ALTER SOURCE on a keyed source after a reopen', () => {
  // Dropping the key's index and altering the table in one transaction crashed DuckDB 1.5
  // ("pure virtual method called") once the file had been reopened.
  it('adds, renames and widens columns; versions, the key index and old events survive', async () => {
    const path = dbPath();
    engine = await Engine.open({ path });
    await engine.execute(SOURCE);
    await engine.insert('s', [{ k: 'a', x: 1, note: 'n1', ts: t(1) }]);
    await engine.insert('s', [{ k: 'a', x: 2, note: 'n2', ts: t(2) }]);
    for (const alter of ['ALTER SOURCE s ADD COLUMN extra VARCHAR', 'ALTER SOURCE s RENAME COLUMN note TO memo', 'ALTER SOURCE s ALTER COLUMN x TYPE BIGINT']) {
      await engine.close();
      engine = await Engine.open({ path });
      await engine.execute(alter);
    }
    await engine.close();
    engine = await Engine.open({ path });
    expect(await engine.streamVersion('s', 'a')).toBe(2);
    const r = await engine.insert('s', [{ k: 'a', x: 2 ** 40, memo: 'n3', extra: 'e', ts: t(3) }], { expectedVersion: 2 });
    expect(r.version).toBe(3);
    const log = await rows(`SELECT k, x, memo, extra FROM sluice_log_s ORDER BY sluice_offset`);
    expect(log).toEqual([
      { k: 'a', x: 1, memo: 'n1', extra: null },
      { k: 'a', x: 2, memo: 'n2', extra: null },
      { k: 'a', x: 2 ** 40, memo: 'n3', extra: 'e' },
    ]);
    const indexes = await rows(`SELECT count(*)::INT AS n FROM duckdb_indexes() WHERE table_name = 'sluice_log_s'`);
    expect(indexes).toEqual([{ n: 1 }]);
  });
});
