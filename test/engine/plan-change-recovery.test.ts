/**
 * A checkpoint names the plan its state was written for; reopened by a sluice that plans the
 * query otherwise, the view's state is rebuilt by replaying the log up to the checkpoint
 * (output muted: the view holds it) instead of being misread. Simulated by rewriting the
 * stored signature, or removing it (a checkpoint of a sluice before signatures), and
 * dropping every operator state row: a view that read them would lose its state.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { duckRows, normRows, useDuck } from '../exec/operators/duck.js';

const duck = useDuck();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SETUP = `CREATE SOURCE o (cid INT, amt BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts);
CREATE SOURCE c (id BIGINT, name VARCHAR);
CREATE MATERIALIZED VIEW spend AS SELECT c.name, COUNT(*) AS n, SUM(o.amt) AS total FROM o JOIN c ON o.cid = c.id GROUP BY c.name;
CREATE MATERIALIZED VIEW same AS SELECT c.name, COUNT(*) AS n, SUM(o.amt) AS total FROM o JOIN c ON o.amt = c.id GROUP BY c.name;
CREATE MATERIALIZED VIEW per5s AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(o, ts, INTERVAL '5' SECOND) GROUP BY window_start, window_end;`;

const at = (s: number) => new Date(Date.UTC(2024, 0, 1) + s * 1000);
const orders = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ cid: (from + i) % 4, amt: from + i, ts: at(from + i) }));

/** Drops a view's operator state rows (a view that read its state would have lost it) and sets its pipeline entry (undefined: as it was). */
async function rewriteState(path: string, view: string, meta: string | undefined): Promise<void> {
  const inst = await DuckDBInstance.create(path);
  const con = await inst.connect();
  await con.run(`DELETE FROM sluice_state WHERE owner = '${view}' AND operator <> 'pipeline'`);
  if (meta === 'unsigned') {
    // As a sluice before signatures wrote it: the operator count alone.
    const value = (await con.runAndReadAll(`SELECT value FROM sluice_state WHERE owner = '${view}' AND operator = 'pipeline'`)).getRows()[0]![0] as string;
    const { operators } = JSON.parse(value) as { operators: number };
    meta = JSON.stringify({ operators });
  }
  if (meta !== undefined) await con.run(`UPDATE sluice_state SET value = '${meta}' WHERE owner = '${view}' AND operator = 'pipeline'`);
  await con.run('CHECKPOINT');
  con.closeSync();
  inst.closeSync();
}

describe('state written for another plan', () => {
  for (const [name, meta] of [
    ['a different signature', '{"operators":3,"plan":"written-by-another-plan"}'],
    ['no signature (a checkpoint of a sluice before them), on a join with computed keys', 'unsigned'],
    ['no signature, and another number of operators than this plan has', '{"operators":99}'],
  ] as const) {
    it(`is rebuilt by replay: ${name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
      dirs.push(dir);
      const path = join(dir, 'db.duckdb');
      let e = await Engine.open({ path });
      await e.execute(SETUP);
      await e.insert('c', [{ id: 0, name: 'zero' }, { id: 1, name: 'one' }, { id: 2, name: 'two' }]);
      await e.insert('o', orders(0, 20));
      // Late for its window: recorded once.
      await e.insert('o', [{ cid: 1, amt: 100, ts: at(1) }]);
      await e.close();
      await rewriteState(path, 'spend', meta);
      e = await Engine.open({ path });
      await e.insert('c', [{ id: 3, name: 'three' }]);
      await e.insert('o', orders(20, 30));
      const all = [...orders(0, 30)];
      await duck().run('CREATE OR REPLACE TABLE o (cid INT, amt BIGINT, ts TIMESTAMP)');
      await duck().run(`INSERT INTO o VALUES ${all.map((x) => `(${x.cid}, ${x.amt}, make_timestamp(${x.ts.getTime() * 1000}))`).join(', ')}, (1, 100, make_timestamp(${at(1).getTime() * 1000}))`);
      await duck().run(`CREATE OR REPLACE TABLE c AS SELECT * FROM (VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three')) t(id, name)`);
      expect(normRows(await e.query('SELECT * FROM spend'))).toEqual(await duckRows(duck(), 'SELECT c.name, COUNT(*), SUM(o.amt) FROM o JOIN c ON o.cid = c.id GROUP BY c.name'));
      // Every change once in the audit trail, the late event recorded once.
      const net = new Map<string, number>();
      for (const r of await e.query('SELECT op, name, n, total FROM CHANGES(spend)')) {
        const k = JSON.stringify([r['name'], r['n'], r['total']]);
        net.set(k, (net.get(k) ?? 0) + (r['op'] === '+I' || r['op'] === '+U' ? 1 : -1));
      }
      const folded = [...net].filter(([, c]) => c !== 0).map(([k, c]) => `${k}x${c}`);
      expect(folded.sort()).toEqual(normRows(await e.query('SELECT * FROM spend')).map((k) => `${k}x1`));
      expect((await e.query(`SELECT COUNT(*) AS n FROM sluice_late_events`))[0]!['n']).toBe(1);
      await e.close();
    });
  }

  for (const [name, meta] of [
    ['written for the same plan', undefined],
    ['without a signature, on a join of plain columns', 'unsigned'],
  ] as const) {
    it(`is read as it is when ${name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
      dirs.push(dir);
      const path = join(dir, 'db.duckdb');
      let e = await Engine.open({ path });
      await e.execute(SETUP);
      await e.insert('c', [{ id: 7, name: 'seven' }]);
      await e.insert('o', [{ cid: 0, amt: 7, ts: at(0) }, { cid: 0, amt: 7, ts: at(1) }]);
      await e.close();
      await rewriteState(path, 'same', meta);
      e = await Engine.open({ path });
      await e.insert('o', [{ cid: 0, amt: 7, ts: at(2) }]);
      // The state read was empty (its rows were dropped): the join has no customer left to match the new order.
      expect(await e.query('SELECT n, total FROM same')).toEqual([{ n: 2, total: 14 }]);
      await e.close();
    });
  }

  it('is rebuilt up to the checkpoint after a kill -9, and the events logged after it are taken once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
    dirs.push(dir);
    const path = join(dir, 'db.duckdb');
    // Orders 0-19 before a checkpoint, 20-29 logged after it, then the process dies.
    writeFileSync(
      join(dir, 'child.mjs'),
      `import { Engine } from ${JSON.stringify(resolve('dist/src/index.js'))};
       const e = await Engine.open({ path: ${JSON.stringify(path)} });
       await e.execute(${JSON.stringify(SETUP)});
       await e.execute("SET checkpoint_interval = '1 hour'");
       await e.insert('c', [{ id: 0, name: 'zero' }, { id: 1, name: 'one' }, { id: 2, name: 'two' }]);
       await e.insert('o', ${JSON.stringify(orders(0, 20))}.map((x) => ({ ...x, ts: new Date(x.ts) })));
       await e.checkpoint();
       await e.insert('o', ${JSON.stringify(orders(20, 30))}.map((x) => ({ ...x, ts: new Date(x.ts) })));
       process.stdout.write('ready\\n');
       setInterval(() => {}, 1000);`,
    );
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && child.kill('SIGKILL'));
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error('the child ended by itself'))));
    });
    await rewriteState(path, 'spend', '{"operators":3,"plan":"written-by-another-plan"}');
    const e = await Engine.open({ path });
    await duck().run('CREATE OR REPLACE TABLE o (cid INT, amt BIGINT)');
    await duck().run(`INSERT INTO o VALUES ${orders(0, 30).map((x) => `(${x.cid}, ${x.amt})`).join(', ')}`);
    await duck().run(`CREATE OR REPLACE TABLE c AS SELECT * FROM (VALUES (0, 'zero'), (1, 'one'), (2, 'two')) t(id, name)`);
    expect(normRows(await e.query('SELECT * FROM spend'))).toEqual(await duckRows(duck(), 'SELECT c.name, COUNT(*), SUM(o.amt) FROM o JOIN c ON o.cid = c.id GROUP BY c.name'));
    await e.close();
  });
});
