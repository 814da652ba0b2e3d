/** `sluice run FILE.sql…`: runs statements in order and prints each query's result. */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SluiceError } from '../errors.js';
import { Engine, type StatementResult } from '../engine/engine.js';
import { formatCsv, formatJsonl, formatTable } from '../../repl/format.js';
import { ProgressReporter } from './progress.js';

export type OutputFormat = 'table' | 'jsonl' | 'csv';

export interface RunOptions {
  readonly db?: string;
  readonly format: OutputFormat;
  readonly changelog: boolean;
  readonly output?: string;
}

/** The text `sluice run` prints for one statement's result (empty when it has none). */
export function renderResult(r: StatementResult, format: OutputFormat, changelog: boolean): string {
  if (!r.columns) return '';
  let columns = r.columns;
  let rows: unknown[][];
  if ((changelog || r.statement === 'SUBSCRIBE') && r.changes) {
    columns = [{ name: 'op', type: 'VARCHAR' }, ...r.columns];
    rows = r.changes.map((c) => [c.op, ...r.columns!.map((col) => c.row[col.name])]);
  } else {
    rows = (r.rows ?? []).map((row) => r.columns!.map((c) => row[c.name]));
  }
  if (format === 'jsonl') return formatJsonl(columns, rows);
  if (format === 'csv') return formatCsv(columns, rows);
  return formatTable(columns, rows, { maxRows: Infinity });
}

function readScript(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new SluiceError('ARGUMENT', `cannot read '${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export async function runFiles(files: readonly string[], options: RunOptions): Promise<void> {
  const out: WriteStream | NodeJS.WriteStream = options.output ? createWriteStream(options.output) : process.stdout;
  const engine = await Engine.open({ path: options.db });
  const progress = new ProgressReporter();
  try {
    for (const file of files) {
      const sql = readScript(file);
      const results = await engine.execute(sql, {
        baseDir: dirname(resolve(file)),
        changelog: options.changelog,
        onProgress: (p) => progress.update(p),
      });
      progress.stop();
      for (const r of results) {
        const text = renderResult(r, options.format, options.changelog);
        if (text !== '') out.write(text + '\n');
      }
    }
    // Sinks and views see every bounded source to its end.
    await engine.query('SELECT 1');
  } finally {
    progress.stop();
    await engine.close();
    if (out !== process.stdout) await new Promise((r) => (out as WriteStream).end(r));
  }
}
