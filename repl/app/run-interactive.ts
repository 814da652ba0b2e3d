/** The interactive shell on a terminal: opens the engine, runs the ink app until the user leaves, closes the engine. */
import { readFileSync } from 'node:fs';
import { render } from 'ink';
import { createElement } from 'react';
import { Engine } from '../../src/engine/engine.js';
import type { ReplOptions } from '../start.js';
import { App } from './app.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '';
  } catch {
    return '';
  }
}

/** The welcome line: version, where state is kept, and the hint DuckDB's shell gives. */
export function bannerText(db: string | undefined): string {
  const where = db ? `state in ${db}` : 'in memory (use --db FILE to keep state)';
  return `sluice ${version()} · ${where}\nEnter ".help" for usage hints.`;
}

/** Runs the REPL on the terminal until the user leaves; the engine is closed on the way out. */
export async function runInteractive(options: ReplOptions): Promise<void> {
  const engine = await Engine.open({ path: options.db, background: true });
  try {
    const instance = render(createElement(App, { engine, banner: bannerText(options.db) }), { exitOnCtrlC: false });
    await instance.waitUntilExit();
  } finally {
    await engine.close();
  }
}
