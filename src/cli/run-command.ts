/**
 * `sluice run FILE.sql…`: checks every file first (a mistake anywhere stops the run before
 * anything is opened), then runs the statements in order, printing each query's result as
 * soon as it has one, so a failure later on leaves the results before it printed.
 */
import { createWriteStream, openSync, readFileSync, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SluiceError } from '../errors.js';
import { Engine, type StatementResult } from '../engine/engine.js';
import { ScriptChecker, type CheckedStatement } from '../engine/script-check.js';
import type { ScriptItem } from '../engine/script.js';
import { formatCsv, formatJsonl, formatTable } from '../../repl/format.js';
import type { ProgressReporter } from './progress.js';

export type OutputFormat = 'table' | 'jsonl' | 'csv';

export interface RunOptions {
  readonly db?: string;
  readonly format: OutputFormat;
  readonly changelog: boolean;
  readonly output?: string;
}

/** What a run set aside, per source: events that could not be read, and late events. */
export interface RunReport {
  readonly deadLetters: ReadonlyMap<string, number>;
  readonly lateEvents: ReadonlyMap<string, number>;
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

export function readScript(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new SluiceError('ARGUMENT', `cannot read '${file}': ${why}`);
  }
}

interface CheckedFile {
  readonly sql: string;
  readonly baseDir: string;
  readonly statements: readonly CheckedStatement[];
}

/**
 * Parses and binds every statement of every file, in order, against a scratch copy of the
 * catalog (the one stored in `db` when it exists): nothing is opened or written.
 */
export async function checkFiles(files: readonly string[], db: string | undefined): Promise<CheckedFile[]> {
  const scripts = files.map((f) => ({ sql: readScript(f), baseDir: dirname(resolve(f)) }));
  const checker = await ScriptChecker.open(db);
  try {
    const out: CheckedFile[] = [];
    for (const s of scripts) out.push({ ...s, statements: await checker.check(s.sql, { baseDir: s.baseDir, connectorOptions: true }) });
    return out;
  } finally {
    checker.close();
  }
}

/** The output file, opened now so a bad path is a plain error rather than a failed stream later. */
function openOutput(path: string | undefined): WriteStream | NodeJS.WriteStream {
  if (path === undefined) return process.stdout;
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such directory' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new SluiceError('ARGUMENT', `cannot write --output '${path}': ${why}`);
  }
  return createWriteStream('', { fd });
}

async function closeOutput(out: WriteStream | NodeJS.WriteStream): Promise<void> {
  if (out === process.stdout) return;
  const stream = out as WriteStream;
  // The stream closes its descriptor itself once it has finished or failed.
  await new Promise<void>((r) => {
    stream.once('error', () => r());
    stream.once('close', () => r());
    stream.end();
  });
}

/**
 * One statement run alone, at its place in its file: the text before it is blanked (line
 * breaks kept), so positions in errors stay those of the file, which the error then shows.
 */
async function runStatement(engine: Engine, file: CheckedFile, item: ScriptItem, options: RunOptions, progress: Progress): Promise<StatementResult[]> {
  const text = file.sql.slice(0, item.start).replace(/[^\r\n]/g, ' ') + item.text;
  try {
    return await engine.execute(text, {
      baseDir: file.baseDir,
      changelog: options.changelog,
      onProgress: (p) => progress.update(p),
    });
  } catch (e) {
    if (e instanceof SluiceError && e.sql === text) e.sql = file.sql;
    throw e;
  } finally {
    progress.stop();
  }
}

export async function runFiles(files: readonly string[], options: RunOptions): Promise<RunReport> {
  // A job with a source without end runs until SIGINT/SIGTERM instead (SPEC 8).
  const follow = await import('./follow-run.js');
  if (follow.isFollowJob(files)) return follow.runFollowJob(files, options);
  const checked = await checkFiles(files, options.db);
  const out = openOutput(options.output);
  let failure: unknown;
  if (out !== process.stdout) out.on('error', (e) => (failure ??= e));
  const since = new Date();
  const engine = await Engine.open({ path: options.db }).catch(async (e: unknown) => {
    await closeOutput(out);
    throw e;
  });
  const progress = await progressReporter();
  try {
    for (const file of checked) {
      for (const s of file.statements) {
        for (const r of await runStatement(engine, file, s.item, options, progress)) {
          const text = renderResult(r, options.format, options.changelog);
          if (text !== '') out.write(text + '\n');
        }
        if (failure !== undefined) throw outputError(options.output, failure);
      }
    }
    // Sinks and views see every bounded source to its end.
    await engine.query('SELECT 1');
    return await setAside(engine, since);
  } finally {
    progress.stop();
    await engine.close();
    await closeOutput(out);
    if (failure !== undefined) throw outputError(options.output, failure);
  }
}

export type Progress = Pick<ProgressReporter, 'update' | 'stop'>;

/**
 * The progress line, which only a terminal shows: its module (cli-progress) costs ~40 ms to
 * load, which a run whose stderr is a file or a pipe need not pay.
 */
export async function progressReporter(): Promise<Progress> {
  if (process.stderr.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  return new (await import('./progress.js')).ProgressReporter();
}

function outputError(path: string | undefined, e: unknown): SluiceError {
  return new SluiceError('ARGUMENT', `cannot write --output '${path}': ${(e as Error).message}`);
}

/** Dead letters and late events recorded since `since`, per source (a late event counts once, however many views it missed). */
export async function setAside(engine: Engine, since: Date): Promise<RunReport> {
  // Two pull queries cost ~60 ms of a one-line run's start-up; most runs set nothing aside.
  if (!engine.setAsideSince(since)) return { deadLetters: new Map(), lateEvents: new Map() };
  const count = async (sql: string): Promise<Map<string, number>> =>
    new Map((await engine.query(sql, [since])).map((r) => [String(r['source']), Number(r['n'])]));
  return {
    deadLetters: await count(`SELECT source, count(*) AS n FROM sluice_dead_letters WHERE recorded_at >= ? GROUP BY source ORDER BY source`),
    lateEvents: await count(`SELECT source, count(DISTINCT "offset") AS n FROM sluice_late_events WHERE recorded_at >= ? GROUP BY source ORDER BY source`),
  };
}

/** The lines `sluice run` prints on stderr about events it set aside (none when there were none). */
export function describeSetAside(report: RunReport): string[] {
  const line = (counts: ReadonlyMap<string, number>, what: (n: number) => string, table: string): string[] => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    const per = [...counts].map(([source, n]) => `${source}: ${n}`).join(', ');
    return [`Warning: ${what(total)} (${per}): see ${table}`];
  };
  return [
    ...line(report.deadLetters, (n) => `${n} event${n === 1 ? '' : 's'} could not be read and went to the dead letters`, 'sluice_dead_letters'),
    ...line(report.lateEvents, (n) => `${n} event${n === 1 ? '' : 's'} arrived late, behind the watermark, and ${n === 1 ? 'was' : 'were'} left out`, 'sluice_late_events'),
  ];
}
