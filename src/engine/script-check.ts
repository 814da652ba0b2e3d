/**
 * Checking a whole script before any of it runs (`sluice run`, `sluice explain`): every
 * statement is parsed, then bound in order against a scratch catalog that has taken the
 * effects of the DDL before it (CREATE, DROP, ALTER), as the engine would take them, but
 * without opening a connector, creating a table the engine owns or writing any file. A
 * script that passes can still fail while it runs (a missing file, a full disk), not for a
 * mistake in its text.
 *
 * Pull queries are answered by DuckDB, so they are checked by DuckDB: EXPLAIN over an
 * in-memory database holding empty tables of the materialized views that exist at that
 * point, and the system tables.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance } from '../state/duckdb-api.js';
import { isDialectError, parseStatement } from '../../grammar/index.js';
import type { CreateView, Statement } from '../../grammar/ast.js';
import { Catalog } from '../catalog/catalog.js';
import { sourceSchema, type SourceDef, type ViewDef } from '../catalog/definitions.js';
import { Settings } from '../catalog/settings.js';
import { validateSourceOptions } from '../connectors/source-reader.js';
import { SluiceError, toSluiceError, type Span } from '../errors.js';
import { bindStatement } from '../plan/binder/bind-statement.js';
import type { AsOfRead, BoundStatement, PullQuery } from '../plan/bound-statement.js';
import { duckTypeName } from '../state/chunk-writer.js';
import { Database, quoteIdent } from '../state/database.js';
import { probeDatabaseFile } from '../state/metadata.js';
import { createScratchSystemTables } from '../state/system-tables.js';
import { ViewTable } from '../state/view-table.js';
import { splitScript, type ScriptItem } from './script.js';

/** One statement of a checked script. */
export interface CheckedStatement {
  /** 1-based position in its script. */
  readonly ordinal: number;
  readonly line: number;
  /** What the statement is, for labels: `CREATE MATERIALIZED VIEW v`, `SELECT`. */
  readonly label: string;
  readonly item: ScriptItem;
  /** Null for a query only DuckDB parses (its own SQL dialect). */
  readonly bound: BoundStatement | null;
}

export interface CheckOptions {
  /** Folder that relative paths in WITH options resolve against. */
  readonly baseDir: string;
  /** Also check the WITH options of CREATE SOURCE against the connector (nothing is opened). */
  readonly connectorOptions?: boolean;
  /** Called with each statement once it is bound and its effects have reached the catalog. */
  readonly onStatement?: (s: CheckedStatement) => Promise<void> | void;
}

export class ScriptChecker {
  private readonly settings = new Settings();
  private duck: Database | null = null;
  /** The materialized views whose tables the scratch DuckDB holds, by name. */
  private readonly tables = new Map<string, ViewDef>();

  private constructor(private readonly catalog: Catalog) {}

  /**
   * A checker whose catalog starts as the one stored in `path` (read without writing: a file
   * that does not exist stays so), or empty.
   */
  static async open(path?: string): Promise<ScriptChecker> {
    return new ScriptChecker(path === undefined ? new Catalog() : await loadStoredCatalog(resolve(path)));
  }

  /**
   * Checks a script: returns its statements, or throws the first error (with the script's
   * text, for the caret). Later calls see the effects of earlier scripts.
   */
  async check(sql: string, options: CheckOptions): Promise<CheckedStatement[]> {
    const out: CheckedStatement[] = [];
    for (const [i, item] of splitScript(sql).entries()) {
      try {
        const s = await this.checkItem(item, i + 1, sql, options);
        if (s.bound !== null) this.apply(s.bound, item, options);
        await options.onStatement?.(s);
        out.push(s);
      } catch (e) {
        throw toSluiceError(e).withSql(sql);
      }
    }
    return out;
  }

  close(): void {
    this.duck?.close();
    this.duck = null;
  }

  private async checkItem(item: ScriptItem, ordinal: number, sql: string, options: CheckOptions): Promise<CheckedStatement> {
    const line = item.kind === 'statement' ? item.statement.span.line : sql.slice(0, item.start).split(/\r\n|\r|\n/).length;
    if (item.kind === 'duckdb') {
      if (isDialectError(item.parseError) || !(await this.duckdbParses(item.text))) throw item.parseError;
      return { ordinal, line, label: 'SELECT (DuckDB SQL)', item, bound: null };
    }
    const s = item.statement;
    const bound = bindStatement({ statement: s, text: item.text, sql, baseDir: options.baseDir }, this.catalog);
    const pull = bound.kind === 'PullQuery' ? bound : bound.kind === 'Explain' ? bound.pull : undefined;
    if (pull !== undefined) await this.checkPull(pull, s.span);
    return { ordinal, line, label: statementLabel(s), item, bound };
  }

  /** What the engine would do to its catalog, done to the scratch one (with its checks). */
  private apply(b: BoundStatement, item: ScriptItem, options: CheckOptions): void {
    const c = this.catalog;
    switch (b.kind) {
      case 'CreateSource': {
        const action = c.checkCreate(b.def, b.mode, b.span);
        if (action === 'skip') return;
        if (options.connectorOptions && b.def.connector !== 'none') {
          try {
            validateSourceOptions(b.def.connector, b.def.options, sourceSchema(b.def));
          } catch (e) {
            throw withSpan(toSluiceError(e), b.span);
          }
        }
        if (action === 'replace') this.checkNoDependents('source', b.def.name, b.span);
        c.put(b.def);
        return;
      }
      case 'CreateView': {
        const action = c.checkCreate(b.def, b.mode, b.span);
        if (action === 'skip') return;
        if (action === 'replace') this.checkNoDependents('view', b.def.name, b.span);
        // As the engine keeps it: the query with spans of its own text, to be re-bound by name.
        const local = parseStatement(item.text) as CreateView;
        c.put({ ...b.def, query: local.query });
        return;
      }
      case 'CreateSink':
        if (c.checkCreate(b.def, b.mode, b.span) !== 'skip') c.put(b.def);
        return;
      case 'Drop':
        if (c.get(b.name)) c.drop(b.name, b.span);
        return;
      case 'AlterSource':
        c.put(b.def);
        return;
      case 'Set':
        this.settings.set(b.name, b.value, b.span);
        return;
      case 'Show':
        if (b.what === 'SETTING') this.settings.text(b.setting!, b.span);
        return;
      case 'Rebuild': {
        const deps = c.dependents(b.view);
        if (deps.length > 0) throw new SluiceError('CATALOG', `cannot rebuild '${b.view}' while ${deps.join(', ')} read it`, { span: spanOf(item) });
        return;
      }
      case 'Insert':
      case 'StreamQuery':
      case 'PullQuery':
      case 'Subscribe':
      case 'Describe':
      case 'Explain':
      case 'Checkpoint':
        return;
    }
  }

  private checkNoDependents(kind: string, name: string, span: Span): void {
    const deps = this.catalog.dependents(name);
    if (deps.length > 0) {
      throw new SluiceError('CATALOG', `cannot replace ${kind} '${name}': ${deps.map((d) => `'${d}'`).join(', ')} depend on it`, { span });
    }
  }

  /**
   * Runs a pull query over the scratch tables, all empty, so DuckDB's verdict on it (a
   * misspelled column, a write) comes now, as the error the run would give.
   */
  private async checkPull(q: PullQuery, span: Span): Promise<void> {
    const db = await this.scratchDatabase();
    try {
      await withAsOfTables(db, q.asOf, () => db.queryReadOnly(q.sql, [], q.origin));
    } catch (e) {
      throw withSpan(toSluiceError(e), span);
    }
  }

  /**
   * Whether DuckDB can parse a query sluice's parser cannot (parsing only: nothing is bound,
   * so no file a DuckDB function names is read). Statements DuckDB will not serialize
   * (DESCRIBE, PIVOT, …) pass: only its parser's verdict counts.
   */
  private async duckdbParses(text: string): Promise<boolean> {
    const db = await this.scratchDatabase();
    let verdict: { error?: boolean; error_type?: string };
    try {
      const r = await db.query(`SELECT json_serialize_sql(?::VARCHAR)`, [text]);
      verdict = JSON.parse(String(r.rows[0]?.[0] ?? '{}')) as typeof verdict;
    } catch {
      return true;
    }
    return !(verdict.error === true && verdict.error_type === 'parser');
  }

  /** The scratch DuckDB, with a table for each materialized view of the catalog as it is now. */
  private async scratchDatabase(): Promise<Database> {
    if (this.duck === null) this.duck = await Database.open();
    const db = this.duck;
    // Pull queries read any of the engine's own tables, the logs of the sources declared so far too.
    await createScratchSystemTables(db, this.catalog.sources());
    const views = new Map(this.catalog.views().filter((v) => v.materialized).map((v) => [v.name, v]));
    for (const [name, def] of this.tables) {
      if (views.get(name) === def) continue;
      await db.run(`DROP TABLE IF EXISTS ${quoteIdent(name)}`);
      this.tables.delete(name);
    }
    for (const [name, def] of views) {
      if (this.tables.has(name)) continue;
      await new ViewTable(db, name, def.schema, def.appendOnly, def.uniqueKey).create();
      this.tables.set(name, def);
    }
    return db;
  }
}

/** Runs `f` with an empty temporary table for each AS OF read, as the engine fills them. */
async function withAsOfTables<T>(db: Database, reads: readonly AsOfRead[], f: () => Promise<T>): Promise<T> {
  try {
    for (const read of reads) {
      // DuckDB's own naming of a repeated column (k, k_1), as the engine names them.
      const seen = new Map<string, number>();
      const ddl = read.plan.schema.map((c) => {
        const n = seen.get(c.name) ?? 0;
        seen.set(c.name, n + 1);
        return `${quoteIdent(n === 0 ? c.name : `${c.name}_${n}`)} ${duckTypeName(c.type)}`;
      });
      await db.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(read.table)} (${ddl.join(', ')})`);
    }
    return await f();
  } finally {
    for (const read of reads) await db.run(`DROP TABLE IF EXISTS temp.${quoteIdent(read.table)}`).catch(() => undefined);
  }
}

function spanOf(item: ScriptItem): Span | undefined {
  return item.kind === 'statement' ? item.statement.span : undefined;
}

/** The error with the statement's position when it has none of its own. */
function withSpan(e: SluiceError, span: Span): SluiceError {
  return e.line !== undefined ? e : new SluiceError(e.code, e.message, { span, sql: e.sql });
}

const KIND_WORDS: Record<string, string> = { SOURCE: 'SOURCE', VIEW: 'VIEW', MATERIALIZED_VIEW: 'MATERIALIZED VIEW', SINK: 'SINK' };

/** A statement in a few words: its kind and the name it is about. */
export function statementLabel(s: Statement): string {
  switch (s.kind) {
    case 'CreateSource':
      return `CREATE SOURCE ${s.name.name}`;
    case 'CreateView':
      return `CREATE ${s.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${s.name.name}`;
    case 'CreateSink':
      return `CREATE SINK ${s.name.name}`;
    case 'Insert':
      return `INSERT INTO ${s.table.name}`;
    case 'QueryStatement':
      return 'SELECT';
    case 'Subscribe':
      return `SUBSCRIBE ${s.name.name}`;
    case 'Drop':
      return `DROP ${KIND_WORDS[s.objectKind] ?? s.objectKind} ${s.name.name}`;
    case 'AlterSource':
      return `ALTER SOURCE ${s.name.name}`;
    case 'Show':
      return `SHOW ${s.what === 'SETTING' ? (s.setting?.name ?? '') : s.what.replace('_', ' ')}`;
    case 'Describe':
      return `DESCRIBE ${s.name.name}`;
    case 'Explain':
      return `EXPLAIN ${statementLabel(s.statement)}`;
    case 'Checkpoint':
      return 'CHECKPOINT';
    case 'Set':
      return `SET ${s.name.name}`;
    case 'Rebuild':
      return `REBUILD ${s.name.name}`;
    case 'Update':
      return `UPDATE ${s.table.name}`;
    case 'Delete':
      return `DELETE FROM ${s.table.name}`;
  }
}

/**
 * The catalog stored in a sluice database, read without changing the file (read-only, and
 * not created when missing); the entries replay as the engine's recovery replays them.
 */
async function loadStoredCatalog(path: string): Promise<Catalog> {
  const catalog = new Catalog();
  await probeDatabaseFile(path);
  if (!existsSync(path) || statSync(path).size === 0) return catalog;
  let rows: unknown[][];
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', threads: '1' });
  try {
    const con = await instance.connect();
    try {
      const tables = (await con.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_name = 'sluice_catalog'`)).getRows();
      if (tables.length === 0) return catalog;
      // The layout of CatalogStore (src/state/catalog-store.ts).
      rows = (await con.runAndReadAll(`SELECT name, kind, sql, base_dir, definition FROM sluice_catalog ORDER BY position`)).getRows();
    } finally {
      con.closeSync();
    }
  } catch (e) {
    if (e instanceof SluiceError) throw e;
    throw new SluiceError('STATE', `cannot read the catalog of '${path}': ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  } finally {
    instance.closeSync();
  }
  for (const [, kind, sql, baseDir, definition] of rows) {
    if (kind === 'source') {
      catalog.put(JSON.parse(String(definition)) as SourceDef);
      continue;
    }
    const statement = parseStatement(String(sql));
    const bound = bindStatement({ statement, text: String(sql), sql: String(sql), baseDir: String(baseDir) }, catalog);
    if (bound.kind === 'CreateView') catalog.put({ ...bound.def, query: (statement as CreateView).query });
    else if (bound.kind === 'CreateSink') catalog.put(bound.def);
  }
  return catalog;
}
