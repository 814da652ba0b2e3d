/**
 * System tables everywhere (issue 11, item 7): every table of the README's "Durability"
 * list — `sluice_log_<source>`, `sluice_late_events`, `sluice_dead_letters`,
 * `sluice_checkpoints`, `sluice_offsets`, `sluice_catalog`, … — is readable through
 * `engine.execute`, the shell and `sluice run`, as it is through `engine.query`, and no
 * front end can write to one (code IMMUTABLE).
 *
 * The CLI cases run the built CLI (`npm run build`); skipped when dist/ is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { History } from '../../repl/history.js';
import { Session } from '../../repl/session.js';
import { outputText, type } from '../repl/helpers.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sluice-system-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
const SETUP = `CREATE SOURCE s (k VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
CREATE MATERIALIZED VIEW v AS SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end, k;`;

/** Every system table of a database with source s and view v, and a column each must have. */
const TABLES: readonly [string, string][] = [
  ['sluice_meta', 'key'],
  ['sluice_catalog', 'name'],
  ['sluice_settings', 'value'],
  ['sluice_log_s', 'sluice_offset'],
  ['sluice_log_partitions', 'first_offset'],
  ['sluice_audit_v', 'sluice_seq'],
  ['sluice_source_offsets_v', 'first_seq'],
  ['sluice_state', 'owner'],
  ['sluice_offsets', 'source'],
  ['sluice_sink_positions', 'sink'],
  ['sluice_checkpoints', 'id'],
  ['sluice_late_events', 'watermark'],
  ['sluice_dead_letters', 'reason'],
];

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function filled(path?: string): Promise<Engine> {
  const e = await Engine.open(path === undefined ? {} : { path });
  await e.execute(SETUP);
  // The third row is late for [0, 10); the fourth has no event time (a dead letter).
  await e.insert('s', [{ k: 'a', ts: t(1) }, { k: 'a', ts: t(30) }, { k: 'b', ts: t(2) }, { k: 'c' }]);
  await e.checkpoint();
  return e;
}

describe('system tables are readable through execute', () => {
  it.each(TABLES)('SELECT * FROM %s', async (table, column) => {
    engine = await filled(join(tmp(), 'db.duckdb'));
    const [r] = await engine.execute(`SELECT * FROM ${table}`);
    expect(r!.statement).toBe('SELECT');
    expect(r!.columns!.map((c) => c.name)).toContain(column);
    // The same rows as engine.query gives (which checkpoints first, adding a checkpoint row).
    const rows = await engine.query(`SELECT * FROM ${table}`);
    expect(r!.rows).toEqual(table === 'sluice_checkpoints' ? rows.slice(0, -1) : rows);
  });

  it('with their contents: the log, late events, dead letters and checkpoints', async () => {
    engine = await filled(join(tmp(), 'db.duckdb'));
    const [log, late, dead, cps] = await engine.execute(`
      SELECT sluice_offset, k FROM sluice_log_s ORDER BY sluice_offset;
      SELECT source, "offset", "view" FROM sluice_late_events;
      SELECT source, reason FROM sluice_dead_letters;
      SELECT count(*) > 0 AS some FROM sluice_checkpoints;`);
    expect(log!.rows).toEqual([
      { sluice_offset: 0, k: 'a' },
      { sluice_offset: 1, k: 'a' },
      { sluice_offset: 2, k: 'b' },
    ]);
    expect(late!.rows).toEqual([{ source: 's', offset: 2, view: 'v' }]);
    expect(dead!.rows).toEqual([{ source: 's', reason: 'row 3: missing event time column ts' }]);
    expect(cps!.rows).toEqual([{ some: true }]);
  });

  it('joined with a view, in one pull query', async () => {
    engine = await filled();
    const [r] = await engine.execute(`SELECT v.window_start, v.n, count(*) AS logged FROM v JOIN sluice_log_s l
      ON l.k = v.k AND l.ts >= v.window_start AND l.ts < v.window_start + INTERVAL '10' SECOND
      GROUP BY v.window_start, v.n ORDER BY v.window_start`);
    expect(r!.rows).toEqual([
      { window_start: t(0), n: 1, logged: 1 },
      { window_start: t(30), n: 1, logged: 1 },
    ]);
  });

  it('DESCRIBE lists their columns', async () => {
    engine = await filled();
    const [cp] = await engine.execute('DESCRIBE sluice_checkpoints');
    expect(cp!.rows!.map((r) => [r['column'], r['type']])).toEqual([
      ['id', 'BIGINT'],
      ['written_at', 'TIMESTAMP'],
      ['millis', 'DOUBLE'],
    ]);
    const [log] = await engine.execute('DESCRIBE sluice_log_s');
    expect(log!.rows!.map((r) => r['column'])).toEqual(['sluice_offset', 'sluice_ingest_time', 'sluice_version', 'k', 'ts']);
  });

  it('a streaming query still cannot read one', async () => {
    engine = await filled();
    await expect(engine.execute('SELECT * FROM s JOIN sluice_log_s l ON s.k = l.k')).rejects.toMatchObject({ code: 'BIND' });
  });
});

describe('system tables are read-only', () => {
  it.each([
    [`INSERT INTO sluice_late_events VALUES ('s', 1, TIMESTAMP '2024-01-01 00:00:00', NULL, 'v', '{}', NULL)`, 1, 13],
    [`INSERT INTO sluice_log_s VALUES (9, NULL, 1, 'x', NULL)`, 1, 13],
    [`INSERT INTO sluice_dead_letters (source) VALUES ('s')`, 1, 13],
    [`DELETE FROM sluice_checkpoints`, 1, 13],
    [`UPDATE sluice_catalog SET sql = ''`, 1, 8],
    [`DROP SOURCE sluice_log_s`, 1, 13],
    [`DROP VIEW IF EXISTS sluice_audit_v`, 1, 21],
    [`ALTER SOURCE sluice_log_s ADD COLUMN x INT`, 1, 14],
  ])('execute refuses %s', async (sql, line, column) => {
    engine = await filled();
    const before = await engine.query('SELECT (SELECT count(*) FROM sluice_late_events) + (SELECT count(*) FROM sluice_log_s) AS n');
    const err = await engine.execute(sql).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMMUTABLE', line, column });
    expect((err as Error).message).toContain('read-only');
    expect(await engine.query('SELECT (SELECT count(*) FROM sluice_late_events) + (SELECT count(*) FROM sluice_log_s) AS n')).toEqual(before);
  });

  it('no source fed by the API may be named so that its log would be a fixed system table', async () => {
    engine = await Engine.open();
    await expect(engine.execute('CREATE SOURCE partitions (a INT)')).rejects.toMatchObject({ code: 'CATALOG', line: 1, column: 15 });
    await engine.execute('SELECT * FROM sluice_log_partitions');
  });

  it('insert and query refuse them too', async () => {
    engine = await filled();
    await expect(engine.insert('sluice_dead_letters', [{ source: 's' }])).rejects.toMatchObject({ code: 'IMMUTABLE' });
    await expect(engine.insert('sluice_log_s', [{ k: 'z', ts: t(1) }])).rejects.toMatchObject({ code: 'IMMUTABLE' });
    await expect(engine.query('DELETE FROM sluice_log_s')).rejects.toMatchObject({ code: 'IMMUTABLE' });
    expect(await engine.query('SELECT count(*)::INT AS n FROM sluice_log_s')).toEqual([{ n: 3 }]);
  });
});

describe('the shell', () => {
  it('reads system tables and refuses writes to them', async () => {
    engine = await filled();
    const session = new Session({ engine, history: new History({ path: null }), width: 100, height: 30, liveRenderMs: 10, liveTickMs: 20, flashMs: 500, onExit: () => undefined });
    try {
      await type(session, 'SELECT sluice_offset, k FROM sluice_log_s ORDER BY 1;\n');
      await type(session, 'SELECT reason FROM sluice_dead_letters;\n');
      await type(session, 'DELETE FROM sluice_late_events;\n');
      await type(session, '.schema sluice_checkpoints\n');
      const out = outputText(session);
      expect(out).toMatch(/│ +2 │ b +│/);
      expect(out).toContain('row 3: missing event time column ts');
      expect(out).toContain("Immutable Error: DELETE 'sluice_late_events' is not allowed: system tables are read-only");
      expect(out).toMatch(/│ written_at +│ TIMESTAMP +│/);
      expect(out).not.toContain('Binder Error');
    } finally {
      session.dispose();
    }
  });
});

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function sluice(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(!existsSync(CLI))('sluice run', () => {
  it('prints system tables and fails on a write to one', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'read.sql'),
      `${SETUP}
INSERT INTO s VALUES ('a', TIMESTAMP '2024-01-01 00:00:01'), ('a', TIMESTAMP '2024-01-01 00:00:30'), ('b', TIMESTAMP '2024-01-01 00:00:02');
SELECT sluice_offset, k FROM sluice_log_s ORDER BY sluice_offset;
SELECT "offset", "view" FROM sluice_late_events;
SELECT count(*) > 0 AS some FROM sluice_checkpoints;
`,
    );
    const r = await sluice(['run', join(dir, 'read.sql'), '--db', join(dir, 'db.duckdb'), '--format', 'jsonl']);
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      '{"sluice_offset":0,"k":"a"}',
      '{"sluice_offset":1,"k":"a"}',
      '{"sluice_offset":2,"k":"b"}',
      '{"offset":2,"view":"v"}',
      '{"some":true}',
    ]);

    writeFileSync(join(dir, 'write.sql'), `${SETUP}\nDELETE FROM sluice_checkpoints;\n`);
    const w = await sluice(['run', join(dir, 'write.sql')]);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain("Immutable Error: DELETE 'sluice_checkpoints' is not allowed");
  });
});
