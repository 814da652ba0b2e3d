/**
 * `sluice run` and `sluice explain` of whole scripts, end to end through the built CLI:
 * a script is checked (parsed and bound, with the catalog effects of its DDL) before any
 * of it runs; a failure while running leaves the results before it printed; events set
 * aside (dead letters, late events) are reported, and `--strict` fails on them; `explain`
 * opens nothing and labels each statement; bad commands and output paths are one-line errors.
 *
 * Runs dist/src/cli/main.js (`npm run build` first; `SLUICE_CLI` names another build);
 * skipped when it is missing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, CLI, sluice } from './cli-runner.js';

if (!built) console.warn(`script.test.ts: ${CLI} is missing; run \`npm run build\` to run these tests`);

let dir: string;
const at = (name: string) => join(dir, name);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function script(name: string, lines: readonly string[]): string {
  writeFileSync(at(name), lines.join('\n') + '\n');
  return at(name);
}

const SOURCE = (name: string, file: string) =>
  `CREATE SOURCE ${name} (k VARCHAR, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = '${file}', format = 'jsonl');`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-script-'));
  const ev = (k: string, x: number, s: number) => JSON.stringify({ k, x, ts: new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString() });
  // Two unreadable lines and one event behind the watermark (2 s after 30 s, delay 1 s).
  writeFileSync(at('events.jsonl'), [ev('a', 1, 1), 'not json', ev('b', 2, 12), '{"k": "a", "x": "many", "ts": 0}', ev('a', 3, 30), ev('a', 4, 2)].join('\n') + '\n');
  writeFileSync(at('clean.jsonl'), [ev('a', 1, 1), ev('b', 2, 12), ev('a', 3, 30)].join('\n') + '\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!built)('sluice run checks the whole script before running any of it', () => {
  it('a syntax error on the last line: the error with its caret, nothing printed, no sink file, no --db file', async () => {
    const file = script('late-syntax.sql', [
      SOURCE('s', 'clean.jsonl'),
      `CREATE SINK out FROM s WITH (connector = 'file', path = 'sink-out.jsonl', format = 'jsonl');`,
      `SELECT k, COUNT(*) AS n FROM s GROUP BY k;`,
      `SELECT k FROM s WHERE x = = 1;`,
    ]);
    const db = at('never.duckdb');
    const r = await sluice(['run', file, '--db', db, '--format', 'jsonl']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Parser Error: .*\(line 4, column \d+\)\nLINE 4: SELECT k FROM s WHERE x = = 1;\n +\^+\n$/);
    expect(existsSync(at('sink-out.jsonl'))).toBe(false);
    expect(existsSync(db)).toBe(false);
  });

  it('a bind error that needs the DDL before it (a column of a view the script creates) is found before the source is opened', async () => {
    const file = script('late-bind.sql', [
      // The data file is missing: opening it would be a CONNECTOR error at statement 1.
      SOURCE('s', 'missing.jsonl'),
      `CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(x) AS total FROM s GROUP BY k;`,
      `DROP MATERIALIZED VIEW totals;`,
      `CREATE VIEW totals AS SELECT k, x FROM s;`,
      `SELECT k, total`,
      `FROM totals;`,
    ]);
    const r = await sluice(['run', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Binder Error: column 'total' not found .*\(line 5, column 11\)\nLINE 5: SELECT k, total\n {18}\^{5}\n$/);
  });

  it('a pull query DuckDB cannot bind (a column the view does not have) stops the run before it starts', async () => {
    const file = script('late-pull.sql', [
      SOURCE('s', 'clean.jsonl'),
      `CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(x) AS total FROM s GROUP BY k;`,
      `SELECT k, total FROM totals ORDER BY k;`,
      `SELECT k, nope FROM totals;`,
    ]);
    const r = await sluice(['run', file, '--format', 'jsonl']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/nope/);
    expect(r.stderr).toMatch(/\(line 4, column \d+\)\nLINE 4: SELECT k, nope FROM totals;/);
  });

  it('against an existing --db the check starts from the stored catalog, and a failed check leaves the file as it was', async () => {
    const db = at('stored.duckdb');
    const setup = script('setup.sql', [SOURCE('s', 'clean.jsonl'), `CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(x) AS total FROM s GROUP BY k;`]);
    expect((await sluice(['run', setup, '--db', db])).code).toBe(0);
    // Names from the stored catalog bind: a later run can read and extend them.
    const more = script('more.sql', [`CREATE VIEW big AS SELECT k, total FROM totals WHERE total > 1;`, `SELECT k, total FROM totals ORDER BY k;`]);
    const ok = await sluice(['run', more, '--db', db, '--format', 'jsonl']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('{"k":"a","total":4}\n{"k":"b","total":2}\n');
    // A mistake against the stored catalog: reported, and the database file is untouched.
    const before = sha(db);
    const bad = script('bad-stored.sql', [`DROP VIEW big;`, `CREATE SINK out2 FROM totals WITH (connector = 'file', path = 'sink-2.jsonl');`, `SELECT k, totl FROM s;`]);
    const r = await sluice(['run', bad, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Binder Error: column 'totl' not found .*\(line 3, column 11\)/);
    expect(sha(db)).toBe(before);
    expect(existsSync(at('sink-2.jsonl'))).toBe(false);
    // The stored catalog still has `big` (the DROP never ran).
    const again = await sluice(['run', script('big.sql', [`SELECT k, total FROM big;`]), '--db', db, '--format', 'jsonl']);
    expect(again.stdout).toBe('{"k":"a","total":4}\n{"k":"b","total":2}\n');
  });

  it('later files are checked against the DDL of earlier files', async () => {
    const a = script('first.sql', [SOURCE('s', 'clean.jsonl'), `SELECT COUNT(*) AS n FROM s;`]);
    const b = script('second.sql', [`SELECT k, COUNT(*) AS n FROM s GROUP BY k;`, `SELECT nothing FROM s;`]);
    const r = await sluice(['run', a, b]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Binder Error: column 'nothing' not found .*\(line 2, column 8\)\nLINE 2: SELECT nothing FROM s;/);
  });
});

describe.skipIf(!built)('sluice run: a failure while running', () => {
  it('prints the results of the statements before it (stdout), then the error (stderr), exit 1', async () => {
    const file = script('runtime.sql', [
      SOURCE('s', 'clean.jsonl'),
      `SELECT k, SUM(x) AS total FROM s GROUP BY k;`,
      `-- this file does not exist: a CONNECTOR error when the source opens`,
      SOURCE('gone', 'gone.jsonl'),
      `SELECT * FROM gone;`,
    ]);
    const r = await sluice(['run', file, '--format', 'jsonl']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l !== '').sort()).toEqual(['{"k":"a","total":4}', '{"k":"b","total":2}']);
    expect(r.stderr).toMatch(/^Connector Error: .*gone\.jsonl/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('with --output, the results before the failure are in the file', async () => {
    const file = script('runtime-out.sql', [SOURCE('s', 'clean.jsonl'), `SELECT COUNT(*) AS n FROM s;`, SOURCE('gone', 'gone.jsonl')]);
    const out = at('partial.jsonl');
    const r = await sluice(['run', file, '--format', 'jsonl', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe('{"n":3}\n');
    expect(r.stderr).toMatch(/^Connector Error: .*gone\.jsonl/);
  });
});

describe.skipIf(!built)('sluice run reports events it set aside', () => {
  const file = () =>
    script('aside.sql', [
      SOURCE('s', 'events.jsonl'),
      `CREATE MATERIALIZED VIEW w AS SELECT window_start, k, COUNT(*) AS n FROM TUMBLE(s, ts, INTERVAL '10' SECOND)`,
      `  GROUP BY window_start, window_end, k EMIT ON WINDOW CLOSE;`,
      `SELECT * FROM w ORDER BY window_start, k;`,
    ]);
  const warnings = [
    'Warning: 2 events could not be read and went to the dead letters (s: 2): see sluice_dead_letters',
    'Warning: 1 event arrived late, behind the watermark, and was left out (s: 1): see sluice_late_events',
  ];

  it('on stderr at the end, per source, naming the system table; exit 0', async () => {
    const r = await sluice(['run', file(), '--format', 'jsonl']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(3);
    expect(r.stderr).toBe(warnings.join('\n') + '\n');
  });

  it('--strict: the same results and warnings, exit 1', async () => {
    const r = await sluice(['run', file(), '--format', 'jsonl', '--strict']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(3);
    expect(r.stderr).toBe(warnings.join('\n') + '\n');
  });

  it('nothing set aside: nothing on stderr, and --strict exits 0', async () => {
    const r = await sluice(['run', script('clean.sql', [SOURCE('s', 'clean.jsonl'), `SELECT COUNT(*) AS n FROM s;`]), '--strict']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe.skipIf(!built)('one-line errors for bad command lines', () => {
  it('--output into a folder that does not exist', async () => {
    const r = await sluice(['run', script('one.sql', [`SELECT 1 AS one;`]), '--output', '/no/such/dir/x.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Invalid Argument: cannot write --output '/no/such/dir/x.jsonl': no such directory\n");
  });

  it('an unknown command names itself and lists the commands', async () => {
    const r = await sluice(['frob']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Invalid Argument: unknown command 'frob' \(commands: run, explain, repl, bench.*\)\n$/);
    expect(r.stderr).not.toMatch(/repl'/);
  });
});

describe.skipIf(!built)('sluice explain', () => {
  it('never opens a source: a missing data file still gives every plan, each statement labeled', async () => {
    const file = script('explain.sql', [
      `CREATE SOURCE bids (auction BIGINT, price DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)`,
      `  WITH (connector = 'file', path = 'no-bids.jsonl', format = 'jsonl');`,
      `CREATE SOURCE auctions (id BIGINT, seller BIGINT, ts TIMESTAMP) WITH (connector = 'file', path = 'no-auctions.jsonl', format = 'jsonl');`,
      ``,
      `-- bids over 5 with their seller`,
      `CREATE MATERIALIZED VIEW v AS`,
      `  SELECT b.auction, a.seller, b.price * 2 AS double_price FROM bids b JOIN auctions a ON b.auction = a.id WHERE b.price > 5;`,
      `SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction;`,
      `SELECT seller, SUM(double_price) AS total`,
      `FROM v GROUP BY seller;`,
    ]);
    const r = await sluice(['explain', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '-- statement 1 (line 1): CREATE SOURCE bids',
        '',
        '-- statement 2 (line 3): CREATE SOURCE auctions',
        '',
        '-- statement 3 (line 6): CREATE MATERIALIZED VIEW v',
        'Project: b.auction, a.seller, (b.price * 2) AS double_price  → (auction BIGINT, seller BIGINT, double_price DOUBLE) append-only',
        '  Join: INNER keys=[auction = id] output=[auction, price, seller]  → (auction BIGINT, price DOUBLE, seller BIGINT) append-only',
        '    Filter: (b.price > 5)  → (auction BIGINT, price DOUBLE, ts TIMESTAMP*) append-only',
        '      Scan: bids watermark=ts - 1s  → (auction BIGINT, price DOUBLE, ts TIMESTAMP*) append-only',
        '    Scan: auctions  → (id BIGINT, seller BIGINT) append-only',
        '',
        '-- statement 4 (line 8): SELECT',
        'Project: auction, COUNT(*) AS n  → (auction BIGINT, n BIGINT) changelog',
        '  Aggregate: keys=[auction] aggs=[COUNT(*)]  → (auction BIGINT, COUNT(*) BIGINT) changelog',
        '    Project: auction  → (auction BIGINT) append-only',
        '      Scan: bids watermark=ts - 1s  → (auction BIGINT, ts TIMESTAMP*) append-only',
        '',
        '-- statement 5 (line 9): SELECT',
        'PullQuery (DuckDB):',
        '  SELECT seller, SUM(double_price) AS total',
        '  FROM v GROUP BY seller',
        '',
      ].join('\n'),
    );
  });

  it('a missing data file does not hide a syntax error further down', async () => {
    const file = script('explain-bad.sql', [SOURCE('s', 'missing.jsonl'), `SELECT k, COUNT(*) AS n FROM s GROUP BY k;`, `SELECT k FROM s GROUP k;`]);
    const r = await sluice(['explain', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Parser Error: .*\(line 3, column 23\)\nLINE 3: SELECT k FROM s GROUP k;\n {30}\^\n$/);
    expect(r.stderr).not.toMatch(/Connector/);
  });
});
