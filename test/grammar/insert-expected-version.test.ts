/**
 * `INSERT INTO t [(cols)] EXPECTED VERSION n VALUES …` (SPEC 2.7): the grammar, and the
 * statement run against a keyed source, appending at the expected version and refusing any other.
 */
import { describe, expect, it } from 'vitest';
import { parseStatement } from '../../grammar/index.js';
import { Engine, SluiceError } from '../../src/index.js';
import { rejection } from '../rejection.js';
import { id, num, stmt, str } from './ast-helpers.js';

describe('INSERT … EXPECTED VERSION (grammar)', () => {
  it('parses the clause after the table or its column list', () => {
    expect(stmt("INSERT INTO account_events (account_id, amount) EXPECTED VERSION 3 VALUES ('a', 1)")).toEqual({
      kind: 'Insert',
      table: id('account_events'),
      columns: [id('account_id'), id('amount')],
      expectedVersion: { version: 3 },
      rows: [[str('a'), num(1)]],
    });
    expect(stmt("insert into t expected version 0 values ('a')")).toMatchObject({ expectedVersion: { version: 0 }, columns: [] });
  });

  it('keeps EXPECTED and VERSION usable as names', () => {
    expect(stmt('INSERT INTO version (expected, version) EXPECTED VERSION 1 VALUES (1, 2)')).toMatchObject({
      table: id('version'),
      columns: [id('expected'), id('version')],
      expectedVersion: { version: 1 },
    });
    expect(stmt('SELECT version, expected FROM t')).toMatchObject({ kind: 'QueryStatement' });
  });

  it('wants a whole number, with the position of what is wrong', () => {
    for (const [sql, column] of [
      ['INSERT INTO t EXPECTED VERSION 1.5 VALUES (1)', 32],
      ["INSERT INTO t EXPECTED VERSION 'x' VALUES (1)", 32],
      ['INSERT INTO t EXPECTED 1 VALUES (1)', 24],
    ] as const) {
      let err: SluiceError | undefined;
      try {
        parseStatement(sql);
      } catch (e) {
        err = e as SluiceError;
      }
      expect(err?.code, sql).toBe('PARSE');
      expect(err?.column, sql).toBe(column);
    }
  });
});

describe('INSERT … EXPECTED VERSION (run)', () => {
  it('appends at the expected version and refuses any other with CONFLICT at the clause', async () => {
    const e = await Engine.open();
    await e.execute(`CREATE SOURCE account_events (account_id VARCHAR, amount BIGINT) WITH (key = 'account_id')`);
    expect(await e.execute(`INSERT INTO account_events EXPECTED VERSION 0 VALUES ('acc-1', 10), ('acc-1', 20)`)).toEqual([
      { statement: 'INSERT', message: 'inserted 2 events into account_events (stream version 2)' },
    ]);
    const err = await rejection(e.execute(`INSERT INTO account_events (account_id, amount)\n  EXPECTED VERSION 1 VALUES ('acc-1', 30)`));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toBe("expected version 1 of stream account_id = 'acc-1' in 'account_events', but it is at version 2");
    expect([err.line, err.column]).toEqual([2, 3]);
    expect(await e.streamVersion('account_events', 'acc-1')).toBe(2);
    await e.execute(`INSERT INTO account_events (account_id, amount) EXPECTED VERSION 2 VALUES ('acc-1', 30)`);
    expect(await e.query(`SELECT amount, sluice_stream_version AS v FROM sluice_log_account_events ORDER BY sluice_offset`)).toEqual([
      { amount: 10, v: 1 },
      { amount: 20, v: 2 },
      { amount: 30, v: 3 },
    ]);
    await e.execute(`CREATE SOURCE plain (k VARCHAR)`);
    const unkeyed = await rejection(e.execute(`SELECT 1;\nINSERT INTO plain EXPECTED VERSION 0 VALUES ('a')`));
    expect(unkeyed.code).toBe('ARGUMENT');
    expect([unkeyed.line, unkeyed.column]).toEqual([2, 19]);
    await e.close();
  });
});
