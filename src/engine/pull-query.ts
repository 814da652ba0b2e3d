/**
 * Pull queries: SQL over materialized views and system tables, answered by DuckDB, with
 * read-your-writes (`after`) and AS OF reads, each replayed into a temporary table first
 * (from a view's nearest retained snapshot when one applies).
 */
import { join } from 'node:path';
import { DuckDBTimestampValue } from '../state/duckdb-api.js';
import { quoteIdent } from '../state/database.js';
import { isDialectError, parseStatement } from '../../grammar/index.js';
import type { Statement } from '../../grammar/ast.js';
import { SluiceError, toSluiceError, type TextOrigin } from '../errors.js';
import { bindPullQuery } from '../plan/binder/bind-statement.js';
import type { AsOfRead, PullQuery } from '../plan/bound-statement.js';
import { walkPlan, type ReplayLimit } from '../plan/logical-plan.js';
import { toApiResult } from './api-results.js';
import type { ExecuteOptions, Progress, QueryOptions, ResultColumn, StatementResult } from './api-types.js';
import type { Checkpointer } from './checkpointer.js';
import type { Dataflow } from './dataflow.js';
import type { EngineState } from './engine-state.js';
import type { SourcePump } from './pump.js';
import type { ReadYourWrites } from './read-your-writes.js';
import { ResultCollector } from './result-collector.js';
import type { Row } from './rows.js';
import { namesIn } from './sql-names.js';
import { compilePointLookup, runPointLookup, type PointLookup } from './point-lookup.js';

/** Point lookups kept by their text (see lookups); past this many the cache starts over. */
const LOOKUP_CACHE = 1024;

type PullResult = { columns: ResultColumn[]; rows: Row[] };

export class PullQueries {
  /** Pull queries that are point lookups, by their text: no parse on the next call. */
  private readonly lookups = new Map<string, PointLookup>();
  /**
   * Pull queries' statements by their text: an application asks the same query again and
   * again, and its parse (0.7 ms) was a tenth of a small pull query. AST nodes are read-only.
   */
  private readonly parsed = new Map<string, Statement>();
  /** Pull queries answered as point lookups so far (Engine.metrics). */
  pointLookups = 0;

  constructor(
    private readonly s: EngineState,
    private readonly dataflow: Dataflow,
    private readonly pump: SourcePump,
    private readonly checkpointer: Checkpointer,
    private readonly progress: ReadYourWrites,
  ) {}

  /** A pull query with `?` parameters, after waiting for `after` offsets (see Engine.query). */
  query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<Row[]> {
    if (options !== null && typeof options === 'object' && options.after !== undefined) {
      let wait: Promise<void>;
      try {
        wait = this.progress.wait(typeof sql === 'string' ? sql : '', options);
      } catch (e) {
        return Promise.reject(toSluiceError(e));
      }
      return wait.then(() => this.runQuery(sql, params));
    }
    return this.runQuery(sql, params);
  }

  private runQuery(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.s.queue.run(async () => {
      if (typeof sql !== 'string') throw new SluiceError('ARGUMENT', 'query takes SQL text');
      if (!Array.isArray(params)) throw new SluiceError('ARGUMENT', 'query parameters must be an array');
      await this.pump.drain();
      const known = this.lookups.get(sql);
      const fast = known === undefined ? null : runPointLookup(known, this.s, params);
      if (fast !== null) {
        this.pointLookups++;
        return fast;
      }
      let statement: Statement | undefined;
      let parseError: SluiceError | undefined;
      try {
        statement = this.parsed.get(sql);
        if (statement === undefined) {
          statement = parseStatement(sql);
          if (this.parsed.size >= LOOKUP_CACHE) this.parsed.clear();
          this.parsed.set(sql, statement);
        }
      } catch (e) {
        // Not sluice SQL: DuckDB's own syntax goes to DuckDB as written.
        if (isDialectError(e)) throw e;
        parseError = toSluiceError(e).withSql(sql);
      }
      try {
        const lookup = statement === undefined ? null : compilePointLookup(statement, this.s);
        if (lookup !== null) {
          if (this.lookups.size >= LOOKUP_CACHE) this.lookups.clear();
          this.lookups.set(sql, lookup);
          const rows = runPointLookup(lookup, this.s, params);
          if (rows !== null) {
            this.pointLookups++;
            return rows;
          }
        }
        const pull = statement?.kind === 'QueryStatement' ? bindPullQuery(statement, sql, this.s.catalog) : null;
        const r = pull ? await this.run(pull, params) : await this.pullQuery(sql, params);
        return r.rows;
      } catch (e) {
        const err = toSluiceError(e).withSql(sql);
        throw parseError ? furtherParseError(err, parseError) : err;
      }
    });
  }

  /**
   * A statement sluice's parser does not know, tried as a DuckDB pull query: DuckDB's error
   * when it parses the statement (a misspelled column inside QUALIFY is named as such), else
   * the parse error that got further (see furtherParseError).
   */
  async duckdbStatement(text: string, origin: TextOrigin, parseError: SluiceError, options: ExecuteOptions): Promise<StatementResult> {
    if (isDialectError(parseError)) throw parseError;
    await this.pump.drain(options.onProgress);
    try {
      return { statement: 'SELECT', ...(await this.pullQuery(text, [], origin)) };
    } catch (e) {
      const duck = toSluiceError(e);
      // DuckDB knows no source or plain view: its "table does not exist" would mislead.
      const missing = /Table with name "?([^\s"]+)"? does not exist/.exec(duck.message)?.[1];
      const entry = missing === undefined ? undefined : (this.s.catalog.source(missing) ?? this.s.catalog.view(missing));
      if (entry !== undefined && !('materialized' in entry && entry.materialized)) {
        const what = 'materialized' in entry ? 'a view that is not materialized' : 'a source';
        parseError.message = `${parseError.message} (${missing} is ${what}: a statement sluice does not parse is tried in DuckDB, which reads only materialized views and system tables)`;
        throw parseError;
      }
      throw furtherParseError(duck, parseError);
    }
  }

  /**
   * A bound pull query: each AS OF read is replayed into a temporary table first, so the rest
   * of the query (joins with live views or other points, ORDER BY, aggregates) is DuckDB's.
   */
  async run(q: PullQuery, params: readonly unknown[], onProgress?: (p: Progress) => void): Promise<PullResult> {
    await this.pump.drain(onProgress);
    try {
      for (const read of q.asOf) {
        const collector = new ResultCollector(read.plan.schema, false);
        if (!(await this.replayFromHistory(read, collector))) {
          const pipeline = this.s.newPipeline(read.plan, collector, 'query');
          try {
            await this.dataflow.replay(pipeline);
          } finally {
            this.dataflow.detach(pipeline);
          }
        }
        await this.s.db.createTempTable(read.table, read.plan.schema, collector.result());
      }
      return await this.pullQuery(q.sql, params, q.origin);
    } finally {
      for (const read of q.asOf) await this.s.db.dropTempTable(read.table);
    }
  }

  /**
   * How far the views named in `views` (null: whatever reads it) have read `source`: its
   * connector position's stream sequence (0 before the first message), or null when none of
   * them reads it. A scale-out group's query compares it with the offsets it waits for.
   */
  consumedSeq(views: ReadonlySet<string> | null, source: string): number | null {
    const rt = this.s.sources.get(source) ?? this.s.sources.get(source.toLowerCase());
    if (rt === undefined) return null;
    if (views !== null && ![...this.s.views.values()].some((v) => views.has(v.def.name.toLowerCase()) && v.readsSource(rt.name))) return null;
    const seq = (rt.position().position as { seq?: unknown } | null | undefined)?.seq;
    return typeof seq === 'number' ? seq : 0;
  }

  /**
   * Writes the current contents of each materialized view named in `views` to
   * `<dir>/<view>.parquet`, brought up to date as for a pull query; returns the views found.
   * With `scratchFile` (a file recovery never reopens: a group task's, restored from its
   * snapshot instead) only the views' own changes are written, with no checkpoint. `where`
   * gives a view's condition on its columns (DuckDB SQL with `?` parameters): only the rows
   * meeting it are written.
   */
  exportViews(views: readonly string[], dir: string, scratchFile = false, where?: ExportFilter): Promise<string[]> {
    return this.s.queue.run(async () => {
      const wanted = new Set(views.map((n) => n.toLowerCase()));
      const runtimes = [...this.s.views.values()].filter((v) => wanted.has(v.def.name.toLowerCase()));
      const found = runtimes.map((v) => v.def.name);
      await this.pump.drain();
      // A file that is never reopened after a crash may hold changes no checkpoint covers yet.
      if (scratchFile) for (const v of runtimes) await v.table.flushTable();
      else await this.prepareRead(found.join(' '));
      for (const v of runtimes) {
        const name = v.def.name;
        const file = join(dir, `${name.toLowerCase()}.parquet`).replace(/'/g, "''");
        const cond = where?.(name.toLowerCase(), v.def.schema.map((c) => c.name)) ?? null;
        const rows = cond === null ? '' : ` WHERE ${cond.where}`;
        await this.s.db.run(`COPY (SELECT * FROM ${quoteIdent(name)}${rows}) TO '${file}' (FORMAT parquet)`, cond?.params.map(toDuckParamLoose) as never);
      }
      return found.map((n) => n.toLowerCase());
    });
  }

  /**
   * Brings what `sql` can read up to date. In a file, view tables change only inside
   * checkpoints, so what a pull query reads is durable (and a crash cannot apply a change
   * twice). In memory nothing is recovered: only the tables of the views the text names are
   * written, and only their changes; the engine's own tables (audit trails, late events, …)
   * are written when the text names one of them, or when the audit backlog grows large.
   */
  private async prepareRead(sql: string): Promise<void> {
    if (this.s.path !== null) return this.checkpointer.checkpointNow();
    const names = namesIn(sql);
    let backlog = 0;
    for (const v of this.s.views.values()) backlog += v.table.auditBacklog;
    if (backlog > 100_000 || [...names].some((n) => n.startsWith('sluice_') || n === 'changes')) return this.checkpointer.checkpointNow();
    for (const v of this.s.views.values()) if (names.has(v.def.name.toLowerCase())) await v.table.flushTable();
  }

  /** Runs DuckDB SQL over the view tables; errors point into `origin` (the text itself by default). */
  private async pullQuery(sql: string, params: readonly unknown[], origin?: TextOrigin): Promise<PullResult> {
    await this.prepareRead(sql);
    const r = await this.s.db.queryReadOnly(sql, params.map(toDuckParamLoose) as never, origin);
    return toApiResult(r);
  }

  /**
   * An AS OF read of a materialized view: refused before its retain_history, else answered
   * from its nearest retained snapshot when one applies (false: replay from the start).
   */
  private async replayFromHistory(read: AsOfRead, out: ResultCollector): Promise<boolean> {
    const rt = read.view === undefined ? undefined : this.s.views.get(read.view);
    let limit: ReplayLimit | undefined;
    walkPlan(read.plan, (n) => (limit ??= n.kind === 'Scan' ? n.until : undefined));
    if (!rt || !limit) return false;
    await this.s.history.checkRetained(rt, limit);
    if (this.s.path === null || rt.def.schema.length !== read.plan.schema.length) return false;
    return this.s.history.replay(rt, limit, out);
  }
}

/** An API parameter as a DuckDB value (Dates become timestamps). */
/** A view's rows to export, by its name (lower case) and columns: a condition with `?` parameters, or null for all. */
export type ExportFilter = (view: string, columns: readonly string[]) => { readonly where: string; readonly params: readonly unknown[] } | null;

export function toDuckParamLoose(v: unknown): unknown {
  if (v instanceof Date) return new DuckDBTimestampValue(BigInt(v.getTime()) * 1000n);
  if (v === undefined) return null;
  return v;
}

/**
 * Of DuckDB's error on a statement sluice could not parse and sluice's parse error, the one
 * to report: DuckDB's when it parsed the statement (then the statement is DuckDB SQL and its
 * error names the real fault), else the parse error that got further into the text, since
 * each parser understood everything before the point where it stopped.
 */
function furtherParseError(duck: SluiceError, own: SluiceError): SluiceError {
  if (duck.code !== 'PARSE') return duck;
  if (duck.line === undefined || duck.column === undefined || own.line === undefined || own.column === undefined) return own;
  const further = duck.line > own.line || (duck.line === own.line && duck.column > own.column);
  return further ? duck : own;
}
