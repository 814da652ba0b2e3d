/**
 * `sluice run` of a job with a source without end (`follow = true`, nexmark without
 * `events`; SPEC 8, last paragraph): statements run in order as in a batch run, but each
 * top-level SELECT (or SUBSCRIBE) that reads such a source runs as a live query and prints
 * its changes as they happen — jsonl and csv one line per change with `op`, a table
 * reprinted (at most twice a second) whenever its result changed. Views and sinks are kept
 * current by the engine's background reading. SIGINT or SIGTERM stops the job: a final
 * checkpoint, then exit 0. A source whose background reading fails (its file truncated
 * without `on_truncate = 'reread'`) stops the job with that error (exit 1).
 */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { formatCsv, formatJsonl, formatTable } from '../../repl/format.js';
import { splitScript } from '../engine/script.js';
import { Engine, type LiveQuery, type ResultColumn } from '../engine/engine.js';
import type { Change } from '../engine/rows.js';
import { SluiceError, toSluiceError } from '../errors.js';
import { checkFiles, progressReporter, renderResult, setAside, type RunOptions, type RunReport } from './run-command.js';

/** How often a table is reprinted at most. */
const TABLE_REFRESH_MS = 500;

type Out = WriteStream | NodeJS.WriteStream;

function isTrue(v: string | number | boolean | undefined): boolean {
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}

/**
 * True when one of the files creates a source without end, so `sluice run` must keep
 * running (scripts that do not parse are left to the batch run, which reports the error).
 */
export function isFollowJob(files: readonly string[]): boolean {
  for (const file of files) {
    let items;
    try {
      items = splitScript(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    for (const item of items) {
      if (item.kind !== 'statement' || item.statement.kind !== 'CreateSource') continue;
      const options = new Map(item.statement.options.map((o) => [o.key.toLowerCase(), o.value]));
      const connector = String(options.get('connector') ?? '').toLowerCase();
      if (connector === 'file' && isTrue(options.get('follow'))) return true;
      if (connector === 'nexmark' && !options.has('events')) return true;
    }
  }
  return false;
}

/** Prints one live query's changes in the run's format. */
class ChangePrinter {
  private columns: readonly ResultColumn[] | null = null;
  /** Changes that came before the columns were known (the catch-up at start). */
  private early: Change[] = [];
  /** Table format: the folded result, by row text, with multiplicities. */
  private readonly rows = new Map<string, { values: unknown[]; count: number }>();
  private dirty = false;
  private printed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: Out,
    private readonly options: RunOptions,
  ) {}

  private get asTable(): boolean {
    return this.options.format === 'table' && !this.options.changelog;
  }

  start(columns: readonly ResultColumn[]): void {
    this.columns = columns;
    if (this.options.format === 'csv') this.out.write(formatCsv([{ name: 'op', type: 'VARCHAR' }, ...columns], []) + '\n');
    const early = this.early;
    this.early = [];
    this.take(early);
    if (this.asTable) {
      this.timer = setInterval(() => this.refresh(), TABLE_REFRESH_MS);
      this.refresh();
    }
  }

  take(changes: readonly Change[]): void {
    const columns = this.columns;
    if (columns === null) {
      this.early.push(...changes);
      return;
    }
    if (changes.length === 0) return;
    if (this.asTable) {
      for (const c of changes) {
        const values = columns.map((col) => c.row[col.name]);
        const key = JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
        const had = this.rows.get(key);
        const add = c.op === '+I' || c.op === '+U' ? 1 : -1;
        const count = (had?.count ?? 0) + add;
        if (count === 0) this.rows.delete(key);
        else if (had) had.count = count;
        else this.rows.set(key, { values, count });
      }
      this.dirty = true;
      return;
    }
    const withOp = [{ name: 'op', type: 'VARCHAR' }, ...columns];
    const rows = changes.map((c) => [c.op, ...columns.map((col) => c.row[col.name])]);
    if (this.options.format === 'jsonl') this.out.write(formatJsonl(withOp, rows) + '\n');
    else if (this.options.format === 'csv') this.out.write(formatCsv(withOp, rows).split('\n').slice(1).join('\n') + '\n');
    else this.out.write(formatTable(withOp, rows, { maxRows: Infinity }) + '\n');
  }

  /** Reprints the table when it changed (and once at the start, empty or not). */
  private refresh(): void {
    if (!this.dirty && this.printed) return;
    this.dirty = false;
    this.printed = true;
    const rows: unknown[][] = [];
    for (const { values, count } of this.rows.values()) for (let i = 0; i < count; i++) rows.push(values);
    this.out.write(formatTable(this.columns!, rows, { maxRows: Infinity }) + '\n');
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.asTable && this.columns !== null) this.refresh();
  }
}

/** Runs the files as a job that keeps running until SIGINT/SIGTERM (see the module comment). */
export async function runFollowJob(files: readonly string[], options: RunOptions): Promise<RunReport> {
  const checked = await checkFiles(files, options.db);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  const state: { stopping: boolean; failure: SluiceError | null } = { stopping: false, failure: null };
  const onSignal = () => {
    state.stopping = true;
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const since = new Date();
  let engine: Engine;
  try {
    engine = await Engine.open({
      path: options.db,
      onBackgroundError: (e) => {
        state.failure ??= e;
        stop();
      },
    });
  } catch (e) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw e;
  }
  const out: Out = options.output ? createWriteStream(options.output) : process.stdout;
  const live: { query: LiveQuery; printer: ChangePrinter }[] = [];
  const progress = await progressReporter();
  let report: RunReport = { deadLetters: new Map(), lateEvents: new Map() };
  try {
    for (const file of checked) {
      for (const { item } of file.statements) {
        if (state.stopping) break;
        const isQuery = item.kind === 'statement' && (item.statement.kind === 'QueryStatement' || item.statement.kind === 'Subscribe');
        if (isQuery && engine.readsUnbounded(item.text)) {
          const printer = new ChangePrinter(out, options);
          let query: LiveQuery;
          try {
            query = await engine.live(item.text, (changes) => printer.take(changes));
          } catch (e) {
            throw toSluiceError(e).withSql(file.sql);
          }
          printer.start(query.columns);
          live.push({ query, printer });
          continue;
        }
        // Blanking the text before it keeps an error's line and column those of the file.
        const text = file.sql.slice(0, item.start).replace(/[^\r\n]/g, ' ') + item.text;
        let results;
        try {
          results = await engine.execute(text, { baseDir: file.baseDir, changelog: options.changelog, onProgress: (p) => progress.update(p) });
        } catch (e) {
          throw toSluiceError(e).withSql(file.sql);
        } finally {
          progress.stop();
        }
        for (const r of results) {
          const rendered = renderResult(r, options.format, options.changelog);
          if (rendered !== '') out.write(rendered + '\n');
        }
      }
    }
    // Sinks and views over bounded sources see them to their end, as in a batch run.
    if (!state.stopping) await engine.query('SELECT 1');
    if (!state.stopping && state.failure === null) await stopped;
    for (const { query, printer } of live) {
      await query.stop().catch(() => undefined);
      printer.stop();
    }
    report = await setAside(engine, since);
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const { printer } of live) printer.stop();
    // Closing writes the final checkpoint.
    await engine.close();
    if (out !== process.stdout) await new Promise((r) => (out as WriteStream).end(r));
  }
  if (state.failure !== null) throw state.failure;
  return report;
}
