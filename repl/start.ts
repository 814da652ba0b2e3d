/**
 * Entry of `sluice` / `sluice repl`: the interactive shell on a terminal. With piped stdin
 * (`sluice < script.sql`) the statements run one by one without the UI, each result printed
 * as `sluice run` prints it; the first error is printed on stderr and ends the run with
 * status 1, as `duckdb < script.sql` does. Dot-commands work there too.
 */
import { Engine } from '../src/engine/engine.js';
import { renderError, toSluiceError } from '../src/errors.js';
import { Shell, type ShellOutput } from './shell.js';

export interface ReplOptions {
  readonly db?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Prints results and notes on stdout and errors on stderr; statement messages stay quiet, as in `sluice run`. */
const pipedOutput: ShellOutput = {
  print(text, tone) {
    if (tone === 'error') process.stderr.write(text + '\n');
    else if (tone !== 'message') process.stdout.write(text + '\n');
  },
};

/** Runs a whole script without the UI; resolves to the exit status. */
export async function runPiped(sql: string, options: ReplOptions): Promise<number> {
  const engine = await Engine.open({ path: options.db });
  try {
    const shell = new Shell({ engine, output: pipedOutput, table: () => ({ maxRows: Infinity }) });
    if (!(await shell.runScript(sql, process.cwd()))) return 1;
    // Sinks and views see every bounded source to its end, as after `sluice run`.
    await engine.query('SELECT 1');
    return 0;
  } catch (e) {
    process.stderr.write(renderError(toSluiceError(e), sql) + '\n');
    return 1;
  } finally {
    await engine.close();
  }
}

/** `sluice` / `sluice repl`: the ink app on a terminal, the script runner with piped stdin. */
export async function startRepl(options: ReplOptions): Promise<void> {
  if (!process.stdin.isTTY) {
    process.exitCode = await runPiped(await readStdin(), options);
    return;
  }
  const { runInteractive } = await import('./app/run-interactive.js');
  await runInteractive(options);
}
