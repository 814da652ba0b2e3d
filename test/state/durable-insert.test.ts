/**
 * Inserts of one event awaited one by one on a file database (each written by a prepared
 * INSERT rather than an appender, see row-insert.ts): each resolves only once its event is
 * durable, so a kill -9 right after loses none; a source whose columns change between two
 * such inserts, or that is keyed, logs each event with the columns of its time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-durable-insert-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SOURCE = `CREATE SOURCE IF NOT EXISTS ev (k BIGINT, v DOUBLE, note VARCHAR, ts TIMESTAMP)`;
const VIEW = `CREATE MATERIALIZED VIEW IF NOT EXISTS per_k AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM ev GROUP BY k`;
const DIST = resolve('dist/src/index.js');

describe('one event at a time, awaited', () => {
  it.skipIf(!existsSync(DIST))('keeps every insert that resolved through a kill -9', async () => {
    const path = join(tmp(), 'app.duckdb');
    // Each offset is printed the moment its insert resolves; the next insert waits for it.
    const script = `
      import { Engine } from ${JSON.stringify(DIST)};
      const e = await Engine.open({ path: ${JSON.stringify(path)} });
      await e.execute(${JSON.stringify(SOURCE)});
      await e.execute(${JSON.stringify(VIEW)});
      for (let i = 0; ; i++) {
        const r = await e.insert('ev', [{ k: i % 5, v: i, note: i % 3 === 0 ? null : 'n' + i, ts: new Date(1.7e12 + i) }]);
        process.stdout.write(r.offsets[0] + '\\n');
      }
    `;
    const child = join(path, '..', 'child.mjs');
    writeFileSync(child, script);
    const resolved: number[] = [];
    await new Promise<void>((done, fail) => {
      const p = spawn(process.execPath, [child], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      let killing = false;
      p.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        const lines = text.split('\n');
        text = lines.pop()!;
        for (const l of lines) resolved.push(Number(l));
        if (!killing && resolved.length > 300) {
          killing = true;
          setTimeout(() => p.kill('SIGKILL'), Math.floor(Math.random() * 30));
        }
      });
      p.on('exit', () => done());
      p.on('error', fail);
    });
    expect(resolved.length).toBeGreaterThan(300);
    const e = await Engine.open({ path });
    try {
      const log = await e.query(`SELECT sluice_offset, k, v, note FROM sluice_log_ev ORDER BY sluice_offset`);
      const logged = new Set(log.map((r) => r['sluice_offset'] as number));
      expect(resolved.filter((o) => !logged.has(o))).toEqual([]);
      // Dense offsets, each event as inserted; the view (replayed past its checkpoint) counts them all.
      log.forEach((r, i) => expect(r).toEqual({ sluice_offset: i, k: i % 5, v: i, note: i % 3 === 0 ? null : `n${i}` }));
      expect(await e.query('SELECT sum(n)::INT AS n, sum(total) AS total FROM per_k')).toEqual([{ n: log.length, total: ((log.length - 1) * log.length) / 2 }]);
    } finally {
      await e.close();
    }
  }, 60_000);

  it('logs each event with the columns of its time across ALTER SOURCE, keyed or not', async () => {
    const path = join(tmp(), 'alter.duckdb');
    let e = await Engine.open({ path });
    await e.execute(SOURCE);
    await e.execute(`CREATE SOURCE acc (account_id VARCHAR, amount BIGINT) WITH (key = 'account_id')`);
    await e.insert('ev', [{ k: 1, v: 1.5, note: 'a', ts: new Date(1000) }]);
    await e.insert('acc', [{ account_id: 'x', amount: 5 }]);
    await e.execute(`ALTER SOURCE ev ADD COLUMN extra INT DEFAULT 7`);
    await e.execute(`ALTER SOURCE acc ADD COLUMN memo VARCHAR`);
    await e.insert('ev', [{ k: 2, v: 2.5, note: 'b', ts: new Date(2000), extra: 9 }]);
    await e.insert('acc', [{ account_id: 'x', amount: 6, memo: 'm' }]);
    await e.execute(`ALTER SOURCE ev RENAME COLUMN note TO remark`);
    await e.insert('ev', [{ k: 3, v: 3.5, remark: 'c', ts: new Date(3000), extra: 10 }]);
    expect((await e.insert('acc', [{ account_id: 'x', amount: 7 }], { expectedVersion: 2 })).version).toBe(3);
    await e.close();
    e = await Engine.open({ path });
    try {
      expect(await e.query(`SELECT sluice_offset, k, v, remark, extra FROM sluice_log_ev ORDER BY 1`)).toEqual([
        { sluice_offset: 0, k: 1, v: 1.5, remark: 'a', extra: null },
        { sluice_offset: 1, k: 2, v: 2.5, remark: 'b', extra: 9 },
        { sluice_offset: 2, k: 3, v: 3.5, remark: 'c', extra: 10 },
      ]);
      expect(await e.query(`SELECT sluice_offset, sluice_stream_version AS version, amount, memo FROM sluice_log_acc ORDER BY 1`)).toEqual([
        { sluice_offset: 0, version: 1, amount: 5, memo: null },
        { sluice_offset: 1, version: 2, amount: 6, memo: 'm' },
        { sluice_offset: 2, version: 3, amount: 7, memo: null },
      ]);
      expect(await e.streamVersion('acc', 'x')).toBe(3);
    } finally {
      await e.close();
    }
  });
});
