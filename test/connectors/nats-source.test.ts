/**
 * The nats source against the machine's real NATS server (127.0.0.1:4222 with JetStream; a
 * missing server fails these tests): order within a partition, the watermark as the minimum
 * over partitions with idle_timeout, dead letters naming stream and sequence, acks only
 * after a checkpoint, and kill -9 at random moments with nothing lost and nothing doubled.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TIME_HEADER } from '../../src/connectors/nats/nats-source.js';
import { Engine } from '../../src/index.js';
import { cleanup, openNats, publish, SERVERS, stream, until, killChildAfter, type Nats } from './nats-helpers.js';

let nats: Nats;
const dirs: string[] = [];
const T0 = Date.UTC(2024, 0, 1);
const iso = (ms: number) => new Date(T0 + ms).toISOString();

beforeAll(async () => {
  nats = await openNats();
});
afterAll(async () => {
  await cleanup(nats);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-nats-'));
  dirs.push(d);
  return d;
}

async function count(engine: Engine, sql: string): Promise<number> {
  const rows = await engine.query(sql);
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
}

describe('nats source', () => {
  it('keeps order within a partition and holds windows open while one partition lags, until it is idle', async () => {
    const { stream: s, prefix } = await stream(nats, 'wm');
    const ev = (p: number, sec: number) => [`${prefix}.${p}`, JSON.stringify({ p, i: sec, ts: iso(sec * 1000) })] as const;
    const engine = await Engine.open();
    try {
      await engine.execute(`
        CREATE SOURCE o (p INT, i BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
          WITH (connector = 'nats', servers = '${SERVERS}', stream = '${s}', subject = '${prefix}.*', format = 'json',
                partitions = 2, key = 'p', idle_timeout = '3 seconds');
        CREATE MATERIALIZED VIEW w AS SELECT window_start, COUNT(*) AS n
          FROM TUMBLE(o, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE;
        CREATE MATERIALIZED VIEW seen AS SELECT p, i FROM o;`);
      const arrivals: [number, number][] = [];
      engine.subscribe('seen', (c) => arrivals.push([Number(c.row['p']), Number(c.row['i'])]), { snapshot: false });
      // Calls run one at a time: once this one is done, the subscription is in place.
      await engine.checkpoint();
      const windows = async () =>
        (await engine.query('SELECT window_start, n FROM w ORDER BY window_start')).map((r) => [new Date(r['window_start'] as Date).getTime() - T0, Number(r['n'])]);

      // Partition 1 stops at 3 s while partition 0 runs to 20 s: the watermark is 3 s − 1 s.
      const p1 = [0, 1, 2, 3].map((t) => ev(1, t));
      const p0 = Array.from({ length: 21 }, (_, t) => ev(0, t));
      await publish(nats, s, [...p1, ...p0]);
      await until('25 events', async () => (await count(engine, 'SELECT COUNT(*) FROM seen')) === 25);
      expect(await windows()).toEqual([]);

      // Partition 1 catches up to 15 s: the watermark is 14 s, [0 s, 10 s) closes, [10 s, 20 s) not.
      await publish(nats, s, Array.from({ length: 12 }, (_, k) => ev(1, 4 + k)));
      await until('37 events', async () => (await count(engine, 'SELECT COUNT(*) FROM seen')) === 37);
      await until('the first window', async () => (await windows()).length > 0, 5000);
      expect(await windows()).toEqual([[0, 20]]);

      // Partition 1 falls silent, partition 0 goes on to 35 s: after idle_timeout only partition 0 counts.
      await publish(nats, s, Array.from({ length: 15 }, (_, k) => ev(0, 21 + k)));
      await until('windows closed past the idle partition', async () => (await windows()).length >= 3, 15_000);
      expect((await windows()).slice(0, 3)).toEqual([
        [0, 20],
        [10_000, 16],
        [20_000, 10],
      ]);

      // Each partition's events arrived in the order they were published.
      for (const p of [0, 1]) {
        const seq = arrivals.filter(([q]) => q === p).map(([, i]) => i);
        expect(seq).toEqual(p === 0 ? Array.from({ length: 36 }, (_, i) => i) : Array.from({ length: 16 }, (_, i) => i));
      }
    } finally {
      await engine.close();
    }
  });

  it('reads a repartition stream: every upstream partition holds the watermark until it has passed, by a row or a watermark message', async () => {
    const { stream: s, prefix } = await stream(nats, 'repart');
    const ev = (p: number, sec: number) => [`${prefix}.${p}`, JSON.stringify({ p, i: sec, ts: iso(sec * 1000) })] as const;
    const mark = async (p: number, sec: number, value = String(T0 + sec * 1000)) => {
      const h = natsHeaders();
      h.set(EVENT_TIME_HEADER, value);
      nats.nc.publish(`${prefix}.${p}`, new Uint8Array(0), { headers: h });
      await nats.nc.flush();
    };
    const engine = await Engine.open();
    try {
      await engine.execute(`
        CREATE SOURCE o (p INT, i BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
          WITH (connector = 'nats', servers = '${SERVERS}', stream = '${s}', subject = '${prefix}.*', partitions = 2, repartition = true);
        CREATE MATERIALIZED VIEW w AS SELECT window_start, COUNT(*) AS n
          FROM TUMBLE(o, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE;
        CREATE MATERIALIZED VIEW seen AS SELECT p, i FROM o;`);
      const windows = async () =>
        (await engine.query('SELECT window_start, n FROM w ORDER BY window_start')).map((r) => [new Date(r['window_start'] as Date).getTime() - T0, Number(r['n'])]);

      // Upstream partition 1 has sent nothing: it holds every window open.
      await publish(nats, s, Array.from({ length: 21 }, (_, t) => ev(0, t)));
      await until('partition 0', async () => (await count(engine, 'SELECT COUNT(*) FROM seen')) >= 21);
      await new Promise((r) => setTimeout(r, 300));
      expect(await windows()).toEqual([]);

      // Partition 1 passed 15 s without a row here: the watermark is min(20, 15) − 1 s.
      await mark(1, 15);
      await until('the first window', async () => (await windows()).length >= 1);
      expect(await windows()).toEqual([[0, 10]]);

      // Not late (the watermark, 14 s, is short of the window's end); an older mark changes nothing.
      await publish(nats, s, [ev(1, 12)]);
      await mark(1, 5);
      await mark(1, 25);
      await publish(nats, s, Array.from({ length: 10 }, (_, t) => ev(0, 21 + t)));
      await until('the second window', async () => (await windows()).length >= 2);
      expect(await windows()).toEqual([[0, 10], [10000, 11]]);
      // A mark is no row; an empty message without one is a dead letter, as elsewhere.
      await mark(0, 0, 'soon');
      await until('the dead letter', async () => (await count(engine, 'SELECT COUNT(*) FROM sluice_dead_letters')) >= 1);
      expect(await count(engine, 'SELECT COUNT(*) FROM seen')).toBe(32);
    } finally {
      await engine.close();
    }
  });

  it('gives a view created later, while it catches up, the held partitions and the watermark messages', async () => {
    const { stream: s, prefix } = await stream(nats, 'repartlate');
    const ev = (p: number, sec: number) => [`${prefix}.${p}`, JSON.stringify({ p, i: sec, ts: iso(sec * 1000) })] as const;
    const h = natsHeaders();
    h.set(EVENT_TIME_HEADER, String(T0 + 15_000));
    const engine = await Engine.open();
    try {
      await engine.execute(`
        CREATE SOURCE o (p INT, i BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
          WITH (connector = 'nats', servers = '${SERVERS}', stream = '${s}', subject = '${prefix}.*', partitions = 3, repartition = true);
        CREATE MATERIALIZED VIEW seen AS SELECT p, i FROM o;`);
      // Partition 1 only says it passed 15 s; partition 2 never speaks, and holds every window open.
      await publish(nats, s, Array.from({ length: 21 }, (_, t) => ev(0, t)));
      nats.nc.publish(`${prefix}.1`, new Uint8Array(0), { headers: h });
      await until('partition 0', async () => (await count(engine, 'SELECT COUNT(*) FROM seen')) >= 21);
      const windows = (view: string) => async () =>
        (await engine.query(`SELECT window_start, n FROM ${view} ORDER BY window_start`)).map((r) => [new Date(r['window_start'] as Date).getTime() - T0, Number(r['n'])]);
      await engine.execute(`CREATE MATERIALIZED VIEW w AS SELECT window_start, COUNT(*) AS n
        FROM TUMBLE(o, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end EMIT ON WINDOW CLOSE;`);
      await new Promise((r) => setTimeout(r, 300));
      expect(await windows('w')()).toEqual([]);
      // Partition 2 catches up to 30 s: the watermark is partition 1's 15 s − 1 s, known to w from its catch-up.
      await publish(nats, s, Array.from({ length: 31 }, (_, t) => ev(2, t)));
      await until('the first window', async () => (await windows('w')()).length >= 1);
      expect(await windows('w')()).toEqual([[0, 20]]);
    } finally {
      await engine.close();
    }
  });

  it('sends malformed messages to sluice_dead_letters with stream and sequence, and reads to the end with stop_at_end', async () => {
    const { stream: s, prefix } = await stream(nats, 'dl');
    const good = (p: number, i: number) => [`${prefix}.${p}`, JSON.stringify({ i, amount: i * 1.5, ts: iso(i) })] as const;
    const msgs: (readonly [string, string])[] = [
      good(0, 1),
      [`${prefix}.0`, 'not json'],
      good(1, 2),
      [`${prefix}.1`, JSON.stringify({ i: 'three', amount: 1, ts: iso(3) })],
      [`${prefix}.0`, JSON.stringify({ i: 4, amount: 1 })],
      [`${prefix}.7`, JSON.stringify({ i: 5, amount: 1, ts: iso(5) })],
      good(1, 6),
    ];
    await publish(nats, s, msgs);
    const engine = await Engine.open();
    try {
      await engine.execute(`CREATE SOURCE o (i BIGINT, amount DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts)
        WITH (connector = 'nats', stream = '${s}', subject = '${prefix}.*', partitions = 2, stop_at_end = true)`);
      const [r] = await engine.execute('SELECT i, amount FROM o');
      expect(r!.rows).toEqual([
        { i: 1, amount: 1.5 },
        { i: 2, amount: 3 },
        { i: 6, amount: 9 },
      ]);
      const dead = await engine.query('SELECT source, "offset", raw, reason FROM sluice_dead_letters ORDER BY "offset"');
      expect(dead.map((d) => [d['source'], Number(d['offset']), d['raw']])).toEqual([
        ['o', 2, 'not json'],
        ['o', 4, msgs[3]![1]],
        ['o', 5, msgs[4]![1]],
        ['o', 6, msgs[5]![1]],
      ]);
      const reasons = dead.map((d) => String(d['reason']));
      reasons.forEach((reason, k) => expect(reason).toContain(`stream ${s} sequence ${[2, 4, 5, 6][k]}`));
      expect(reasons[0]).toContain('invalid JSON');
      expect(reasons[1]).toContain('column i: expected BIGINT');
      expect(reasons[2]).toContain('missing event time column ts');
      expect(reasons[3]).toContain("partition '7' is not one of 0 … 1");
    } finally {
      await engine.close();
    }
  });

  it('refuses bad options and unreachable servers with CONNECTOR errors naming them', async () => {
    const { stream: s, prefix } = await stream(nats, 'opt');
    const engine = await Engine.open();
    const create = (w: string) => engine.execute(`CREATE SOURCE x (i BIGINT) WITH (connector = 'nats', ${w})`);
    try {
      await expect(create(`stream = '${s}', subject = '${prefix}.*', colour = 'red'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("unknown option 'colour'") });
      await expect(create(`subject = '${prefix}.*'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("missing option 'stream'") });
      await expect(create(`stream = '${s}', subject = '${prefix}.*', partitions = 0`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("'partitions'") });
      await expect(create(`stream = '${s}', subject = '${prefix}.*', key = 'nope'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("'nope'") });
      await expect(create(`stream = 'NO_SUCH_${process.pid}', subject = 'zz.*'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining('does not exist') });
      await expect(create(`stream = '${s}', subject = 'elsewhere.*'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("subject 'elsewhere.*'") });
      const t = Date.now();
      await expect(create(`servers = 'nats://127.0.0.1:1', stream = '${s}', subject = '${prefix}.*'`)).rejects.toMatchObject({
        code: 'CONNECTOR',
        message: expect.stringMatching(/source 'x': cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/),
      });
      expect(Date.now() - t).toBeLessThan(10_000);
    } finally {
      await engine.close();
    }
  });

  it('acknowledges messages only once a checkpoint holds them, and resumes after a reopen', async () => {
    const { stream: s, prefix } = await stream(nats, 'ack');
    const path = join(tempDir(), 'ack.duckdb');
    const ev = (i: number) => [`${prefix}.${i % 3}`, JSON.stringify({ i, ts: iso(i) })] as const;
    const consumer = async () => (await nats.jsm.consumers.info(s, 'sluice_o')).ack_floor.stream_seq;
    let engine = await Engine.open({ path });
    try {
      await engine.execute(`SET checkpoint_interval = '1 hour';
        CREATE SOURCE o (i BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'nats', stream = '${s}', subject = '${prefix}.*', partitions = 3);
        CREATE MATERIALIZED VIEW seen AS SELECT i FROM o;`);
      let n = 0;
      engine.subscribe('seen', () => n++, { snapshot: false });
      await engine.checkpoint();
      await publish(nats, s, Array.from({ length: 100 }, (_, i) => ev(i)));
      await until('100 events read', async () => n === 100);
      expect(await consumer()).toBe(0);
      expect((await nats.jsm.consumers.info(s, 'sluice_o')).config.ack_policy).toBe('all');
      await engine.checkpoint();
      await until('the ack of the checkpoint', async () => (await consumer()) === 100, 5000);
      await engine.close();

      await publish(nats, s, Array.from({ length: 50 }, (_, i) => ev(100 + i)));
      engine = await Engine.open({ path });
      await until('150 events', async () => (await count(engine, 'SELECT COUNT(*) FROM seen')) >= 150);
      expect(await engine.query('SELECT COUNT(*) AS n, COUNT(DISTINCT i) AS d, SUM(i) AS s FROM seen')).toEqual([{ n: 150, d: 150, s: (149 * 150) / 2 }]);
    } finally {
      await engine.close();
    }
  });

  it('in memory, holds no acks on the server: its consumer acknowledges nothing and nothing stays pending', async () => {
    const { stream: s, prefix } = await stream(nats, 'memack');
    await publish(nats, s, Array.from({ length: 100 }, (_, i) => [`${prefix}.${i % 2}`, JSON.stringify({ i, ts: iso(i) })] as const));
    const engine = await Engine.open();
    try {
      await engine.execute(`CREATE SOURCE o (i BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'nats', stream = '${s}', subject = '${prefix}.*', partitions = 2);
        CREATE MATERIALIZED VIEW seen AS SELECT i FROM o;`);
      await until('100 events read', async () => (await count(engine, 'SELECT COUNT(*) FROM seen')) === 100);
      const info = await nats.jsm.consumers.info(s, 'sluice_o');
      expect(info.config.ack_policy).toBe('none');
      expect(info.num_ack_pending).toBe(0);
      expect(info.delivered.stream_seq).toBe(100);
    } finally {
      await engine.close();
    }
  });
});

describe('nats source, kill -9', () => {
  const DIST = resolve('dist/src/index.js');

  it('resumes from the checkpointed sequence: nothing lost, nothing doubled', async () => {
    expect(existsSync(DIST), 'the kill test runs the built engine: npm run build').toBe(true);
    const { stream: s, prefix } = await stream(nats, 'kill');
    const dir = tempDir();
    const path = join(dir, 'kill.duckdb');
    const sql = `SET checkpoint_interval = '50 milliseconds';
      CREATE SOURCE IF NOT EXISTS o (p INT, i BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
        WITH (connector = 'nats', stream = '${s}', subject = '${prefix}.*', partitions = 4, key = 'p');
      CREATE MATERIALIZED VIEW IF NOT EXISTS per_p AS SELECT p, COUNT(*) AS n, COUNT(DISTINCT i) AS d, SUM(amount) AS total FROM o GROUP BY p;
      CREATE MATERIALIZED VIEW IF NOT EXISTS per_window AS SELECT window_start, p, COUNT(*) AS n
        FROM TUMBLE(o, ts, INTERVAL '1' SECOND) GROUP BY window_start, window_end, p;`;
    writeFileSync(
      join(dir, 'child.mjs'),
      `import { Engine } from ${JSON.stringify(DIST)};
const engine = await Engine.open({ path: ${JSON.stringify(path)} });
await engine.execute(${JSON.stringify(sql)});
setInterval(() => undefined, 1000);`,
    );
    // Events of partition p: i = p, p + 4, …; each partition's event time grows with i.
    let next = 0;
    const events = (n: number) =>
      Array.from({ length: n }, () => {
        const i = next++;
        return [`${prefix}.${i % 4}`, JSON.stringify({ p: i % 4, i, amount: i % 97, ts: iso(i * 10) })] as const;
      });
    const runAndKill = (ms: number) => killChildAfter(join(dir, 'child.mjs'), ms);
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    await publish(nats, s, events(30_000));
    for (let k = 0; k < 3; k++) {
      await runAndKill(1200 + Math.floor(rnd() * 1500));
      await publish(nats, s, events(5000));
    }
    const total = next;
    const engine = await Engine.open({ path });
    try {
      // Generous: on a loaded 2-core VM the reopened engine may replay most of the 45k events; the count reached tells slow from lost.
      let seen = 0;
      await until(`all ${total} events`, async () => (seen = await count(engine, 'SELECT SUM(n) FROM per_p')) >= total, 90_000, () => `the view counted ${seen}`);
      const perP = await engine.query('SELECT p, n, d, total FROM per_p ORDER BY p');
      const want = [0, 1, 2, 3].map((p) => {
        const is = Array.from({ length: total }, (_, i) => i).filter((i) => i % 4 === p);
        return { p, n: is.length, d: is.length, total: is.reduce((a, i) => a + (i % 97), 0) };
      });
      expect(perP).toEqual(want);
      // Every (second, partition) window holds its 25 events exactly once.
      const windows = await engine.query('SELECT COUNT(*) AS w, MIN(n) AS lo, MAX(n) AS hi FROM per_window');
      expect(windows).toEqual([{ w: total / 25, lo: 25, hi: 25 }]);
      const info = await nats.jsm.consumers.info(s, 'sluice_o');
      expect(info.config.durable_name).toBe('sluice_o');
    } finally {
      await engine.close();
    }
  }, 150_000);
});
