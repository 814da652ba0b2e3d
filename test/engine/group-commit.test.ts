/**
 * Group commit of `engine.insert` (SPEC 4): inserts that arrive while a commit is in progress
 * are written together in the next one; each resolves only once its rows are durable, with
 * offsets in call order; an insert refused by its expected version fails alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, SluiceError, type InsertResult } from '../../src/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-group-commit-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SOURCE = `CREATE SOURCE IF NOT EXISTS ev (id BIGINT, k VARCHAR, ts TIMESTAMP)`;
const KEYED = `CREATE SOURCE IF NOT EXISTS acc (account_id VARCHAR, amount BIGINT) WITH (key = 'account_id')`;

describe('group commit', () => {
  it('5,000 concurrent inserts resolve with distinct offsets in call order, and a reopen holds them all', async () => {
    const path = join(tmp(), 'app.duckdb');
    let e = await Engine.open({ path });
    await e.execute(SOURCE);
    await e.execute(`CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, SUM(id) AS s FROM ev GROUP BY k`);
    const n = 5000;
    // Every third insert carries two rows and a dead letter, so groups mix sizes and rejections.
    const calls = Array.from({ length: n }, (_, i) =>
      e.insert('ev', i % 3 === 0 ? [{ id: i, k: `k${i % 7}` }, { id: -i, k: 'neg' }, 'not an object' as unknown as object] : [{ id: i, k: `k${i % 7}` }]),
    );
    const results = await Promise.all(calls);
    const offsets = results.flatMap((r) => r.offsets);
    // Offsets increase in call order; a dead letter takes the offset after its insert's rows.
    for (let i = 1; i < results.length; i++) expect(results[i]!.offsets[0]!).toBeGreaterThan(results[i - 1]!.offsets.at(-1)!);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(offsets.length).toBe(n + Math.ceil(n / 3));
    expect(results.filter((r) => r.rejected === 1)).toHaveLength(Math.ceil(n / 3));
    const expected = await e.query(`SELECT k, n, s FROM per_k ORDER BY k`);
    // The group reached the view as batches: it equals the log grouped by DuckDB.
    expect(expected).toEqual(await e.query(`SELECT k, count(*)::BIGINT AS n, sum(id)::BIGINT AS s FROM sluice_log_ev GROUP BY k ORDER BY k`));
    expect(expected.length).toBe(8);
    await e.close();
    e = await Engine.open({ path });
    try {
      const logged = await e.query(`SELECT sluice_offset FROM sluice_log_ev ORDER BY sluice_offset`);
      expect(logged.map((r) => r['sluice_offset'])).toEqual([...offsets].sort((a, b) => a - b));
      expect(await e.query(`SELECT count(*)::INT AS n FROM sluice_dead_letters`)).toEqual([{ n: Math.ceil(n / 3) }]);
      expect(await e.query(`SELECT k, n, s FROM per_k ORDER BY k`)).toEqual(expected);
    } finally {
      await e.close();
    }
  }, 60_000);

  it('concurrent appends at one expected version: exactly one wins, the rest of the group commits', async () => {
    const e = await Engine.open();
    try {
      await e.execute(KEYED);
      await e.insert('acc', [{ account_id: 'a', amount: 1 }]);
      // Issued together, so they share a group: one conflicting insert must not sink the others.
      const racing = Array.from({ length: 20 }, (_, i) => e.insert('acc', [{ account_id: 'a', amount: 100 + i }], { expectedVersion: 1 }).then(
        (r) => ({ ok: r as InsertResult, i }),
        (err: unknown) => ({ err: err as SluiceError, i }),
      ));
      const others = Array.from({ length: 20 }, (_, i) => e.insert('acc', [{ account_id: 'b', amount: i }]));
      const outcome = await Promise.all(racing);
      const won = outcome.filter((o) => 'ok' in o);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ i: 0, ok: { inserted: 1, version: 2 } });
      for (const o of outcome.filter((x) => 'err' in x)) {
        expect((o as { err: SluiceError }).err.code).toBe('CONFLICT');
        expect((o as { err: SluiceError }).err.message).toContain('expected version 1 of stream account_id = \'a\'');
      }
      expect((await Promise.all(others)).map((r) => r.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await e.streamVersion('acc', 'a')).toBe(2);
      expect(await e.streamVersion('acc', 'b')).toBe(20);
      // The log holds the winner and no loser.
      expect(await e.query(`SELECT amount FROM sluice_log_acc WHERE account_id = 'a' ORDER BY sluice_offset`)).toEqual([{ amount: 1 }, { amount: 100 }]);
    } finally {
      await e.close();
    }
  });

  it('inserts into a source with event time reach its views one by one: lateness as if awaited in turn', async () => {
    const e = await Engine.open();
    try {
      await e.execute(`CREATE SOURCE t (k VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
        CREATE MATERIALIZED VIEW w AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(t, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end`);
      const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
      // Not awaited in between, so they share a group; the second is late after the first.
      await Promise.all([e.insert('t', [{ k: 'a', ts: at(30) }]), e.insert('t', [{ k: 'b', ts: at(2) }]), e.insert('t', [{ k: 'c', ts: at(31) }])]);
      expect(e.metrics().lateEvents).toBe(1);
      expect(await e.query(`SELECT n FROM w`)).toEqual([{ n: 2 }]);
    } finally {
      await e.close();
    }
  });

  it('a bad insert in a group fails alone with its own error', async () => {
    const e = await Engine.open();
    try {
      await e.execute(SOURCE);
      const a = e.insert('ev', [{ id: 1 }]);
      const bad = e.insert('nope', [{ id: 2 }]);
      const badArg = e.insert('ev', 42 as unknown as object[]);
      const c = e.insert('ev', [{ id: 3 }]);
      expect(await a).toMatchObject({ offsets: [0] });
      await expect(bad).rejects.toMatchObject({ code: 'CATALOG', message: "source 'nope' does not exist" });
      await expect(badArg).rejects.toMatchObject({ code: 'ARGUMENT' });
      expect(await c).toMatchObject({ offsets: [1] });
    } finally {
      await e.close();
    }
  });

  it('an insert after another call joins no earlier group: calls keep their order', async () => {
    const e = await Engine.open();
    try {
      await e.execute(SOURCE);
      const first = e.insert('ev', [{ id: 1 }]);
      const ended = e.endOfStream('ev');
      const after = e.insert('ev', [{ id: 2 }]);
      expect(await first).toMatchObject({ offsets: [0] });
      await ended;
      await expect(after).rejects.toMatchObject({ code: 'STATE' });
    } finally {
      await e.close();
    }
  });
});

const DIST = resolve('dist/src/index.js');

describe('group commit and kill -9', () => {
  it.skipIf(!existsSync(DIST))('every insert that resolved is in the log after a crash', async () => {
    const dir = tmp();
    const path = join(dir, 'app.duckdb');
    // Rounds of 200 inserts in flight; each offset is printed the moment its insert resolves.
    const script = `
      import { Engine } from ${JSON.stringify(DIST)};
      const e = await Engine.open({ path: ${JSON.stringify(path)} });
      await e.execute(${JSON.stringify(SOURCE)});
      for (let i = 0; ; i += 200) {
        await Promise.all(Array.from({ length: 200 }, (_, j) =>
          e.insert('ev', [{ id: i + j, k: 'x' }]).then((r) => process.stdout.write(r.offsets[0] + '\\n'))));
      }
    `;
    writeFileSync(join(dir, 'child.mjs'), script);
    const resolved: number[] = [];
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      let killing = false;
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        const lines = text.split('\n');
        text = lines.pop()!;
        for (const l of lines) resolved.push(Number(l));
        if (!killing && resolved.length > 1000) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), 20 + Math.floor(Math.random() * 50));
        }
      });
      child.on('exit', () => done());
      child.on('error', fail);
    });
    expect(resolved.length).toBeGreaterThan(1000);
    const e = await Engine.open({ path });
    try {
      const logged = new Set((await e.query(`SELECT sluice_offset FROM sluice_log_ev`)).map((r) => r['sluice_offset'] as number));
      const missing = resolved.filter((o) => !logged.has(o));
      expect(missing).toEqual([]);
      // Offsets are dense: nothing resolved past a hole.
      expect([...logged].reduce((a, b) => Math.max(a, b), -1)).toBe(logged.size - 1);
    } finally {
      await e.close();
    }
  }, 60_000);
});
