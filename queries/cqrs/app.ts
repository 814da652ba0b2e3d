/**
 * An event-sourced bank account on sluice's API: the write side appends commands as events to
 * a keyed source (one stream per account) with the version they were decided on, and retries
 * on CONFLICT; the read side is the projections of projections.sql, queried with DuckDB SQL,
 * and optionally kept in PostgreSQL by a postgres sink.
 *
 *   npm run build && node dist/queries/cqrs/app.js [--db bank.duckdb] [--postgres postgres://…/db]
 *
 * In an application of your own, import from 'sluice' instead of the checkout's source.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine, SluiceError, type Row } from '../../src/index.js';

/** The write side: one stream per account; each event's version is counted per account_id. */
export const WRITE_SIDE = `CREATE SOURCE account_events (
  account_id VARCHAR, kind VARCHAR, amount_cents BIGINT, ts TIMESTAMP
) WITH (key = 'account_id')`;

/** How far below zero an account may go. */
export const OVERDRAFT_LIMIT_CENTS = 5_000;

export type Command =
  | { readonly type: 'open'; readonly account: string; readonly at: string }
  | { readonly type: 'deposit' | 'withdraw'; readonly account: string; readonly cents: number; readonly at: string };

/** An account as its own stream of events tells it, and the version that state is at. */
export interface AccountState {
  readonly version: number;
  readonly opened: boolean;
  readonly balanceCents: number;
}

interface AccountEvent {
  readonly account_id: string;
  readonly kind: 'opened' | 'deposited' | 'withdrawn';
  readonly amount_cents: number;
  readonly ts: string;
}

/** The business rules: the event a command becomes, or why it is refused. */
export function decide(cmd: Command, s: AccountState): AccountEvent | { readonly refused: string } {
  if (cmd.type === 'open') return s.opened ? { refused: 'already open' } : { account_id: cmd.account, kind: 'opened', amount_cents: 0, ts: cmd.at };
  if (!s.opened) return { refused: 'no such account' };
  if (!(cmd.cents > 0)) return { refused: 'amount must be positive' };
  if (cmd.type === 'deposit') return { account_id: cmd.account, kind: 'deposited', amount_cents: cmd.cents, ts: cmd.at };
  if (s.balanceCents - cmd.cents < -OVERDRAFT_LIMIT_CENTS) return { refused: `insufficient funds (balance ${money(s.balanceCents)})` };
  return { account_id: cmd.account, kind: 'withdrawn', amount_cents: cmd.cents, ts: cmd.at };
}

export const money = (cents: number): string => `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;

const describe = (cmd: Command): string => (cmd.type === 'open' ? `open ${cmd.account}` : `${cmd.type} ${money(cmd.cents)} ${cmd.type === 'deposit' ? 'to' : 'from'} ${cmd.account}`);

export class Bank {
  constructor(
    private readonly engine: Engine,
    private readonly log: (line: string) => void,
  ) {}

  /** Rebuilds an account from its stream (an indexed read of the log), with the version it reached. */
  async load(account: string): Promise<AccountState> {
    const events = await this.engine.query(
      'SELECT kind, amount_cents, sluice_stream_version FROM sluice_log_account_events WHERE account_id = ? ORDER BY sluice_offset',
      [account],
    );
    let balanceCents = 0;
    for (const e of events) balanceCents += e['kind'] === 'deposited' ? Number(e['amount_cents']) : e['kind'] === 'withdrawn' ? -Number(e['amount_cents']) : 0;
    const version = events.length === 0 ? 0 : Number(events[events.length - 1]!['sluice_stream_version']);
    return { version, opened: events.length > 0, balanceCents };
  }

  /**
   * Handles a command: decides on the account's state (`state`, if the caller read it
   * earlier, else read now) and appends the event only if the stream is still at that
   * version. On CONFLICT someone appended in between: re-read and decide again.
   */
  async handle(cmd: Command, state?: AccountState): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const s = state ?? (await this.load(cmd.account));
      state = undefined;
      const event = decide(cmd, s);
      if ('refused' in event) {
        this.log(`${describe(cmd)}: refused, ${event.refused}`);
        return;
      }
      try {
        const r = await this.engine.insert('account_events', [event], { expectedVersion: s.version });
        this.log(`${describe(cmd)}: ${event.kind}, offset ${r.offsets[0]}, ${cmd.account} at version ${r.version}`);
        return;
      } catch (e) {
        if (!(e instanceof SluiceError) || e.code !== 'CONFLICT' || attempt === 5) throw e;
        this.log(`${describe(cmd)}: CONFLICT (${e.message}); re-reading ${cmd.account}`);
      }
    }
  }
}

/** The day's commands, in order. */
export const COMMANDS: readonly Command[] = [
  { type: 'open', account: 'acc-1', at: '2024-01-03T09:00:00Z' },
  { type: 'deposit', account: 'acc-1', cents: 120_000, at: '2024-01-03T09:05:00Z' },
  { type: 'open', account: 'acc-2', at: '2024-01-10T14:00:00Z' },
  { type: 'deposit', account: 'acc-2', cents: 5_000, at: '2024-01-10T14:01:00Z' },
  { type: 'open', account: 'acc-2', at: '2024-01-10T14:02:00Z' },
  { type: 'withdraw', account: 'acc-1', cents: 45_050, at: '2024-01-21T18:30:00Z' },
  { type: 'withdraw', account: 'acc-2', cents: 7_500, at: '2024-01-28T11:15:00Z' },
  { type: 'deposit', account: 'acc-2', cents: 10_000, at: '2024-02-02T10:00:00Z' },
  { type: 'withdraw', account: 'acc-3', cents: 1_000, at: '2024-02-05T11:00:00Z' },
];

/** Two tellers withdraw from acc-1 at once: both decided on the same version; one must re-decide. */
export const RACE: readonly [Command, Command] = [
  { type: 'withdraw', account: 'acc-1', cents: 40_000, at: '2024-02-14T20:00:00Z' },
  { type: 'withdraw', account: 'acc-1', cents: 40_000, at: '2024-02-14T20:00:01Z' },
];

export interface AppOptions {
  readonly db?: string;
  /** A PostgreSQL URL: keep the balances there too (the `postgres` sink), and read them back from it. */
  readonly postgres?: string;
  /** The table the sink keeps (default `cqrs_balances`). */
  readonly postgresTable?: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
/** The projections' SQL, beside app.ts in the checkout (dist/queries/cqrs/ reads the source folder's). */
function projectionsSql(): string {
  for (const p of ['./projections.sql', '../../../queries/cqrs/projections.sql']) {
    try {
      return readFileSync(here(p), 'utf8');
    } catch {
      // try the next place
    }
  }
  throw new Error('projections.sql not found beside app.ts');
}

const json = (row: Row): string => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));

/** Runs the day: the commands, the race, then prints the read side. */
export async function runBank(log: (line: string) => void, options: AppOptions = {}): Promise<void> {
  const engine = await Engine.open(options.db ? { path: options.db } : {});
  try {
    await engine.execute(`${WRITE_SIDE};\n${projectionsSql()}`);
    const table = options.postgresTable ?? 'cqrs_balances';
    if (options.postgres) {
      await engine.execute(`CREATE SINK balances_pg FROM balances WITH (connector = 'postgres', url = '${options.postgres.replace(/'/g, "''")}', table = '${table}')`);
    }
    const bank = new Bank(engine, log);
    log('-- commands');
    for (const cmd of COMMANDS) await bank.handle(cmd);
    log('-- two tellers, one version');
    const [first, second] = await Promise.all([bank.load('acc-1'), bank.load('acc-1')]);
    await bank.handle(RACE[0], first);
    await bank.handle(RACE[1], second);

    log('-- balances');
    for (const r of await engine.query('SELECT account_id, balance_cents, events FROM balances ORDER BY account_id')) log(json(r));
    log('-- statement of acc-1');
    const statement = `SELECT strftime(month, '%Y-%m') AS month, deposits_cents, withdrawals_cents, movements FROM monthly_statements WHERE account_id = ? ORDER BY month`;
    for (const r of await engine.query(statement, ['acc-1'])) log(json(r));
    log('-- overdraft alerts, with the event behind each');
    const alerts = `SELECT op, account_id, balance_cents, source, "offset" FROM CHANGES(overdraft_alerts) ORDER BY seq`;
    for (const r of await engine.query(alerts)) log(json(r));
    if (options.postgres) {
      await engine.checkpoint();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: options.postgres });
      await client.connect();
      try {
        log('-- balances in PostgreSQL');
        const r = await client.query(`SELECT account_id, balance_cents::int8::text AS balance_cents FROM ${table} ORDER BY account_id`);
        for (const row of r.rows as Row[]) log(json({ account_id: row['account_id'], balance_cents: Number(row['balance_cents']) }));
      } finally {
        await client.end();
      }
    }
  } finally {
    await engine.close();
  }
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runBank((line) => console.log(line), { db: argument('--db'), postgres: argument('--postgres') }).catch((e: unknown) => {
    console.error(e instanceof SluiceError ? `${e.code}: ${e.message}` : e);
    process.exitCode = 1;
  });
}
