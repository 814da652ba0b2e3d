import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-state-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, 0) + s * 1000);
const SOURCE = `CREATE SOURCE IF NOT EXISTS bids (auction BIGINT, bidder BIGINT, price DOUBLE, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)`;

function events(n: number, seed = 1): { auction: number; bidder: number; price: number; ts: Date }[] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => ({
    auction: Math.floor(r() * 7),
    bidder: Math.floor(r() * 5),
    price: Math.round(r() * 1000) / 10,
    ts: t(i * 0.7 - Math.floor(r() * 2)),
  }));
}

describe('reopening an engine file', () => {
  it('keeps the catalog, the event log and every view; inserts continue where they stopped', async () => {
    const path = join(tmp(), 'app.duckdb');
    let e = await Engine.open({ path });
    await e.execute(SOURCE);
    await e.execute(`CREATE MATERIALIZED VIEW totals AS SELECT auction, COUNT(*) AS n, MAX(price) AS top FROM bids GROUP BY auction`);
    await e.execute(`CREATE VIEW cheap AS SELECT * FROM bids WHERE price < 50`);
    await e.execute(`SET checkpoint_interval = '1 hour'`);
    await e.insert('bids', events(100));
    await e.close();

    e = await Engine.open({ path });
    expect(e.describeCatalog().views.map((v) => v.name).sort()).toEqual(['cheap', 'totals']);
    expect(await e.execute(`SHOW checkpoint_interval`)).toMatchObject([{ rows: [{ value: '1 hour' }] }]);
    const before = await e.query('SELECT * FROM totals ORDER BY auction');
    expect(before.reduce((a, r) => a + (r['n'] as number), 0)).toBe(100);
    await e.insert('bids', events(50, 2));
    const after = await e.query('SELECT sum(n)::INT AS n FROM totals');
    expect(after).toEqual([{ n: 150 }]);
    // The event log holds every event once, with its offset.
    expect(await e.query('SELECT count(*)::INT AS c, max(sluice_offset)::INT AS last FROM sluice_log_bids')).toEqual([{ c: 150, last: 149 }]);
    await e.close();
  });

  it('recovers events inserted after the last checkpoint from the event log (no close)', async () => {
    const dir = tmp();
    const path = join(dir, 'app.duckdb');
    // A child process inserts, checkpoints, inserts more, and is killed without closing.
    const script = `
      import { Engine } from ${JSON.stringify(resolve('dist/src/index.js'))};
      const e = await Engine.open({ path: ${JSON.stringify(path)} });
      await e.execute(${JSON.stringify(SOURCE)});
      await e.execute("SET checkpoint_interval = '1 hour'");
      await e.execute("CREATE MATERIALIZED VIEW c AS SELECT bidder, COUNT(*) AS n FROM bids GROUP BY bidder");
      await e.insert('bids', ${JSON.stringify(events(30))});
      await e.checkpoint();
      await e.insert('bids', ${JSON.stringify(events(20, 3))});
      process.stdout.write('ready');
      setInterval(() => {}, 1000);
    `;
    writeFileSync(join(dir, 'child.mjs'), script);
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', () => child.kill('SIGKILL'));
      child.on('exit', () => done());
      child.on('error', fail);
    });
    const e = await Engine.open({ path });
    expect(await e.query('SELECT sum(n)::INT AS n FROM c')).toEqual([{ n: 50 }]);
    await e.close();
  });

  it('REBUILD MATERIALIZED VIEW replays the log and gives the same contents', async () => {
    const e = await Engine.open({ path: join(tmp(), 'r.duckdb') });
    await e.execute(SOURCE);
    const views = {
      w: `SELECT window_start, auction, COUNT(*) AS n, AVG(price) AS avg_price FROM TUMBLE(bids, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end, auction EMIT ON WINDOW CLOSE`,
      s: `SELECT bidder, window_start, window_end, COUNT(*) AS n FROM SESSION(bids PARTITION BY bidder, ts, INTERVAL '3' SECOND) GROUP BY bidder, window_start, window_end`,
      g: `SELECT bidder, MIN(price) AS lo, MAX(price) AS hi, COUNT(DISTINCT auction) AS auctions FROM bids GROUP BY bidder`,
    };
    for (const [name, q] of Object.entries(views)) await e.execute(`CREATE MATERIALIZED VIEW ${name} AS ${q}`);
    await e.insert('bids', events(300));
    for (const name of Object.keys(views)) {
      const live = await e.query(`SELECT * FROM ${name} ORDER BY ALL`);
      expect(live.length).toBeGreaterThan(0);
      await e.execute(`REBUILD MATERIALIZED VIEW ${name}`);
      expect(await e.query(`SELECT * FROM ${name} ORDER BY ALL`)).toEqual(live);
    }
    await e.close();
  });
});

describe('snapshot and restore give the same output as an uninterrupted run, for every stateful operator', () => {
  const QUERIES: Record<string, string> = {
    tumble_close: `SELECT window_start, auction, COUNT(*) AS n, SUM(price) AS total FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, auction EMIT ON WINDOW CLOSE`,
    hop_changes: `SELECT window_start, window_end, auction, MAX(price) AS top FROM HOP(bids, ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND) GROUP BY window_start, window_end, auction`,
    cumulate: `SELECT window_start, window_end, COUNT(DISTINCT bidder) AS bidders FROM CUMULATE(bids, ts, INTERVAL '4' SECOND, INTERVAL '20' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE`,
    session_changes: `SELECT bidder, window_start, window_end, COUNT(*) AS n, AVG(price) AS a FROM SESSION(bids PARTITION BY bidder, ts, INTERVAL '2' SECOND) GROUP BY bidder, window_start, window_end`,
    session_close: `SELECT bidder, window_start, window_end, MIN(price) AS lo FROM SESSION(bids PARTITION BY bidder, ts, INTERVAL '2' SECOND) GROUP BY bidder, window_start, window_end EMIT ON WINDOW CLOSE`,
    group_retract: `SELECT n, COUNT(*) AS auctions, MIN(auction) AS first FROM (SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction) GROUP BY n`,
    dist: `SELECT DISTINCT bidder, auction FROM bids`,
    top3: `SELECT auction, price FROM bids ORDER BY price DESC LIMIT 3`,
    union_global: `SELECT COUNT(*) AS n FROM (SELECT auction FROM bids WHERE price > 50 UNION ALL SELECT bidder FROM bids)`,
    join_left: `SELECT b.auction, b.price, c.n FROM bids b LEFT JOIN (SELECT auction, COUNT(*) AS n FROM bids WHERE price > 50 GROUP BY auction) c ON b.auction = c.auction AND b.bidder < 3`,
  };
  const all = events(400);
  const first = all.slice(0, 230);
  const second = all.slice(230);

  async function runInto(e: Engine, name: string, dir: string, part: 'all' | 'first' | 'second'): Promise<void> {
    if (part !== 'second') {
      await e.execute(SOURCE);
      await e.execute(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} AS ${QUERIES[name]}`);
      await e.execute(`CREATE SINK IF NOT EXISTS out FROM ${name} WITH (connector = 'file', path = '${join(dir, name + '.jsonl')}', format = 'jsonl')`);
    }
    if (part !== 'second') await e.insert('bids', first);
    if (part !== 'first') {
      await e.insert('bids', second);
      await e.endOfStream('bids');
    }
  }

  for (const name of Object.keys(QUERIES)) {
    it(name, async () => {
      const a = tmp();
      const ref = await Engine.open({ path: join(a, 'ref.duckdb') });
      await runInto(ref, name, a, 'all');
      const expected = await ref.query(`SELECT * FROM ${name} ORDER BY ALL`);
      await ref.close();

      const b = tmp();
      const path = join(b, 'split.duckdb');
      let e = await Engine.open({ path });
      await runInto(e, name, b, 'first');
      await e.checkpoint();
      await e.close();
      e = await Engine.open({ path });
      await runInto(e, name, b, 'second');
      expect(await e.query(`SELECT * FROM ${name} ORDER BY ALL`)).toEqual(expected);
      await e.close();
      expect(readFileSync(join(b, name + '.jsonl'), 'utf8')).toBe(readFileSync(join(a, name + '.jsonl'), 'utf8'));
    });
  }
});

describe('bad database files are refused with a STATE error and left untouched', () => {
  const unchanged = async (path: string, open: () => Promise<unknown>, words: string) => {
    const before = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    await expect(open()).rejects.toMatchObject({ code: 'STATE', message: expect.stringContaining(words) });
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
  };

  it('a file that is not a DuckDB database', async () => {
    const path = join(tmp(), 'notes.txt');
    writeFileSync(path, 'my shopping list\n');
    await unchanged(path, () => Engine.open({ path }), 'not a sluice database');
  });

  it('a DuckDB database sluice did not create', async () => {
    const path = join(tmp(), 'other.duckdb');
    const inst = await DuckDBInstance.create(path);
    const con = await inst.connect();
    await con.run('CREATE TABLE customers (id INT)');
    con.closeSync();
    inst.closeSync();
    await unchanged(path, () => Engine.open({ path }), 'not a sluice database');
  });

  it('a database written by a newer format version', async () => {
    const path = join(tmp(), 'future.duckdb');
    const e = await Engine.open({ path });
    await e.close();
    const inst = await DuckDBInstance.create(path);
    const con = await inst.connect();
    await con.run(`UPDATE sluice_meta SET value = '99' WHERE key = 'format_version'`);
    con.closeSync();
    inst.closeSync();
    await unchanged(path, () => Engine.open({ path }), 'newer sluice');
  });

  it('a database already opened by another process (and by this one)', async () => {
    const dir = tmp();
    const path = join(dir, 'busy.duckdb');
    const first = await Engine.open({ path });
    await expect(Engine.open({ path })).rejects.toMatchObject({ code: 'STATE', message: expect.stringContaining('already open') });
    await first.close();
    writeFileSync(
      join(dir, 'hold.mjs'),
      `import { Engine } from ${JSON.stringify(resolve('dist/src/index.js'))};
       await Engine.open({ path: ${JSON.stringify(path)} }); process.stdout.write('open'); setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, [join(dir, 'hold.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    try {
      await unchanged(path, () => Engine.open({ path }), 'already open in another process');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('pull queries can only read', () => {
  it.each([
    ['INSERT INTO sluice_dead_letters VALUES (1, 2, 3, 4, now())', 'INSERT'],
    ['DELETE FROM v', 'DELETE'],
    ['UPDATE v SET n = 0', 'UPDATE'],
    ['DROP TABLE v', 'DROP'],
    ["ATTACH 'other.duckdb' AS o", 'ATTACH'],
    ["COPY v TO '/tmp/x.csv'", 'COPY'],
    ["SET threads = 4", 'SET'],
    ['CREATE TABLE t AS SELECT 1', 'CREATE'],
    ['PRAGMA threads = 4', 'statement'],
    ['CHECKPOINT', 'statement'],
    ['INSTALL httpfs', 'statement'],
    ['SELECT 1; SELECT 2', 'exactly one'],
  ])('refuses %s', async (sql, words) => {
    const e = await Engine.open();
    await e.execute(SOURCE);
    await e.execute(`CREATE MATERIALIZED VIEW v AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`);
    const err = await e.query(sql).catch((x) => x);
    expect(err).toMatchObject({ code: 'IMMUTABLE' });
    expect(err.message).toContain(words);
    expect(await e.query('SELECT count(*)::INT AS c FROM v')).toEqual([{ c: 0 }]);
    await e.close();
  });
});

/** (auction, n) rows as sorted keys. */
const rowKeys = (rows: readonly Record<string, unknown>[]): string[] => rows.map((r) => JSON.stringify([r['auction'], r['n']])).sort();

/** The (auction, n) rows left after applying a change history in order. */
function foldChanges(changes: readonly Record<string, unknown>[]): string[] {
  const folded = new Map<string, number>();
  for (const c of changes) {
    const k = JSON.stringify([c['auction'], c['n']]);
    folded.set(k, (folded.get(k) ?? 0) + (c['op'] === '+I' || c['op'] === '+U' ? 1 : -1));
  }
  return [...folded].filter(([, n]) => n > 0).map(([k]) => k).sort();
}

describe('the audit trail: SELECT … FROM CHANGES(v)', () => {
  it('holds every change of a view in order, with its kind; folding it gives the contents, also after a crash', async () => {
    const dir = tmp();
    const path = join(dir, 'audit.duckdb');
    let e = await Engine.open({ path });
    await e.execute(SOURCE);
    await e.execute(`CREATE MATERIALIZED VIEW totals AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`);
    await e.insert('bids', events(40));
    await e.close();
    e = await Engine.open({ path });
    await e.insert('bids', events(10, 5));
    const changes = await e.query('SELECT seq, op, auction, n FROM CHANGES(totals) ORDER BY seq');
    expect(changes.map((c) => c['seq'])).toEqual(changes.map((_, i) => i));
    expect(new Set(changes.map((c) => c['op']))).toEqual(new Set(['+I', '-U', '+U']));
    // Folding the history gives the current contents.
    expect(foldChanges(changes)).toEqual(rowKeys(await e.query('SELECT auction, n FROM totals')));
    // Any DuckDB SQL works on it, with an alias and a filter.
    const [last] = await e.query(`SELECT c.changed_at FROM CHANGES(totals) AS c WHERE c.op = '+U' ORDER BY c.seq DESC LIMIT 1`);
    expect(last!['changed_at']).toBeInstanceOf(Date);
    await e.close();
  });
});

describe('the audit trail: source offsets', () => {
  it('gives each change the offsets it followed from, through views and after a reopen; folding up to an offset gives AS OF OFFSET', async () => {
    const dir = tmp();
    const path = join(dir, 'offsets.duckdb');
    let e = await Engine.open({ path });
    await e.execute(SOURCE);
    await e.execute(`CREATE SOURCE asks (auction BIGINT, ts TIMESTAMP)`);
    await e.execute(`CREATE MATERIALIZED VIEW per_auction AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction`);
    await e.execute(`CREATE MATERIALIZED VIEW busy AS SELECT a.auction, a.n FROM per_auction a JOIN asks USING (auction) WHERE a.n >= 2`);
    const evs = events(30);
    // One event per insert: a change made after bid k says bids: k.
    for (let i = 0; i < 20; i++) await e.insert('bids', [evs[i]!]);
    await e.insert('asks', [{ auction: 1, ts: t(0) }, { auction: 3, ts: t(0) }]);
    await e.close();
    e = await Engine.open({ path });
    for (let i = 20; i < 30; i++) await e.insert('bids', [evs[i]!]);
    const changes = await e.query(
      `SELECT seq, op, auction, n, map_extract_value(source_offsets, 'bids') AS bid FROM CHANGES(per_auction) ORDER BY seq`,
    );
    // Every bid changes one group: its +I, or its -U and +U, all stamped with that bid's offset.
    const stamps = [...new Set(changes.map((c) => c['bid']))];
    expect(stamps).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const k of [4, 19, 23]) {
      const asOf = (await e.execute(`SELECT auction, n FROM per_auction AS OF OFFSET ${k}`))[0]!.rows!;
      expect(foldChanges(changes.filter((c) => (c['bid'] as number) <= k)), `AS OF OFFSET ${k}`).toEqual(rowKeys(asOf));
    }
    // A view over a view and a second source carries both sources' offsets.
    const busy = await e.query(
      `SELECT map_extract_value(source_offsets, 'bids') AS bid, map_extract_value(source_offsets, 'asks') AS ask FROM CHANGES(busy) ORDER BY seq`,
    );
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]).toEqual({ bid: 19, ask: 1 });
    for (const c of busy.slice(1)) expect([c['bid'] as number >= 19, c['ask']]).toEqual([true, 1]);
    await e.close();
  });

  it('reserves names starting with sluice_ for its own tables', async () => {
    const e = await Engine.open();
    await e.execute(SOURCE);
    await expect(e.execute(`CREATE MATERIALIZED VIEW sluice_state AS SELECT * FROM bids`)).rejects.toMatchObject({ code: 'CATALOG', line: 1, column: 26 });
    await expect(e.execute(`CREATE SOURCE Sluice_Log_x (a INT)`)).rejects.toMatchObject({ code: 'CATALOG' });
    await expect(e.execute(`CREATE SINK sluice_out FROM bids WITH (connector = 'blackhole')`)).rejects.toMatchObject({ code: 'CATALOG' });
    await e.close();
  });
});

describe('time travel: SELECT … FROM v AS OF', () => {
  it('gives the view as it was when its input reached a time or an offset', async () => {
    const e = await Engine.open();
    await e.execute(SOURCE);
    await e.execute(`CREATE MATERIALIZED VIEW w AS SELECT window_start, auction, COUNT(*) AS n FROM TUMBLE(bids, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end, auction EMIT ON WINDOW CLOSE`);
    await e.execute(`CREATE MATERIALIZED VIEW g AS SELECT bidder, COUNT(*) AS n, MAX(price) AS top FROM bids GROUP BY bidder`);
    const evs = events(120);
    const cut = t(40).getTime();
    const atTime: Record<string, unknown>[][] = [];
    const atOffset = new Map<number, Record<string, unknown>[][]>();
    let seenPast = false;
    for (let i = 0; i < evs.length; i++) {
      if (!seenPast && evs[i]!.ts.getTime() > cut) {
        seenPast = true;
        atTime.push(await e.query('SELECT * FROM w ORDER BY ALL'), await e.query('SELECT * FROM g ORDER BY ALL'));
      }
      await e.insert('bids', [evs[i]!]);
      if (i === 30 || i === 77) atOffset.set(i, [await e.query('SELECT * FROM w ORDER BY ALL'), await e.query('SELECT * FROM g ORDER BY ALL')]);
    }
    const q = async (sql: string) => (await e.execute(sql))[0]!.rows!.map((r) => ({ ...r })).sort((a, b) => JSON.stringify(Object.values(a)).localeCompare(JSON.stringify(Object.values(b))));
    const sorted = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => JSON.stringify(Object.values(a)).localeCompare(JSON.stringify(Object.values(b))));
    expect(await q(`SELECT * FROM w AS OF TIMESTAMP '2024-01-01 00:00:40'`)).toEqual(sorted(atTime[0]!));
    expect(await q(`SELECT * FROM g AS OF TIMESTAMP '2024-01-01 00:00:40'`)).toEqual(sorted(atTime[1]!));
    for (const [i, [w, g]] of atOffset) {
      expect(await q(`SELECT * FROM w AS OF OFFSET ${i}`)).toEqual(sorted(w!));
      expect(await q(`SELECT * FROM g AS OF OFFSET ${i}`)).toEqual(sorted(g!));
    }
    // An AS OF query does not disturb the live views.
    expect(await e.query('SELECT sum(n)::INT AS n FROM g')).toEqual([{ n: 120 }]);
    await expect(e.execute(`CREATE MATERIALIZED VIEW x AS SELECT * FROM g AS OF OFFSET 3`)).rejects.toMatchObject({ code: 'BIND' });
    await e.close();
  });
});
