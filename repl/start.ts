/**
 * Entry of `sluice` / `sluice repl`: the interactive shell on a terminal; with piped stdin,
 * the statements run as `sluice run` would and results print in the same format.
 */
import { Engine } from '../src/engine/engine.js';
import { renderResult } from '../src/cli/run-command.js';
import { renderError, toSluiceError } from '../src/errors.js';

export interface ReplOptions {
  readonly db?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startRepl(options: ReplOptions): Promise<void> {
  if (!process.stdin.isTTY) {
    const sql = await readStdin();
    const engine = await Engine.open({ path: options.db });
    try {
      const results = await engine.execute(sql);
      for (const r of results) {
        const text = renderResult(r, 'table', false);
        if (text !== '') process.stdout.write(text + '\n');
      }
    } catch (e) {
      process.stderr.write(renderError(toSluiceError(e), sql) + '\n');
      process.exitCode = 1;
    } finally {
      await engine.close();
    }
    return;
  }
  const { runInteractive } = await import('./app/run-interactive.js');
  await runInteractive(options);
}
