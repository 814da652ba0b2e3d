/** Runs the built CLI (`npm test` builds first; `SLUICE_CLI` points at another build). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = process.env['SLUICE_CLI'] ?? fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
export const built = existsSync(CLI);

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `sluice ARGS…` as a child process; resolves with its exit code and output. */
export function sluice(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
