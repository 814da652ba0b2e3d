/**
 * The package as another project gets it: `npm pack` of this checkout, installed into a
 * fresh ESM project, imported from TypeScript (strict; nodenext and bundler resolution)
 * and run. A wrong `exports`, `types`, `bin` or `files` entry, or a runtime dependency
 * missing from `dependencies`, fails here and nowhere else.
 *
 * Runs after the build (`npm test` builds first), so the pack skips `prepare`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');

/** Runs a command to completion within `timeoutMs`; its stdout, or an error with all it printed. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs = 90_000): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } });
  if (result.status !== 0) {
    const why = result.error !== undefined ? result.error.message : `exit status ${result.status} (signal ${result.signal})`;
    throw new Error(`${command} ${args.join(' ')} in ${cwd}: ${why}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly main: string;
  readonly types: string;
  readonly bin: Record<string, string>;
  readonly exports: Record<string, string | Record<string, string>>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/**
 * The README's TypeScript examples of the API, each compiled as the consumer's own module.
 * Blocks that do not import sluice are fragments of other programs (a pg client call).
 */
function readmeExamples(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!).filter((code) => code.includes("from 'sluice'"));
}

/** The consumer's program: every public name it imports must resolve, type-check and run. */
const CONSUMER = `
import { Engine, SluiceError, renderError } from 'sluice';
import type { Change, Row, StatementResult } from 'sluice';

const engine = await Engine.open();
const created: StatementResult[] = await engine.execute(\`
  CREATE SOURCE orders (id BIGINT, customer VARCHAR, amount DOUBLE, ts TIMESTAMP);
  CREATE MATERIALIZED VIEW revenue AS
    SELECT customer, COUNT(*) AS orders, SUM(amount) AS total FROM orders GROUP BY customer;
\`);
const changes: Change[] = [];
const sub = engine.subscribe('revenue', (change) => changes.push(change));
await engine.insert('orders', [
  { id: 1, customer: 'ada', amount: 30, ts: new Date(0) },
  { id: 2, customer: 'bob', amount: 12, ts: '2024-01-01T10:00:00Z' },
  { id: 3, customer: 'ada', amount: 5, ts: 0 },
]);
const rows: Row[] = await engine.query('SELECT * FROM revenue WHERE total > ? ORDER BY customer', [10]);
let errorCode = '';
try {
  await engine.execute('SELECT amount FROM nowhere;');
} catch (e) {
  if (e instanceof SluiceError && renderError(e).includes('nowhere')) errorCode = e.code;
}
sub.unsubscribe();
await engine.close();
// @ts-expect-error: op is '+I' | '-U' | '+U' | '-D', which shows the types arrived (they are not any)
const notAnOp: 'X' = changes[0]!.op;
console.log(JSON.stringify({ created: created.map((r) => r.statement), rows, subscribed: changes.length > 0, errorCode }));
`;

const EXPECTED_OUTPUT = {
  created: ['CREATE SOURCE', 'CREATE MATERIALIZED VIEW'],
  rows: [
    { customer: 'ada', orders: 2, total: 35 },
    { customer: 'bob', orders: 1, total: 12 },
  ],
  subscribed: true,
  errorCode: 'BIND',
};

/**
 * tsconfig of a consumer, strict. The nodenext one also checks every declaration file (no
 * skipLibCheck), ours included; the bundler one only needs to show that resolution works,
 * and skipping that check halves its time.
 */
function tsconfig(resolution: 'nodenext' | 'bundler'): string {
  const modules =
    resolution === 'nodenext'
      ? { module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out', skipLibCheck: false }
      : { module: 'esnext', moduleResolution: 'bundler', noEmit: true, skipLibCheck: true };
  return JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022'], strict: true, ...modules }, include: ['*.ts'] }, null, 2);
}

describe('the npm package', () => {
  let work = '';
  let app = '';
  let packed: string[] = [];

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/src/index.js'))) {
      throw new Error('dist/ is not built: run `npm run build` (npm test does) before this test');
    }
    work = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
    // A state file left in a packed folder (sluice run … --db dist/x.duckdb) must not ship.
    const probe = join(ROOT, 'dist/sluice-pack-probe.duckdb');
    writeFileSync(probe, '');
    let report: string;
    try {
      report = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    } finally {
      rmSync(probe, { force: true });
    }
    const [entry] = JSON.parse(report) as { filename: string; files: { path: string }[] }[];
    packed = entry!.files.map((f) => f.path);

    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // The dependencies come from npm's cache when it has them (fast, no network); a cold
    // cache falls back to the registry.
    const install = ['install', join(work, entry!.filename), '--no-audit', '--no-fund'];
    try {
      run('npm', [...install, '--offline'], app);
    } catch (e) {
      if (!String(e).includes('ENOTCACHED')) throw e;
      run('npm', [...install, '--prefer-offline'], app);
    }
  }, 180_000);

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('packs the build, the example queries and the README, and nothing else', () => {
    const stray = packed.filter((p) => !/^(?:package\.json|README\.md|LICENSE(?:\.\w+)?|dist\/.+|queries\/.+)$/.test(p));
    expect(stray).toEqual([]);
    expect(packed.filter((p) => /(?:^|\/)test\/|\.test\.js$|\.duckdb(?:\.wal)?$|(?<!\.d)\.tsx?$/.test(p))).toEqual([]);
    expect(packed).toEqual(expect.arrayContaining(['README.md', 'queries/quickstart.sql', 'queries/quickstart.jsonl']));
  });

  it('ships every file package.json points at', () => {
    const exported = Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin), ...exported].map((p) => p.replace(/^\.\//, ''));
    expect(targets.filter((t) => !packed.includes(t))).toEqual([]);
  });

  it('type-checks an ESM consumer and the README examples (strict, nodenext and bundler)', () => {
    writeFileSync(join(app, 'main.ts'), CONSUMER);
    readmeExamples().forEach((code, i) => writeFileSync(join(app, `readme-${i}.ts`), `${code}\nexport {};\n`));
    writeFileSync(join(app, 'tsconfig.json'), tsconfig('nodenext'));
    writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig('bundler'));
    run(TSC, ['-p', 'tsconfig.json'], app);
    run(TSC, ['-p', 'tsconfig.bundler.json'], app);
    expect(existsSync(join(app, 'out/main.js'))).toBe(true);
  }, 120_000);

  it('runs a query with node from the compiled consumer', () => {
    const output = run('node', [join(app, 'out/main.js')], app, 30_000);
    expect(JSON.parse(output)).toEqual(EXPECTED_OUTPUT);
  }, 60_000);

  it('installs the sluice command', () => {
    expect(run(join(app, 'node_modules/.bin/sluice'), ['--version'], app, 30_000).trim()).toBe(pkg.version);
  }, 60_000);
});
