/**
 * What the command loads at start-up (issue 14: `sluice run` of a one-line file). Arrow's ES
 * modules are ~150 files; the command loads the package's single-file build instead, and
 * still reads Arrow IPC input with it (see test/engine/cli.test.ts for every format).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command (or a script, with `args[0]` ending in .mjs) with a module hook that records every module it loads. */
function loadedModules(args: readonly string[]): Promise<{ code: number; stdout: string; modules: string[] }> {
  writeFileSync(join(dir, 'hooks.mjs'), `export async function load(url, context, next) { process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }\n`);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  return new Promise((resolve) => {
    const entry = args[0]?.endsWith('.mjs') ? [] : [CLI];
    execFile(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, ...entry, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const modules = stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
      resolve({ code: err ? 1 : 0, stdout, modules });
    });
  });
}

describe('start-up', () => {
  it('sluice run loads Arrow as one file, not its ES modules', async () => {
    const script = join(dir, 'one.sql');
    writeFileSync(script, 'SELECT 1 AS x;\n');
    const r = await loadedModules(['run', script, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('{"x":1}');
    const arrow = r.modules.filter((m) => m.includes('/node_modules/apache-arrow/'));
    expect(arrow).toEqual([]);
    // The engine's own code did load (the hook sees it): the check above can fail.
    expect(r.modules.some((m) => /\/dist\/src\/cli\/chunk-\w+\.js$/.test(m))).toBe(true);
  });

  it('sluice run loads the command as a bundle of a few files, not its ~190 modules', async () => {
    const script = join(dir, 'one.sql');
    writeFileSync(script, 'SELECT 1 AS x;\n');
    const r = await loadedModules(['run', script, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const own = r.modules.filter((m) => m.includes('/dist/'));
    expect(own.length).toBeGreaterThan(0);
    expect(own.length).toBeLessThan(30);
    expect(own.every((m) => m.includes('/dist/src/cli/'))).toBe(true);
  });

  it("importing 'sluice' does not load the NATS client until a group member starts", async () => {
    const script = join(dir, 'api.mjs');
    writeFileSync(script, `import { Engine, GroupMember } from ${JSON.stringify(pathToFileURL(join(CLI, '..', '..', 'index.js')).href)};\nconsole.log(typeof Engine.open, typeof GroupMember.join);\n`);
    const r = await loadedModules([script]);
    expect(r.stdout.trim()).toBe('function function');
    expect(r.modules.filter((m) => m.includes('/@nats-io/'))).toEqual([]);
    expect(r.modules.some((m) => m.endsWith('/group/group-member.js'))).toBe(true);
  });
});
