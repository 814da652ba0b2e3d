/**
 * queries/cqrs/, the event-sourced bank account: `sluice run` of its SQL over the sample
 * events prints exactly the read model below; the app (app.ts) appends commands with
 * expected versions, handles a CONFLICT by re-reading and deciding again, and prints exactly
 * its log and read side, also kept in the machine's real PostgreSQL (127.0.0.1:5432, `test`).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { Bank, runBank, WRITE_SIDE } from '../../queries/cqrs/app.js';
import { built, sluice } from '../cli/cli-runner.js';

const DIR = fileURLToPath(new URL('../../queries/cqrs/', import.meta.url));
const PG = process.env['SLUICE_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const READ_MODEL = [
  '{"account_id":"acc-1","balance_cents":5050,"events":5}',
  '{"account_id":"acc-2","balance_cents":7500,"events":4}',
  '{"account_id":"acc-3","balance_cents":-2000,"events":2}',
  '{"account_id":"acc-1","month":"2024-01","deposits_cents":120000,"withdrawals_cents":45050,"movements":3,"closing_balance_cents":74950}',
  '{"account_id":"acc-1","month":"2024-02","deposits_cents":30000,"withdrawals_cents":99900,"movements":2,"closing_balance_cents":5050}',
  '{"account_id":"acc-2","month":"2024-01","deposits_cents":5000,"withdrawals_cents":7500,"movements":3,"closing_balance_cents":-2500}',
  '{"account_id":"acc-2","month":"2024-02","deposits_cents":10000,"withdrawals_cents":0,"movements":1,"closing_balance_cents":7500}',
  '{"account_id":"acc-3","month":"2024-02","deposits_cents":0,"withdrawals_cents":2000,"movements":2,"closing_balance_cents":-2000}',
  '{"account_id":"acc-3","balance_cents":-2000}',
  // acc-3's withdrawal: the line at byte 797 of events.jsonl.
  '{"op":"+I","account_id":"acc-3","balance_cents":-2000,"source":"account_events","offset":797}',
];

const APP_LOG = [
  '-- commands',
  'open acc-1: opened, offset 0, acc-1 at version 1',
  'deposit 1200.00 to acc-1: deposited, offset 1, acc-1 at version 2',
  'open acc-2: opened, offset 2, acc-2 at version 1',
  'deposit 50.00 to acc-2: deposited, offset 3, acc-2 at version 2',
  'open acc-2: refused, already open',
  'withdraw 450.50 from acc-1: withdrawn, offset 4, acc-1 at version 3',
  'withdraw 75.00 from acc-2: withdrawn, offset 5, acc-2 at version 3',
  'deposit 100.00 to acc-2: deposited, offset 6, acc-2 at version 4',
  'withdraw 10.00 from acc-3: refused, no such account',
  '-- two tellers, one version',
  'withdraw 400.00 from acc-1: withdrawn, offset 7, acc-1 at version 4',
  "withdraw 400.00 from acc-1: CONFLICT (expected version 3 of stream account_id = 'acc-1' in 'account_events', but it is at version 4); re-reading acc-1",
  'withdraw 400.00 from acc-1: refused, insufficient funds (balance 349.50)',
  '-- balances',
  '{"account_id":"acc-1","balance_cents":34950,"events":4}',
  '{"account_id":"acc-2","balance_cents":7500,"events":4}',
  '-- statement of acc-1',
  '{"month":"2024-01","deposits_cents":120000,"withdrawals_cents":45050,"movements":3}',
  '{"month":"2024-02","deposits_cents":0,"withdrawals_cents":40000,"movements":1}',
  '-- overdraft alerts, with the event behind each',
  '{"op":"+I","account_id":"acc-2","balance_cents":-2500,"source":"account_events","offset":5}',
  '{"op":"-D","account_id":"acc-2","balance_cents":-2500,"source":"account_events","offset":6}',
];

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe.skipIf(!built)('sluice run queries/cqrs', () => {
  it('prints the balances, the monthly statements, the overdrawn accounts and the alert log with the event behind it', async () => {
    const r = await sluice(['run', `${DIR}events.sql`, `${DIR}projections.sql`, `${DIR}read-model.sql`, '--format', 'jsonl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual(READ_MODEL);
  });
});

describe('the bank app (queries/cqrs/app.ts)', () => {
  it('appends with expected versions, re-decides after a CONFLICT, and reads its projections', async () => {
    const lines: string[] = [];
    await runBank((l) => lines.push(l));
    expect(lines).toEqual(APP_LOG);
  });

  it('runs as a program from its build (node dist/queries/cqrs/app.js)', { skip: !built }, async () => {
    const app = fileURLToPath(new URL('../../dist/queries/cqrs/app.js', import.meta.url));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [app], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(out.trimEnd().split('\n')).toEqual(APP_LOG);
  });

  it('concurrent commands on one account all land, each after re-reading on CONFLICT; versions stay gapless', async () => {
    engine = await Engine.open();
    await engine.execute(WRITE_SIDE);
    const lines: string[] = [];
    const bank = new Bank(engine, (l) => lines.push(l));
    await bank.handle({ type: 'open', account: 'acc-9', at: '2024-01-01T00:00:00Z' });
    await Promise.all([1, 2, 3, 4].map((i) => bank.handle({ type: 'deposit', account: 'acc-9', cents: i * 100, at: `2024-01-0${i + 1}T00:00:00Z` })));
    expect(await engine.streamVersion('account_events', 'acc-9')).toBe(5);
    const log = await engine.query(`SELECT sluice_stream_version AS v, amount_cents AS c FROM sluice_log_account_events ORDER BY sluice_offset`);
    expect(log.map((r) => r['v'])).toEqual([1, 2, 3, 4, 5]);
    expect(log.map((r) => r['c']).sort()).toEqual([0, 100, 200, 300, 400]);
    // All four read version 1; each later one lost a race per deposit before it.
    expect(lines.filter((l) => l.includes('CONFLICT'))).toHaveLength(3 + 2 + 1);
  });

  it('keeps the balances in PostgreSQL with the postgres sink', async () => {
    const table = `cqrs_balances_${process.pid}`;
    const lines: string[] = [];
    const client = new pg.Client({ connectionString: PG });
    await client.connect();
    try {
      await runBank((l) => lines.push(l), { postgres: PG, postgresTable: table });
      expect(lines.slice(APP_LOG.length)).toEqual([
        '-- balances in PostgreSQL',
        '{"account_id":"acc-1","balance_cents":34950}',
        '{"account_id":"acc-2","balance_cents":7500}',
      ]);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.query(`DELETE FROM sluice_sink_positions WHERE sink = 'balances_pg'`).catch(() => undefined);
      await client.end();
    }
  });
});
