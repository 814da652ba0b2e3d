/**
 * Event streams of a keyed source (SPEC 2.7): each key value is a stream whose version counts
 * its events; `expectedVersion` (and SQL's EXPECTED VERSION) appends only at that version.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, SluiceError } from '../../src/index.js';
import { rejection } from '../rejection.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-streams-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SOURCE = `CREATE SOURCE IF NOT EXISTS account_events (account_id VARCHAR, kind VARCHAR, amount BIGINT, ts TIMESTAMP) WITH (key = 'account_id')`;
const ev = (account_id: string, amount: number, kind = 'deposit') => ({ account_id, kind, amount, ts: new Date(Date.UTC(2024, 0, 1) + amount * 1000) });

async function open(): Promise<{ e: Engine; path: string }> {
  const path = join(tmp(), 'app.duckdb');
  const e = await Engine.open({ path });
  await e.execute(SOURCE);
  return { e, path };
}

describe('stream versions', () => {
  it('counts each key\'s events, logs each event\'s version and returns offsets and the version', async () => {
    const { e } = await open();
    expect(await e.streamVersion('account_events', 'a')).toBe(0);
    expect(await e.insert('account_events', [ev('a', 1), ev('a', 2)])).toEqual({ inserted: 2, rejected: 0, offsets: [0, 1], version: 2 });
    expect(await e.insert('account_events', [ev('b', 3)])).toEqual({ inserted: 1, rejected: 0, offsets: [2], version: 1 });
    // Rows of several keys append (no single version to report).
    expect(await e.insert('account_events', [ev('a', 4), ev('b', 5), ev('c', 6)])).toEqual({ inserted: 3, rejected: 0, offsets: [3, 4, 5] });
    expect(await e.streamVersion('account_events', 'a')).toBe(3);
    expect(await e.streamVersion('account_events', 'b')).toBe(2);
    expect(await e.streamVersion('account_events', 'c')).toBe(1);
    expect(await e.streamVersion('account_events', 'zzz')).toBe(0);
    expect(await e.query(`SELECT sluice_offset, account_id, sluice_stream_version FROM sluice_log_account_events WHERE account_id = ? ORDER BY sluice_offset`, ['a'])).toEqual([
      { sluice_offset: 0, account_id: 'a', sluice_stream_version: 1 },
      { sluice_offset: 1, account_id: 'a', sluice_stream_version: 2 },
      { sluice_offset: 3, account_id: 'a', sluice_stream_version: 3 },
    ]);
    await e.close();
  });

  it('keeps offsets of dead letters after the accepted rows of a call', async () => {
    const { e } = await open();
    const r = await e.insert('account_events', [ev('a', 1), { account_id: 'a', amount: 'lots' }, ev('a', 2)], { expectedVersion: 0 });
    expect(r).toEqual({ inserted: 2, rejected: 1, offsets: [0, 1], version: 2 });
    expect(await e.query(`SELECT "offset" FROM sluice_dead_letters`)).toEqual([{ offset: 2 }]);
    expect(await e.insert('account_events', [ev('a', 3)], { expectedVersion: 2 })).toEqual({ inserted: 1, rejected: 0, offsets: [3], version: 3 });
    await e.close();
  });

  it('keys on a number column and on the Arrow path alike', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE orders (order_id BIGINT, item VARCHAR) WITH (key = 'ORDER_ID')`);
    await e.insert('orders', [{ order_id: 7, item: 'x' }, { order_id: 7, item: 'y' }]);
    expect(await e.streamVersion('orders', 7)).toBe(2);
    expect(await e.streamVersion('orders', '7')).toBe(2);
    expect(await e.insert('orders', [{ order_id: 7, item: 'z' }], { expectedVersion: 2 })).toMatchObject({ version: 3 });
    await e.close();
  });
});

describe('optimistic concurrency', () => {
  it('appends at the expected version and refuses any other with CONFLICT, appending nothing', async () => {
    const { e } = await open();
    expect(await e.insert('account_events', [ev('acc-1', 1)], { expectedVersion: 0 })).toMatchObject({ version: 1, offsets: [0] });
    expect(await e.insert('account_events', [ev('acc-1', 2), ev('acc-1', 3)], { expectedVersion: 1 })).toMatchObject({ version: 3, offsets: [1, 2] });
    const err = await rejection(e.insert('account_events', [ev('acc-1', 4), { account_id: 'acc-1', amount: 'lots' }], { expectedVersion: 1 }));
    expect(err).toBeInstanceOf(SluiceError);
    expect(err.code).toBe('CONFLICT');
    for (const part of ['account_id', "'acc-1'", 'expected version 1', 'version 3']) expect(err.message).toContain(part);
    // A new stream must not exist yet at version 0.
    const again = await rejection(e.insert('account_events', [ev('acc-1', 5)], { expectedVersion: 0 }));
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toContain('expected version 0');
    expect(await e.query(`SELECT count(*)::INT AS n FROM sluice_log_account_events`)).toEqual([{ n: 3 }]);
    expect(await e.query(`SELECT count(*)::INT AS n FROM sluice_dead_letters`)).toEqual([{ n: 0 }]);
    expect(await e.streamVersion('account_events', 'acc-1')).toBe(3);
    // Offsets go on where they were: the refused calls took none.
    expect(await e.insert('account_events', [ev('acc-1', 6)], { expectedVersion: 3 })).toMatchObject({ offsets: [3], version: 4 });
    await e.close();
  });

  it('refuses rows of several keys, an expected version on a source without a key, and bad arguments (ARGUMENT)', async () => {
    const { e } = await open();
    await e.execute(`CREATE SOURCE plain (k VARCHAR, v BIGINT)`);
    const several = await rejection(e.insert('account_events', [ev('a', 1), ev('b', 2)], { expectedVersion: 0 }));
    expect(several.code).toBe('ARGUMENT');
    expect(several.message).toContain('account_id');
    const unkeyed = await rejection(e.insert('plain', [{ k: 'a', v: 1 }], { expectedVersion: 0 }));
    expect(unkeyed.code).toBe('ARGUMENT');
    expect(unkeyed.message).toContain("WITH (key = 'column')");
    expect((await rejection(e.streamVersion('plain', 'a'))).code).toBe('ARGUMENT');
    expect((await rejection(e.insert('account_events', [ev('a', 1)], { expectedVersion: -1 }))).code).toBe('ARGUMENT');
    expect((await rejection(e.insert('account_events', [ev('a', 1)], { expectedVersion: 1.5 }))).code).toBe('ARGUMENT');
    expect((await rejection(e.insert('account_events', [{ amount: 1 }]))).code).toBe('ARGUMENT');
    expect(await e.query(`SELECT count(*)::INT AS n FROM sluice_log_account_events`)).toEqual([{ n: 0 }]);
    expect(await e.query(`SELECT count(*)::INT AS n FROM sluice_log_plain`)).toEqual([{ n: 0 }]);
    await e.close();
  });

  it('of 50 concurrent appends at the same expected version exactly one succeeds', async () => {
    const { e } = await open();
    await e.insert('account_events', [ev('acc', 0)]);
    const calls = Array.from({ length: 50 }, (_, i) => e.insert('account_events', [ev('acc', i + 1)], { expectedVersion: 1 }));
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(49);
    expect(refused.every((r) => (r.reason as SluiceError).code === 'CONFLICT')).toBe(true);
    expect(await e.query(`SELECT count(*)::INT AS n FROM sluice_log_account_events WHERE account_id = 'acc'`)).toEqual([{ n: 2 }]);
    expect(await e.streamVersion('account_events', 'acc')).toBe(2);
    await e.close();
  });
});

describe('the key option', () => {
  it('must name a column; unknown options are refused', async () => {
    const e = await Engine.open();
    const missing = await rejection(e.execute(`CREATE SOURCE s (account_id VARCHAR) WITH (key = 'acount_id')`));
    expect(missing.code).toBe('BIND');
    expect(missing.message).toContain("'acount_id'");
    expect(missing.message).toContain("did you mean 'account_id'");
    expect(missing.line).toBe(1);
    const unknown = await rejection(e.execute(`CREATE SOURCE s (account_id VARCHAR) WITH (keys = 'account_id')`));
    expect(unknown.code).toBe('BIND');
    expect(unknown.message).toContain("unknown option 'keys'");
    await e.close();
  });

  it('ALTER SOURCE … ADD COLUMN still works on a keyed source', async () => {
    const { e } = await open();
    await e.insert('account_events', [ev('a', 1)]);
    await e.execute(`ALTER SOURCE account_events ADD COLUMN note VARCHAR DEFAULT 'none'`);
    expect(await e.insert('account_events', [{ ...ev('a', 2), note: 'hi' }], { expectedVersion: 1 })).toMatchObject({ version: 2, offsets: [1] });
    expect(await e.query(`SELECT sluice_stream_version AS v, note FROM sluice_log_account_events ORDER BY sluice_offset`)).toEqual([
      { v: 1, note: null },
      { v: 2, note: 'hi' },
    ]);
    await e.close();
  });
});

describe('versions survive', () => {
  it('close and reopen', async () => {
    const { e, path } = await open();
    await e.insert('account_events', [ev('a', 1), ev('a', 2), ev('b', 3)]);
    await e.close();
    const again = await Engine.open({ path });
    expect(await again.streamVersion('account_events', 'a')).toBe(2);
    expect(await again.streamVersion('account_events', 'b')).toBe(1);
    expect((await rejection(again.insert('account_events', [ev('a', 4)], { expectedVersion: 1 }))).code).toBe('CONFLICT');
    expect(await again.insert('account_events', [ev('a', 4)], { expectedVersion: 2 })).toMatchObject({ version: 3, offsets: [3] });
    await again.close();
  });

  const DIST = resolve('dist/src/index.js');
  it.skipIf(!existsSync(DIST))('a kill -9 in the middle of a stream of inserts: versions equal the per-key count in the log', async () => {
    const dir = tmp();
    const path = join(dir, 'app.duckdb');
    const script = `
      import { Engine } from ${JSON.stringify(DIST)};
      const e = await Engine.open({ path: ${JSON.stringify(path)} });
      await e.execute(${JSON.stringify(SOURCE)});
      for (let i = 0; ; i++) {
        const k = 'k' + (i % 7);
        const v = await e.streamVersion('account_events', k);
        await e.insert('account_events', [{ account_id: k, kind: 'x', amount: i, ts: new Date(i) }], { expectedVersion: v });
        if (i === 200) process.stdout.write('ready');
      }
    `;
    writeFileSync(join(dir, 'child.mjs'), script);
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', () => setTimeout(() => child.kill('SIGKILL'), 150));
      child.on('exit', () => done());
      child.on('error', fail);
    });
    const e = await Engine.open({ path });
    const counts = (await e.query(
      `SELECT account_id, count(*)::INT AS n, max(sluice_stream_version)::INT AS top, count(DISTINCT sluice_stream_version)::INT AS distinct_versions
       FROM sluice_log_account_events GROUP BY account_id ORDER BY account_id`,
    )) as { account_id: string; n: number; top: number; distinct_versions: number }[];
    expect(counts).toHaveLength(7);
    expect(counts.reduce((a, c) => a + c.n, 0)).toBeGreaterThan(200);
    for (const c of counts) {
      expect(await e.streamVersion('account_events', c.account_id)).toBe(c.n);
      expect(c.top).toBe(c.n);
      expect(c.distinct_versions).toBe(c.n);
      // The next append goes on from there.
      expect(await e.insert('account_events', [ev(c.account_id, 1)], { expectedVersion: c.n })).toMatchObject({ version: c.n + 1 });
    }
    await e.close();
  });
});
