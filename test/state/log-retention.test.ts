/**
 * Source `retention` (SPEC 2.7 "Storage growth"): at checkpoints, old consumed events move
 * from the log table into Parquet files beside the database; every reader of the log still
 * sees them. Compared with a second engine over the same events without retention.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-retention-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, 0) + s * 1000);
const source = (retention: boolean) => `CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price DOUBLE, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)${retention ? ` WITH (retention = '30 seconds')` : ''}`;
const VIEWS = {
  totals: `SELECT auction, COUNT(*) AS n, SUM(price) AS total FROM bids GROUP BY auction`,
  w: `SELECT window_start, auction, COUNT(*) AS n, MAX(price) AS top FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, auction EMIT ON WINDOW CLOSE`,
};

/** Events ~1 s apart with up to 2 s of disorder (none late). */
function events(n: number, from: number, seed: number): { auction: number; bidder: number; price: number; ts: Date }[] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => ({
    auction: Math.floor(r() * 7),
    bidder: Math.floor(r() * 5),
    price: Math.round(r() * 1000) / 10,
    ts: t(from + i - Math.floor(r() * 2)),
  }));
}

async function feed(e: Engine, batches: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await e.insert('bids', events(50, b * 50, b + 1));
    await e.checkpoint();
  }
}

/** Events still in the log table (main.: the table itself, not the view with the archive). */
const logCount = async (e: Engine, source = 'bids') => ((await e.query(`SELECT count(*)::INT AS c FROM main.sluice_log_${source}`))[0]!['c'] as number);

describe('source retention', () => {
  it('moves old events to Parquet; REBUILD, a new view, AS OF and the log read exactly as without retention', async () => {
    const dir = tmp();
    const a = await Engine.open({ path: join(dir, 'a.duckdb') });
    const b = await Engine.open({ path: join(dir, 'b.duckdb') });
    for (const [e, ret] of [[a, true], [b, false]] as const) {
      await e.execute(`SET checkpoint_interval = '1 hour'`);
      await e.execute(source(ret));
      for (const [name, q] of Object.entries(VIEWS)) await e.execute(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
      await feed(e, 8);
    }
    // 400 events over ~400 s: with 30 s of retention most have left the table.
    const kept = await logCount(a);
    expect(kept).toBeLessThan(100);
    expect(await logCount(b)).toBe(400);
    const files = readdirSync(join(dir, 'a.duckdb.archive', 'bids'));
    expect(files.length).toBeGreaterThan(1);
    expect(files.every((f) => /^\d+-\d+\.parquet$/.test(f))).toBe(true);
    expect(existsSync(join(dir, 'b.duckdb.archive'))).toBe(false);
    expect(await a.query(`SELECT sum(events)::INT AS n FROM sluice_log_archive`)).toEqual([{ n: 400 - kept }]);

    const same = async (sql: string) => expect(await a.query(sql)).toEqual(await b.query(sql));
    await same(`SELECT sluice_offset, sluice_version, auction, bidder, price, ts FROM sluice_log_bids ORDER BY sluice_offset`);
    await same(`SELECT count(*) AS c, min(sluice_offset) AS lo FROM sluice_log_bids l WHERE l.price > 50`);
    for (const name of Object.keys(VIEWS)) {
      const before = await a.query(`SELECT * FROM ${name} ORDER BY ALL`);
      await a.execute(`REBUILD MATERIALIZED VIEW ${name}`);
      expect(await a.query(`SELECT * FROM ${name} ORDER BY ALL`)).toEqual(before);
      await same(`SELECT * FROM ${name} ORDER BY ALL`);
    }
    for (const e of [a, b]) await e.execute(`CREATE MATERIALIZED VIEW late_view AS SELECT bidder, COUNT(*) AS n, MIN(ts) AS first FROM bids GROUP BY bidder`);
    await same(`SELECT * FROM late_view ORDER BY ALL`);
    for (const off of [10, 120, 390]) await same(`SELECT * FROM totals AS OF OFFSET ${off} ORDER BY 1, 2, 3`);
    await same(`SELECT * FROM bids AS OF OFFSET 200 ORDER BY 1, 2, 3, 4`);
    await a.close();
    await b.close();

    // Reopened: the archive is read again, and offsets continue after it.
    const r = await Engine.open({ path: join(dir, 'a.duckdb') });
    await r.insert('bids', events(5, 420, 99));
    expect(await r.query(`SELECT count(*)::INT AS c, count(DISTINCT sluice_offset)::INT AS d, max(sluice_offset)::INT AS m FROM sluice_log_bids`)).toEqual([
      { c: 405, d: 405, m: 404 },
    ]);
    await r.close();
  });

  it('a keyed source keeps its stream versions over the archive, across a reopen', async () => {
    const path = join(tmp(), 'v.duckdb');
    let e = await Engine.open({ path });
    await e.execute(`SET checkpoint_interval = '1 hour'`);
    await e.execute(`CREATE SOURCE acct (id VARCHAR, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (key = 'id', retention = '10 seconds')`);
    await e.execute(`CREATE MATERIALIZED VIEW bal AS SELECT id, SUM(amount) AS total, COUNT(*) AS n FROM acct GROUP BY id`);
    for (let b = 0; b < 4; b++) {
      await e.insert('acct', Array.from({ length: 30 }, (_, i) => ({ id: `k${i % 3}`, amount: b * 30 + i, ts: t(b * 30 + i) })));
      await e.checkpoint();
    }
    expect(await logCount(e, 'acct')).toBeLessThan(30);
    await e.close();
    e = await Engine.open({ path });
    for (const k of ['k0', 'k1', 'k2']) expect(await e.streamVersion('acct', k)).toBe(40);
    await e.insert('acct', [{ id: 'k0', amount: 1, ts: t(200) }], { expectedVersion: 40 });
    expect(await e.query(`SELECT max(sluice_stream_version)::INT AS v FROM sluice_log_acct WHERE id = 'k0'`)).toEqual([{ v: 41 }]);
    await e.close();
  });

  it('ADD COLUMN after archiving reads archived events with the DEFAULT', async () => {
    const dir = tmp();
    const e = await Engine.open({ path: join(dir, 'c.duckdb') });
    await e.execute(`SET checkpoint_interval = '1 hour'`);
    await e.execute(source(true));
    await e.execute(`CREATE MATERIALIZED VIEW totals AS ${VIEWS.totals}`);
    await feed(e, 4);
    expect(await logCount(e)).toBeLessThan(200);
    await e.execute(`ALTER SOURCE bids ADD COLUMN note VARCHAR DEFAULT 'none'`);
    await e.insert('bids', [{ auction: 1, bidder: 1, price: 1, ts: t(300), note: 'new' }]);
    await e.execute(`CREATE MATERIALIZED VIEW notes AS SELECT note, COUNT(*) AS c FROM bids GROUP BY note`);
    expect(await e.query(`SELECT note, c::INT AS c FROM notes ORDER BY note`)).toEqual([
      { note: 'new', c: 1 },
      { note: 'none', c: 200 },
    ]);
    const before = await e.query(`SELECT * FROM totals ORDER BY auction`);
    await e.execute(`REBUILD MATERIALIZED VIEW totals`);
    expect(await e.query(`SELECT * FROM totals ORDER BY auction`)).toEqual(before);
    // DROP SOURCE takes its archive with it.
    expect(existsSync(join(dir, 'c.duckdb.archive', 'bids'))).toBe(true);
    await e.execute(`DROP MATERIALIZED VIEW notes; DROP MATERIALIZED VIEW totals; DROP SOURCE bids`);
    expect(existsSync(join(dir, 'c.duckdb.archive', 'bids'))).toBe(false);
    expect(await e.query(`SELECT count(*)::INT AS c FROM sluice_log_archive`)).toEqual([{ c: 0 }]);
    await e.close();
  });

  it('RENAME and DROP COLUMN after archiving: archived events read under the new names, as without retention, after a reopen too', async () => {
    const dir = tmp();
    const open = (name: string) => Engine.open({ path: join(dir, name) });
    let a = await open('a.duckdb');
    const b = await open('b.duckdb');
    for (const [e, ret] of [[a, true], [b, false]] as const) {
      await e.execute(`SET checkpoint_interval = '1 hour'`);
      await e.execute(source(ret));
      // (a view reading price or bidder would refuse the ALTERs)
      await e.execute(`CREATE MATERIALIZED VIEW totals AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`);
      await feed(e, 4);
      // A chain of edits: price -> amount -> cost, bidder dropped, then a new bidder column
      // (archived events must not show the dropped values under it).
      await e.execute(`ALTER SOURCE bids RENAME COLUMN price TO amount`);
      await e.execute(`ALTER SOURCE bids DROP COLUMN bidder`);
      await e.execute(`ALTER SOURCE bids RENAME COLUMN amount TO cost`);
      await e.execute(`ALTER SOURCE bids ADD COLUMN bidder VARCHAR DEFAULT 'gone'`);
      await e.insert('bids', [{ auction: 3, cost: 12.5, ts: t(300), bidder: 'new' }]);
      await e.execute(`CREATE MATERIALIZED VIEW costs AS SELECT auction, bidder, COUNT(*) AS n, SUM(cost) AS total FROM bids GROUP BY auction, bidder`);
    }
    expect(await logCount(a)).toBeLessThan(200);
    const same = async (sql: string) => {
      const want = await b.query(sql);
      expect(want.length).toBeGreaterThan(1);
      expect(await a.query(sql)).toEqual(want);
    };
    const checks = async () => {
      await same(`SELECT sluice_offset, auction, cost, bidder, ts FROM sluice_log_bids ORDER BY sluice_offset`);
      await same(`SELECT * FROM costs ORDER BY ALL`);
      await same(`SELECT * FROM totals ORDER BY ALL`);
    };
    await checks();
    await a.execute(`REBUILD MATERIALIZED VIEW costs`);
    await checks();
    await a.close();
    a = await open('a.duckdb');
    await checks();
    await a.close();
    await b.close();
  });

  it('keeps events a view has not consumed and does nothing in memory', async () => {
    const e = await Engine.open();
    await e.execute(source(true));
    await e.execute(`CREATE MATERIALIZED VIEW totals AS ${VIEWS.totals}`);
    await feed(e, 4);
    expect(await logCount(e)).toBe(200);
    await e.close();
  });

  it('refuses a bad retention, one on a connector source, one without a watermark', async () => {
    const e = await Engine.open();
    const refuse = async (sql: string, code: string, msg: RegExp) => {
      const err = await e.execute(sql).then(() => null, (x: unknown) => x as { code: string; message: string });
      expect(err).toMatchObject({ code });
      expect(err!.message).toMatch(msg);
    };
    await refuse(`CREATE SOURCE s (ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (retention = 'soon')`, 'ARGUMENT', /option retention of source 's'.*'soon'/);
    await refuse(`CREATE SOURCE s (ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (retention = '0 days')`, 'ARGUMENT', /positive interval/);
    await refuse(`CREATE SOURCE s (ts TIMESTAMP) WITH (retention = '1 day')`, 'ARGUMENT', /declares no WATERMARK/);
    await refuse(
      `CREATE SOURCE s (auction BIGINT, bidder BIGINT, price DOUBLE, channel VARCHAR, url VARCHAR, date_time TIMESTAMP, extra VARCHAR, WATERMARK FOR date_time AS date_time) WITH (connector = 'nexmark', table = 'bid', retention = '1 day')`,
      'ARGUMENT',
      /needs an event log.*nexmark connector/,
    );
    await e.close();
  });

  it('a missing archive file is a STATE error naming it', async () => {
    const dir = tmp();
    const path = join(dir, 'm.duckdb');
    let e = await Engine.open({ path });
    await e.execute(`SET checkpoint_interval = '1 hour'`);
    await e.execute(source(true));
    await e.execute(`CREATE MATERIALIZED VIEW totals AS ${VIEWS.totals}`);
    await feed(e, 4);
    await e.close();
    const adir = join(dir, 'm.duckdb.archive', 'bids');
    const victim = readdirSync(adir)[0]!;
    rmSync(join(adir, victim));
    e = await Engine.open({ path });
    const err = await e.execute(`REBUILD MATERIALIZED VIEW totals`).then(() => null, (x: unknown) => x as { code: string; message: string });
    expect(err).toMatchObject({ code: 'STATE' });
    expect(err!.message).toContain(victim);
    // Pull queries over the log name it too.
    const err2 = await e.query(`SELECT count(*) FROM sluice_log_bids`).then(() => null, (x: unknown) => x as { code: string; message: string });
    expect(err2!.message).toContain(victim);
    await e.close();
  });

  it('a kill between the Parquet write and the delete loses and doubles nothing', async () => {
    const dir = tmp();
    const path = join(dir, 'k.duckdb');
    const script = `
      import { Engine } from ${JSON.stringify(resolve('dist/src/index.js'))};
      import { LogArchive } from ${JSON.stringify(resolve('dist/src/state/log-archive.js'))};
      const e = await Engine.open({ path: ${JSON.stringify(path)} });
      await e.execute("SET checkpoint_interval = '1 hour'");
      await e.execute(${JSON.stringify(source(true))});
      await e.execute(${JSON.stringify(`CREATE MATERIALIZED VIEW totals AS ${VIEWS.totals}`)});
      const batches = ${JSON.stringify([0, 1, 2, 3].map((b) => events(50, b * 50, b + 1)))};
      for (const [i, rows] of batches.entries()) {
        await e.insert('bids', rows.map((r) => ({ ...r, ts: new Date(r.ts) })));
        // The last archiving checkpoint stops dead after its file is written and fsynced, and is killed.
        if (i === 3) LogArchive.afterWrite = () => { process.stdout.write('ready'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); };
        await e.checkpoint();
      }
    `;
    writeFileSync(join(dir, 'child.mjs'), script);
    const signal = await new Promise<string | null>((done, fail) => {
      const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', () => child.kill('SIGKILL'));
      child.on('exit', (_code, sig) => done(sig));
      child.on('error', fail);
    });
    expect(signal).toBe('SIGKILL');
    const adir = join(dir, 'k.duckdb.archive', 'bids');
    const onDisk = readdirSync(adir);
    const e = await Engine.open({ path });
    // Opening removes the file of the checkpoint that did not commit: its events are still in the table.
    expect(readdirSync(adir).length).toBe(onDisk.length - 1);
    expect(await e.query(`SELECT count(*)::INT AS c, count(DISTINCT sluice_offset)::INT AS d FROM sluice_log_bids`)).toEqual([{ c: 200, d: 200 }]);
    expect(await e.query(`SELECT sum(n)::INT AS n FROM totals`)).toEqual([{ n: 200 }]);
    await e.checkpoint();
    expect(await e.query(`SELECT count(*)::INT AS c, count(DISTINCT sluice_offset)::INT AS d FROM sluice_log_bids`)).toEqual([{ c: 200, d: 200 }]);
    await e.execute(`REBUILD MATERIALIZED VIEW totals`);
    expect(await e.query(`SELECT sum(n)::INT AS n FROM totals`)).toEqual([{ n: 200 }]);
    await e.close();
  });
});
