/**
 * Running statements: a script is split into statements, each bound against the catalog and
 * handed to what runs it (catalog changes, inserts, streaming and pull queries, SHOW and
 * DESCRIBE, EXPLAIN, CHECKPOINT, SET); statements sluice does not parse go to DuckDB.
 */
import { parseStatement } from '../../grammar/index.js';
import type { CreateView, Statement } from '../../grammar/ast.js';
import type { ViewDef } from '../catalog/definitions.js';
import { SluiceError, toSluiceError } from '../errors.js';
import { bindStatement } from '../plan/binder/bind-statement.js';
import type { BoundStatement, PullQuery } from '../plan/bound-statement.js';
import { explainPlan } from '../plan/explain.js';
import { walkPlan, type LogicalPlan } from '../plan/logical-plan.js';
import { batchChanges, columnsOfSchema } from './api-results.js';
import type { ExecuteOptions, StatementResult } from './api-types.js';
import { describe, describeSystemTable, show } from './catalog-listing.js';
import type { CatalogStatements } from './catalog-statements.js';
import type { Checkpointer } from './checkpointer.js';
import type { Dataflow } from './dataflow.js';
import type { EngineState } from './engine-state.js';
import type { Inserter } from './inserter.js';
import type { PullQueries } from './pull-query.js';
import type { SourcePump } from './pump.js';
import { ResultCollector } from './result-collector.js';
import { toApiRow } from './rows.js';
import { splitScript } from './script.js';

const STATEMENT_NAMES: Record<Statement['kind'], string> = {
  CreateSource: 'CREATE SOURCE',
  CreateView: 'CREATE VIEW',
  CreateSink: 'CREATE SINK',
  Insert: 'INSERT',
  QueryStatement: 'SELECT',
  Subscribe: 'SUBSCRIBE',
  Drop: 'DROP',
  AlterSource: 'ALTER SOURCE',
  Show: 'SHOW',
  Describe: 'DESCRIBE',
  Explain: 'EXPLAIN',
  Checkpoint: 'CHECKPOINT',
  Set: 'SET',
  Rebuild: 'REBUILD',
  Update: 'UPDATE',
  Delete: 'DELETE',
};

/** The parts of the engine statements are handed to. */
export interface StatementRunners {
  readonly dataflow: Dataflow;
  readonly checkpointer: Checkpointer;
  readonly pump: SourcePump;
  readonly inserter: Inserter;
  readonly pull: PullQueries;
  readonly ddl: CatalogStatements;
}

type Outcome = Omit<StatementResult, 'statement'>;

export class StatementExecutor {
  constructor(
    private readonly s: EngineState,
    private readonly r: StatementRunners,
  ) {}

  /** Runs a script's statements in order (inside the engine's queue); errors carry the line and column. */
  async execute(sql: string, options: ExecuteOptions): Promise<StatementResult[]> {
    if (typeof sql !== 'string') throw new SluiceError('ARGUMENT', 'execute takes SQL text');
    const results: StatementResult[] = [];
    for (const item of splitScript(sql)) {
      try {
        if (item.kind === 'statement') results.push(await this.run(item.statement, item.text, sql, options));
        else {
          const at = item.start;
          results.push(await this.r.pull.duckdbStatement(item.text, { sql, offsetOf: (pos) => at + pos }, item.parseError, options));
        }
      } catch (e) {
        throw toSluiceError(e).withSql(sql);
      }
    }
    return results;
  }

  private async run(s: Statement, text: string, sql: string, options: ExecuteOptions): Promise<StatementResult> {
    const { r } = this;
    const name = STATEMENT_NAMES[s.kind];
    if (options.explain) {
      if (s.kind === 'Insert') return { statement: name, message: 'skipped' };
      if (s.kind === 'QueryStatement') s = { kind: 'Explain', statement: s, span: s.span };
      else if (s.kind === 'CreateView') {
        const plan = await this.run({ kind: 'Explain', statement: s, span: s.span }, text, sql, {});
        await this.run(s, text, sql, {});
        return { ...plan, statement: s.materialized ? 'CREATE MATERIALIZED VIEW' : 'CREATE VIEW' };
      }
    }
    const bound: BoundStatement = bindStatement({ statement: s, text, sql, baseDir: options.baseDir ?? process.cwd() }, this.s.catalog);
    switch (bound.kind) {
      case 'CreateSource':
        return { statement: name, message: await r.ddl.createSource(bound.def, bound.mode, bound.span) };
      case 'CreateView': {
        // Keep the query with spans of its own text, so it can be re-bound from the catalog.
        const local = parseStatement(text) as CreateView;
        const def: ViewDef = { ...bound.def, query: local.query };
        return { statement: def.materialized ? 'CREATE MATERIALIZED VIEW' : 'CREATE VIEW', message: await r.ddl.createView(def, bound.plan, bound.mode, bound.span) };
      }
      case 'CreateSink':
        return { statement: name, message: await r.ddl.createSink(bound.def, bound.mode, bound.span) };
      case 'Insert':
        return { statement: name, message: await r.inserter.insertStatement(bound) };
      case 'StreamQuery':
        return { statement: name, ...(await this.streamQuery(bound.plan, options)) };
      case 'PullQuery':
        return { statement: name, ...(await r.pull.run(bound, [], options.onProgress)) };
      case 'Subscribe': {
        await r.pump.drain(options.onProgress);
        const rt = this.s.viewRuntime(bound.view);
        const snap = await rt.snapshot();
        return { statement: name, columns: columnsOfSchema(rt.def.schema), changes: batchChanges(snap, rt.def.schema) };
      }
      case 'Drop':
        return { statement: name, message: await r.ddl.drop(bound.name) };
      case 'AlterSource':
        if (bound.change) return { statement: name, message: await r.ddl.alterColumn(bound.def, bound.change, bound.replan ?? []) };
        return { statement: name, message: await r.ddl.addColumn(bound.def, bound.column) };
      case 'Show':
        return { statement: name, ...show(this.s.catalog, this.s.settings, bound.what, bound.setting, bound.span) };
      case 'Describe':
        return { statement: name, ...(this.s.catalog.get(bound.name) ? describe(this.s.catalog, bound.name) : await describeSystemTable(this.s.db, bound.name)) };
      case 'Explain':
        return { statement: name, ...(bound.plan ? explainRows(explainPlan(bound.plan).split('\n')) : await this.explainPull(bound.pull!)) };
      case 'Checkpoint':
        await r.checkpointer.checkpointNow();
        return { statement: name, message: 'checkpoint written' };
      case 'Set':
        this.s.settings.set(bound.name, bound.value, bound.span);
        await this.s.catalogStore.putSetting(bound.name, this.s.settings.text(bound.name));
        return { statement: name, message: `${bound.name} = ${this.s.settings.text(bound.name)}` };
      case 'Rebuild':
        return { statement: name, message: await r.ddl.rebuild(bound.view) };
    }
  }

  /** EXPLAIN of a pull query: DuckDB's plan, then each AS OF read's. */
  private async explainPull(pull: PullQuery): Promise<Outcome> {
    // DuckDB plans over the AS OF reads' tables, empty here: nothing is replayed to explain.
    const tables = pull.asOf.map((read) => ({ name: read.table, schema: read.plan.schema }));
    const text = await this.s.db.explainReadOnly(pull.sql, pull.origin, tables);
    const reads = pull.asOf.flatMap((read) => [`AS OF read ${read.table}:`, ...explainPlan(read.plan).split('\n').map((l) => `  ${l}`)]);
    return explainRows([`PullQuery (DuckDB):`, ...text, ...reads]);
  }

  /** A streaming SELECT run to the end of its bounded inputs: its result (and changes, with `changelog`). */
  private async streamQuery(plan: LogicalPlan, options: ExecuteOptions): Promise<Outcome> {
    const { dataflow, pump } = this.r;
    const collector = new ResultCollector(plan.schema, options.changelog === true);
    const pipeline = this.s.newPipeline(plan, collector, 'query');
    let asOf = false;
    walkPlan(plan, (n) => (asOf ||= n.kind === 'Scan' && n.until !== undefined));
    try {
      if (asOf) {
        // An AS OF read a pull query cannot take (inside a window, beside a live source) runs once here.
        await pump.drain(options.onProgress);
        await dataflow.replay(pipeline);
      } else {
        await dataflow.attach(pipeline);
        await pump.drain(options.onProgress);
      }
    } finally {
      dataflow.detach(pipeline);
    }
    const orderBy = plan.kind === 'TopN' ? plan.orderBy : undefined;
    const rows = collector.result(orderBy).map((row) => toApiRow(row, plan.schema));
    const result: Outcome = { columns: columnsOfSchema(plan.schema), rows };
    if (options.changelog) {
      return { ...result, changes: collector.changes.map((c) => ({ op: c.op, row: toApiRow(c.values, plan.schema) })) };
    }
    return result;
  }
}

function explainRows(lines: readonly string[]): Outcome {
  return { columns: [{ name: 'plan', type: 'VARCHAR' }], rows: lines.map((l) => ({ plan: l })) };
}
