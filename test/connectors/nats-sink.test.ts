/**
 * The nats sink against the machine's real NATS server (127.0.0.1:4222 with JetStream; a
 * missing server fails these tests): folding its messages gives the view, every change of a
 * key lands in one partition, and a replay after a crash (simulated between publish and
 * checkpoint, and kill -9 at random moments) adds no message twice.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendOnlyBatch, batchFromRows } from '../../src/exec/batch.js';
import { openSink } from '../../src/connectors/sinks/file-sink.js';
import { Engine } from '../../src/index.js';
import type { Schema } from '../../src/types.js';
import { cleanup, openNats, publish, readAll, SERVERS, stream, until, killChildAfter, type Nats } from './nats-helpers.js';

let nats: Nats;
const dirs: string[] = [];
const pid = process.pid;
const T0 = Date.UTC(2024, 0, 1);

beforeAll(async () => {
  nats = await openNats();
});
afterAll(async () => {
  await cleanup(nats);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-nats-sink-'));
  dirs.push(d);
  return d;
}

/** A sink's output stream: named for this run, deleted afterwards. */
function outStream(name: string): string {
  const s = `T${pid}_OUT_${name.toUpperCase()}`;
  nats.streams.add(s);
  return s;
}

describe('nats sink', () => {
  it('publishes a changelog whose fold is the view, each key in one partition, with consecutive message ids', async () => {
    const out = outStream('fold');
    const engine = await Engine.open({ path: join(tempDir(), 'fold.duckdb') });
    try {
      await engine.execute(`
        CREATE SOURCE o (k BIGINT, v DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts);
        CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(v) AS s, COUNT(*) AS n, MAX(ts) AS last_ts FROM o GROUP BY k HAVING SUM(v) < 150;
        CREATE SINK totals_out FROM totals WITH (connector = 'nats', servers = '${SERVERS}', stream = '${out}', subject = 't${pid}.totals', partitions = 3);`);
      let seed = 7;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let b = 0; b < 20; b++) {
        const rows = Array.from({ length: 50 }, (_, i) => ({ k: Math.floor(rnd() * 30), v: Math.floor(rnd() * 10), ts: T0 + b * 1000 + i }));
        await engine.insert('o', rows);
        if (b % 7 === 3) await engine.checkpoint();
      }
      await engine.checkpoint();
      const view = (await engine.query('SELECT k, s, n, last_ts FROM totals ORDER BY k')).map((r) => JSON.stringify([r['k'], r['s'], r['n'], new Date(r['last_ts'] as Date).toISOString()]));
      const msgs = await readAll(nats, out);
      const folded = new Map<unknown, string>();
      const partitionOf = new Map<unknown, string>();
      const ops = new Set<string>();
      for (const m of msgs) {
        const { op, k, s, n, last_ts } = m.json;
        ops.add(String(op));
        if (op === '-U' || op === '-D') folded.delete(k);
        else folded.set(k, JSON.stringify([k, s, n, last_ts]));
        expect(partitionOf.get(k) ?? m.subject).toBe(m.subject);
        partitionOf.set(k, m.subject);
      }
      expect([...folded.values()].sort()).toEqual([...view].sort());
      // The HAVING drops groups: the changelog has all four kinds of change.
      expect([...ops].sort()).toEqual(['+I', '+U', '-D', '-U']);
      expect(new Set(partitionOf.values())).toEqual(new Set([`t${pid}.totals.0`, `t${pid}.totals.1`, `t${pid}.totals.2`]));
      // A new stream: its last sequence was 0, so the ids are totals_out:1, :2, …
      expect(msgs.map((m) => m.id)).toEqual(msgs.map((_, i) => `totals_out:${i + 1}`));
      const info = await nats.jsm.streams.info(out);
      expect(info.config.duplicate_window).toBe(10 * 60 * 1e9);
    } finally {
      await engine.close();
    }
  });

  it('drops the changes a recovery publishes again (same ids), so the stream holds each once', async () => {
    const out = outStream('replay');
    const schema: Schema = [
      { name: 'id', type: 'BIGINT' },
      { name: 'note', type: 'VARCHAR' },
    ];
    const batch = (from: number, n: number) => appendOnlyBatch(batchFromRows(schema, Array.from({ length: n }, (_, i) => [from + i, `n${from + i}`])), null, -Infinity);
    const init = { name: 'replayed', schema, appendOnly: true, options: { connector: 'nats', stream: out, subject: `t${pid}.replay` }, baseDir: '.' };
    const first = openSink('nats', init);
    // The checkpoint after the first 100 changes records this position…
    first.write(batch(0, 100));
    const checkpointed = await first.flush();
    // …then 100 more are published, and the process dies before the next checkpoint commits.
    first.write(batch(100, 100));
    await first.flush();
    await first.close();
    // Recovery: the sink resumes at the checkpoint and the replay writes the same changes again.
    const second = openSink('nats', { ...init, resumeAt: checkpointed });
    second.write(batch(100, 100));
    second.write(batch(200, 50));
    const end = await second.flush();
    await second.close();
    expect(end).toBe(checkpointed + 150);
    const msgs = await readAll(nats, out);
    expect(msgs.map((m) => m.json['id'])).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(msgs.map((m) => m.json)).toContainEqual({ id: 249, note: 'n249' });
  });

  it('refuses bad options and an unreachable server with CONNECTOR errors naming the sink', async () => {
    const engine = await Engine.open();
    const sink = (w: string) => engine.execute(`CREATE SINK s FROM v WITH (connector = 'nats', ${w})`);
    try {
      await engine.execute(`CREATE SOURCE o (k BIGINT); CREATE MATERIALIZED VIEW v AS SELECT k FROM o`);
      await expect(sink(`stream = 'X', subject = 'x', colour = 'red'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("sink 's': unknown option 'colour'") });
      await expect(sink(`subject = 'x'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("missing option 'stream'") });
      await expect(sink(`stream = 'X', subject = 'x.*'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining('wildcards') });
      await expect(sink(`stream = 'X', subject = 'x', duplicate_window = 'soon'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining('duplicate_window') });
      await expect(sink(`stream = 'X', subject = 'x', key = 'nope'`)).rejects.toMatchObject({ code: 'CONNECTOR', message: expect.stringContaining("key column 'nope'") });
      const t = Date.now();
      await expect(sink(`servers = 'nats://127.0.0.1:1', stream = 'X', subject = 'x'`)).rejects.toMatchObject({
        code: 'CONNECTOR',
        message: expect.stringContaining("sink 's': cannot connect to NATS"),
      });
      expect(Date.now() - t).toBeLessThan(10_000);
    } finally {
      await engine.close();
    }
  });

  it("publishes a source's rows as they come with publish = 'change', and refuses it for a view", async () => {
    const eager = outStream('eager');
    const late = outStream('late');
    const engine = await Engine.open({ path: join(tempDir(), 'eager.duckdb') });
    try {
      await engine.execute(`
        SET checkpoint_interval = '1 hour';
        CREATE SOURCE o (k BIGINT, ts TIMESTAMP);
        CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n FROM o GROUP BY k;
        CREATE SINK rows_now FROM o WITH (connector = 'nats', servers = '${SERVERS}', stream = '${eager}', subject = 't${pid}.eager', publish = 'change');
        CREATE SINK rows_later FROM o WITH (connector = 'nats', servers = '${SERVERS}', stream = '${late}', subject = 't${pid}.late');`);
      await expect(engine.execute(`CREATE SINK bad FROM per_k WITH (connector = 'nats', servers = '${SERVERS}', stream = '${late}', subject = 't${pid}.bad', publish = 'change')`)).rejects.toMatchObject({
        code: 'CONNECTOR',
        message: expect.stringMatching(/publish = 'change' needs a sink that reads a source directly/),
      });
      await engine.insert('o', [{ k: 1, ts: T0 }, { k: 2, ts: T0 + 1 }]);
      await until('the rows in the eager sink’s stream', async () => (await nats.jsm.streams.info(eager)).state.messages === 2);
      // The default waits for a checkpoint (none is due for an hour; its stream may not exist yet).
      expect(await nats.jsm.streams.info(late).then((i) => i.state.messages, () => 0)).toBe(0);
      await engine.checkpoint();
      expect((await nats.jsm.streams.info(late)).state.messages).toBe(2);
      expect((await readAll(nats, eager)).map((m) => [m.id, m.json['k']])).toEqual([
        ['rows_now:1', 1],
        ['rows_now:2', 2],
      ]);
    } finally {
      await engine.close();
    }
  });

  it('after kill -9 at random moments the output stream holds each change exactly once', async () => {
    const DIST = resolve('dist/src/index.js');
    expect(existsSync(DIST), 'the kill test runs the built engine: npm run build').toBe(true);
    const { stream: src, prefix } = await stream(nats, 'sinkkill');
    const out = outStream('kill');
    const dir = tempDir();
    const path = join(dir, 'kill.duckdb');
    const sql = `SET checkpoint_interval = '50 milliseconds';
      CREATE SOURCE IF NOT EXISTS o (i BIGINT, amount BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
        WITH (connector = 'nats', stream = '${src}', subject = '${prefix}.*', partitions = 2);
      CREATE MATERIALIZED VIEW IF NOT EXISTS big AS SELECT i, amount * 2 AS twice FROM o WHERE amount >= 20;
      CREATE SINK IF NOT EXISTS big_out FROM big WITH (connector = 'nats', stream = '${out}', subject = 't${pid}.big', partitions = 2);`;
    writeFileSync(
      join(dir, 'child.mjs'),
      `import { Engine } from ${JSON.stringify(DIST)};
const engine = await Engine.open({ path: ${JSON.stringify(path)} });
await engine.execute(${JSON.stringify(sql)});
setInterval(() => undefined, 1000);`,
    );
    let next = 0;
    const events = (n: number) =>
      Array.from({ length: n }, () => {
        const i = next++;
        return [`${prefix}.${i % 2}`, JSON.stringify({ i, amount: (i * 7) % 100, ts: new Date(T0 + i * 10).toISOString() })] as const;
      });
    const runAndKill = (ms: number) => killChildAfter(join(dir, 'child.mjs'), ms);
    let seed = 5;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    await publish(nats, src, events(20_000));
    for (let k = 0; k < 3; k++) {
      await runAndKill(1200 + Math.floor(rnd() * 1500));
      await publish(nats, src, events(3000));
    }
    const want = Array.from({ length: next }, (_, i) => i).filter((i) => (i * 7) % 100 >= 20);
    const engine = await Engine.open({ path });
    try {
      // Generous: on a loaded 2-core VM the reopened engine replays ~30k events; the count reached tells slow from lost.
      let seen = 0;
      await until(
        `all ${want.length} changes in the view`,
        async () => (seen = Number((await engine.query('SELECT COUNT(*) AS n FROM big'))[0]!['n'])) >= want.length,
        90_000,
        () => `the view held ${seen} of ${want.length} changes`,
      );
      await engine.checkpoint();
    } finally {
      await engine.close();
    }
    const msgs = await readAll(nats, out);
    expect(msgs.length).toBe(want.length);
    expect(msgs.map((m) => Number(m.json['i'])).sort((a, b) => a - b)).toEqual(want);
    expect(new Set(msgs.map((m) => m.id)).size).toBe(want.length);
  }, 150_000);
});
