/**
 * Errors of pull queries, which DuckDB answers (SPEC 6): a SluiceError with DuckDB's category
 * as its code (BIND for a binder error, PARSE for a parser error), DuckDB's message said once
 * (no `Binder Error: Binder Error:`, no `LINE 1:` of DuckDB's own), and the line and column
 * of the offending token in the user's text — the script's line, not the statement's —, so
 * the renderer puts a caret under it. Through execute, query, EXPLAIN and the built CLI.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, SluiceError } from '../../src/index.js';
import { renderError } from '../../src/errors.js';

const SETUP = [
  `CREATE SOURCE src (k VARCHAR, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts);`,
  `CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(v) AS s FROM src GROUP BY k;`,
  `INSERT INTO src VALUES ('a', 1, TIMESTAMP '2024-01-01 00:00:00'), ('b', 2, TIMESTAMP '2024-01-01 00:00:01');`,
  `-- the pull query below misspells a column`,
];

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.open();
  await engine.execute(SETUP.join('\n'));
});

afterAll(async () => {
  await engine.close();
});

async function failure(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return e as SluiceError;
  }
  throw new Error('expected an error');
}

/** The 1-based column of `token`'s first occurrence in `line`. */
const col = (line: string, token: string) => line.indexOf(token) + 1;

/** The rendered error's lines: the message with its position, the source line, the caret. */
function expectRendered(text: string, label: string, line: number, lineText: string, column: number, caret: string): void {
  const lines = text.split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]!.startsWith(`${label}: `)).toBe(true);
  expect(lines[0]!.indexOf(label)).toBe(lines[0]!.lastIndexOf(label));
  expect(lines[0]).not.toMatch(/LINE \d+:/);
  expect(lines[0]!.endsWith(`(line ${line}, column ${column})`)).toBe(true);
  expect(lines[1]).toBe(`LINE ${line}: ${lineText}`);
  const prefix = `LINE ${line}: `.length;
  expect(lines[2]).toBe(' '.repeat(prefix + column - 1) + caret);
}

describe('errors of pull queries, through the API', () => {
  it('a misspelled column on line 5 of a script: BIND at its line and column, said once', async () => {
    const bad = `SELECT k, totl FROM totals ORDER BY k;`;
    const script = [...SETUP.slice(0, 3).map((s) => s.replace('CREATE SOURCE src', 'CREATE SOURCE IF NOT EXISTS src').replace('CREATE MATERIALIZED VIEW totals', 'CREATE MATERIALIZED VIEW IF NOT EXISTS totals')), SETUP[3]!, bad].join('\n');
    const e = await failure(engine.execute(script));
    expect(e).toMatchObject({ code: 'BIND', line: 5, column: col(bad, 'totl'), length: 4 });
    expect(e.message).toContain('"totl"');
    expect(e.message).not.toMatch(/Binder Error|LINE 1/);
    expectRendered(renderError(e), 'Binder Error', 5, bad, col(bad, 'totl'), '^^^^');
  });

  it('the same fields through query()', async () => {
    const sql = `SELECT k,\n       s + totl\nFROM totals`;
    const e = await failure(engine.query(sql));
    expect(e).toMatchObject({ code: 'BIND', line: 2, column: col('       s + totl', 'totl') });
    expectRendered(renderError(e), 'Binder Error', 2, '       s + totl', 12, '^^^^');
  });

  it('a wrong column inside QUALIFY (DuckDB SQL sluice cannot parse) is named, not a parse error', async () => {
    const q = `SELECT k, s FROM totals QUALIFY row_number() OVER (PARTITION BY kk ORDER BY s) = 1`;
    for (const e of [await failure(engine.execute(`SELECT 1 FROM totals;\n${q};`)), await failure(engine.query(q))]) {
      expect(e.code).toBe('BIND');
      expect(e.message).toMatch(/column kk not found/);
      expect(e.column).toBe(col(q, 'kk'));
    }
    expect((await failure(engine.execute(`SELECT 1 FROM totals;\n${q};`))).line).toBe(2);
  });

  it('DuckDB SQL sluice cannot parse, over a source: the parse error says why DuckDB does not know it', async () => {
    const q = `SELECT k, v FROM src QUALIFY row_number() OVER (PARTITION BY k ORDER BY v) = 1`;
    const e = await failure(engine.execute(q));
    expect(e.code).toBe('PARSE');
    expect(e.message).toMatch(/src is a source: a statement sluice does not parse is tried in DuckDB, which reads only materialized views/);
    expect(e.message).not.toMatch(/does not exist/);
  });

  it('a DuckDB syntax error is PARSE at its position', async () => {
    const q = `SELECT k, s FROM totals ORDER BY ALL LIMIT 'x' +`;
    const e = await failure(engine.query(q));
    expect(e).toMatchObject({ code: 'PARSE', line: 1, column: q.length + 1 });
    expect(e.message).toBe('syntax error at end of input');
    expect((await failure(engine.execute(q))).code).toBe('PARSE');
  });

  it('positions stay the user text’s after CHANGES(v) and AS OF are rewritten', async () => {
    const changes = `SELECT c.seq FROM CHANGES(totals) c WHERE c.op = '+I' AND c.nope = 1`;
    expect(await failure(engine.execute(changes))).toMatchObject({ code: 'BIND', line: 1, column: col(changes, 'c.nope') });
    const asOf = `SELECT p.k FROM totals AS OF OFFSET 0 p JOIN totals c ON p.k = c.k WHERE c.nope = 1`;
    expect(await failure(engine.execute(asOf))).toMatchObject({ code: 'BIND', line: 1, column: col(asOf, 'c.nope') });
    const missing = `SELECT * FROM totals AS OF OFFSET 0 p JOIN totalz t ON p.k = t.k`;
    const e = await failure(engine.execute(missing));
    expect(e).toMatchObject({ code: 'BIND', line: 1, column: col(missing, 'totalz') });
    expect(e.message).toContain('totalz');
  });

  it('EXPLAIN of a pull query reports the same error', async () => {
    const q = `EXPLAIN SELECT k, totl FROM totals`;
    expect(await failure(engine.execute(q))).toMatchObject({ code: 'BIND', line: 1, column: col(q, 'totl') });
  });

  it('a message that starts with its category is rendered with it once', () => {
    expect(renderError(new SluiceError('BIND', 'Binder Error: something'))).toBe('Binder Error: something');
  });
});

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const built = existsSync(CLI);

function sluice(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(!built)('errors of pull queries, through `sluice run`', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-duck-errors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('points at line 5 of the file, with a caret under the misspelled column', async () => {
    const bad = `SELECT k, totl FROM totals ORDER BY k;`;
    const file = join(dir, 'bad-column.sql');
    writeFileSync(file, [...SETUP, bad, ''].join('\n'));
    const r = await sluice(['run', file]);
    expect(r.code).toBe(1);
    expectRendered(r.stderr.trimEnd(), 'Binder Error', 5, bad, col(bad, 'totl'), '^^^^');
  });

  it('names a wrong column inside QUALIFY', async () => {
    const bad = `SELECT k, s FROM totals QUALIFY row_number() OVER (PARTITION BY kk ORDER BY s) = 1;`;
    const file = join(dir, 'qualify.sql');
    writeFileSync(file, [...SETUP, bad, ''].join('\n'));
    const r = await sluice(['run', file]);
    expect(r.code).toBe(1);
    expectRendered(r.stderr.trimEnd(), 'Binder Error', 5, bad, col(bad, 'kk'), '^^');
  });
});
