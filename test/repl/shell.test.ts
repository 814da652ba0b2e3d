import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Shell, type Tone } from '../../repl/shell.js';
import { runPiped } from '../../repl/start.js';

let engine: Engine;
let dir: string;
let printed: [Tone, string][];
let shell: Shell;

beforeEach(async () => {
  engine = await Engine.open();
  dir = mkdtempSync(join(tmpdir(), 'sluice-shell-'));
  printed = [];
  shell = new Shell({ engine, output: { print: (text, tone) => printed.push([tone, text]) }, table: () => ({ maxRows: 40, maxWidth: 100 }) });
});

afterEach(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const texts = (tone?: Tone): string[] => printed.filter(([t]) => tone === undefined || t === tone).map(([, s]) => s);

describe('Shell', () => {
  it('prints a message for statements without rows and a table with its row count for queries', async () => {
    expect(await shell.runSql('CREATE SOURCE s (a INT, b VARCHAR)')).toBe(true);
    await shell.runSql("INSERT INTO s VALUES (1, 'x'), (2, NULL)");
    await shell.runSql('SELECT a, b FROM s');
    expect(texts()).toEqual([
      'created source s',
      'inserted 2 events into s',
      ['┌─────┬─────────┐', '│  a  │    b    │', '│ INT │ VARCHAR │', '├─────┼─────────┤', '│   1 │ x       │', '│   2 │ NULL    │', '└─────┴─────────┘', '2 rows'].join('\n'),
    ]);
    expect(texts('message')).toHaveLength(2);
  });

  it('prints errors with the caret and stays usable', async () => {
    expect(await shell.runSql('SELECT nope FROM nowhere')).toBe(false);
    expect(texts('error')[0]).toMatch(/^Binder Error: .*nowhere.*\nLINE 1: SELECT nope FROM nowhere\n +\^+$/);
    expect(await shell.runSql('SELECT 1 AS one')).toBe(true);
  });

  it('.mode and .timer change how results print', async () => {
    let t = 0;
    shell = new Shell({ engine, output: { print: (text, tone) => printed.push([tone, text]) }, table: () => ({ maxRows: 40 }), clock: () => (t += 12) });
    await shell.runDot('.mode csv');
    await shell.runDot('.timer on');
    await shell.runSql("SELECT 1 AS one, 'a,b' AS two");
    expect(texts()).toEqual(['one,two\n1,"a,b"', 'Run Time: 0.012 s']);
    expect(shell.state).toEqual({ mode: 'csv', timer: true });
  });

  it('runs a script statement by statement, stopping at the first error with file coordinates', async () => {
    const ok = await shell.runScript("CREATE SOURCE s (a INT);\n\nINSERT INTO s VALUES (1);\n  SELECT b FROM s;\nSELECT 1;", dir);
    expect(ok).toBe(false);
    const err = texts('error')[0]!;
    expect(err).toContain('(line 4, column 10)');
    expect(err).toContain('LINE 4:   SELECT b FROM s\n                 ^');
    expect(texts('result')).toEqual([]);
  });

  it('.read resolves relative paths against the file folder, runs nested .read, and .schema shows the definition', async () => {
    writeFileSync(join(dir, 'events.jsonl'), '{"k": 1, "v": 10}\n{"k": 2, "v": 20}\n{"k": 1, "v": 5}\n');
    writeFileSync(join(dir, 'inner.sql'), 'CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(v) AS total FROM ev GROUP BY k;\n');
    writeFileSync(
      join(dir, 'setup.sql'),
      "-- a source over a file next to this script\nCREATE SOURCE ev (k INT, v INT) WITH (connector = 'file', path = 'events.jsonl', format = 'jsonl');\n.read inner.sql\nSELECT * FROM totals ORDER BY k;\n",
    );
    expect(await shell.runDot(`.read ${join(dir, 'setup.sql')}`)).toBe(true);
    expect(texts('result')[0]).toContain('│   1 │     15 │');
    printed = [];
    await shell.runDot('.schema TOTALS');
    expect(texts()[0]).toMatch(/^CREATE MATERIALIZED VIEW totals AS SELECT k, SUM\(v\) AS total FROM ev GROUP BY k;\n┌/);
    expect(texts()[0]).toContain('│ total   │ BIGINT  │');
    printed = [];
    await shell.runDot('.views');
    await shell.runDot('.sources');
    await shell.runDot('.schema nothing');
    expect(texts()).toEqual(['totals (materialized)', 'ev', 'no source, view or sink named nothing']);
  });

  it('.read reports a missing file and refuses a file that reads itself', async () => {
    expect(await shell.runDot('.read missing.sql')).toBe(false);
    expect(texts('error')).toEqual(["Invalid Argument: cannot read 'missing.sql': no such file"]);
    writeFileSync(join(dir, 'loop.sql'), '.read loop.sql\n');
    expect(await shell.runDot(`.read ${join(dir, 'loop.sql')}`)).toBe(false);
    expect(texts('error')[1]).toContain('.read nested more than 16 deep');
  });

  it('.quit stops a script', async () => {
    expect(await shell.runScript('SELECT 1 AS a;\n.quit\nSELECT 2 AS b;', dir)).toBe(true);
    expect(shell.quitRequested).toBe(true);
    expect(texts('result')).toHaveLength(1);
  });
});

describe('piped stdin (sluice < script.sql)', () => {
  it('prints each result, the error on stderr, and exits 1 at the first error', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      const code = await runPiped('CREATE SOURCE s (a INT);\nINSERT INTO s VALUES (7);\n.mode jsonl\nSELECT a FROM s;\nSELEC 1;\nSELECT 2;\n', {});
      expect(code).toBe(1);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(out.join('')).toBe('{"a":7}\n');
    expect(err.join('')).toMatch(/^Parser Error: .*\(line 5, column 1\)\nLINE 5: SELEC 1\n        \^+\n$/);
  });
});
