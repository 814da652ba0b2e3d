/**
 * The statements that change the catalog: CREATE SOURCE/VIEW/SINK, DROP, ALTER SOURCE and
 * REBUILD. Each starts or stops what runs for the entry and makes the change durable with a
 * checkpoint (or one transaction) that holds it.
 */
import { parseStatement } from '../../grammar/index.js';
import { Catalog, describeKind } from '../catalog/catalog.js';
import { sourceSchema, type SinkDef, type SourceColumn, type SourceDef, type ViewDef } from '../catalog/definitions.js';
import { validateSourceOptions } from '../connectors/source-reader.js';
import { SluiceError, toSluiceError, type Span } from '../errors.js';
import { bindStatement } from '../plan/binder/bind-statement.js';
import type { SchemaChange } from '../plan/bound-statement.js';
import type { LogicalPlan } from '../plan/logical-plan.js';
import type { EventLog } from '../state/event-log.js';
import type { Checkpointer } from './checkpointer.js';
import type { Dataflow } from './dataflow.js';
import type { EngineState } from './engine-state.js';
import type { SourcePump } from './pump.js';
import { SourceRuntime } from './source-runtime.js';

/** OR REPLACE / IF NOT EXISTS of a CREATE. */
type CreateMode = { orReplace: boolean; ifNotExists: boolean };

export class CatalogStatements {
  constructor(
    private readonly s: EngineState,
    private readonly dataflow: Dataflow,
    private readonly checkpointer: Checkpointer,
    private readonly pump: SourcePump,
  ) {}

  async createSource(def: SourceDef, mode: CreateMode, span: Span): Promise<string> {
    const { s } = this;
    const action = s.catalog.checkCreate(def, mode, span);
    if (action === 'skip') return `source ${def.name} already exists`;
    if (def.connector !== 'none') {
      try {
        validateSourceOptions(def.connector, def.options, sourceSchema(def));
      } catch (e) {
        throw toSluiceError(e);
      }
    }
    if (action === 'replace') {
      this.refuseReplaceWithDependents('source', def.name, span);
      await this.dataflow.dropSource(def.name);
    }
    const rt = new SourceRuntime(def, s.db, s.system);
    await rt.check();
    await rt.log?.create(def.columns);
    s.sources.set(def.name, rt);
    s.catalog.put(def);
    await this.checkpointer.checkpointNow(() => s.catalogStore.put(def));
    return `${action === 'replace' ? 'replaced' : 'created'} source ${def.name}`;
  }

  async createView(def: ViewDef, plan: LogicalPlan, mode: CreateMode, span: Span): Promise<string> {
    const { s } = this;
    const action = s.catalog.checkCreate(def, mode, span);
    const kind = def.materialized ? 'materialized view' : 'view';
    if (action === 'skip') return `${kind} ${def.name} already exists`;
    if (action === 'replace') {
      this.refuseReplaceWithDependents('view', def.name, span);
      await this.dataflow.dropView(def.name);
    }
    if (def.materialized) await this.dataflow.startView(def, plan, false);
    s.catalog.put(def);
    // The view exists (durably) only once its state after the replay is checkpointed.
    await this.checkpointer.checkpointNow(() => s.catalogStore.put(def));
    this.pump.startIfWanted();
    return `${action === 'replace' ? 'replaced' : 'created'} ${kind} ${def.name}`;
  }

  async createSink(def: SinkDef, mode: CreateMode, span: Span): Promise<string> {
    const { s } = this;
    const action = s.catalog.checkCreate(def, mode, span);
    if (action === 'skip') return `sink ${def.name} already exists`;
    if (action === 'replace') await this.dataflow.dropSink(def.name);
    await this.dataflow.startSink(def, undefined);
    s.catalog.put(def);
    await this.checkpointer.checkpointNow(() => s.catalogStore.put(def));
    this.pump.startIfWanted();
    return `${action === 'replace' ? 'replaced' : 'created'} sink ${def.name}`;
  }

  private refuseReplaceWithDependents(kind: string, name: string, span: Span): void {
    const deps = this.s.catalog.dependents(name);
    if (deps.length > 0) {
      throw new SluiceError('CATALOG', `cannot replace ${kind} '${name}': ${deps.map((d) => `'${d}'`).join(', ')} depend on it`, { span });
    }
  }

  async drop(name: string): Promise<string> {
    const { s } = this;
    const e = s.catalog.get(name);
    if (!e) return `${name} does not exist`;
    s.catalog.drop(name);
    await s.db.transaction(async () => {
      if (e.kind === 'source') await this.dataflow.dropSource(name);
      else if (e.kind === 'view') await this.dataflow.dropView(name);
      else await this.dataflow.dropSink(name);
      await s.catalogStore.remove(name);
    });
    return `dropped ${describeKind(e)} ${name}`;
  }

  /** ALTER SOURCE … ADD COLUMN: the log and the catalog change in one transaction. */
  async addColumn(def: SourceDef, column: SourceColumn): Promise<string> {
    await this.changeSource(def, (log) => log.addColumn(column));
    return `added column ${column.name} to ${def.name} (schema version ${def.version})`;
  }

  /**
   * RENAME, DROP or widen a column of a source (see bind-alter-column.ts): after a checkpoint,
   * the log and the catalog change in one transaction; each view that reads the source goes on
   * with its operators' state under a plan of the new schema (its contents, columns, audit
   * trail and followers stay as they were).
   */
  async alterColumn(def: SourceDef, change: SchemaChange, replan: readonly string[]): Promise<string> {
    const { s } = this;
    await this.checkpointer.checkpointNow();
    const rt = await this.changeSource(def, (log) => log.changeColumn(change));
    await rt.log?.create(def.columns);
    for (const view of replan) {
      const vrt = s.views.get(view)!;
      const statement = parseStatement(vrt.def.sql);
      const bound = bindStatement({ statement, text: vrt.def.sql, sql: vrt.def.sql, baseDir: vrt.def.baseDir }, this.catalogWithout(view));
      if (bound.kind !== 'CreateView') continue;
      // The plan differs only in its scans (columns, types): the same operators take over the same state.
      const old = vrt.pipeline!;
      const state = old.snapshot();
      this.dataflow.detach(old);
      const fresh = s.newPipeline(bound.plan, vrt, view);
      fresh.restore(state);
      fresh.inputs.forEach((input, i) => {
        const was = old.inputs[i];
        if (input.kind === 'source' && was?.kind === 'source') {
          input.lastOffset = was.lastOffset;
          input.trigger = was.trigger;
          s.sources.get(input.source)!.inputs.add(input);
        } else if (input.kind === 'view') s.views.get(input.view)!.downstream.add(input);
      });
      vrt.pipeline = fresh;
    }
    const what = change.kind === 'rename' ? `renamed column ${change.column} of ${def.name} to ${change.to}` : change.kind === 'drop' ? `dropped column ${change.column} of ${def.name}` : `widened column ${change.column} of ${def.name} to ${change.to}`;
    return `${what} (schema version ${def.version})`;
  }

  /** A source's log and catalog entry changed in one transaction, then its running definition. */
  private async changeSource(def: SourceDef, change: (log: EventLog) => Promise<void>): Promise<SourceRuntime> {
    const { s } = this;
    const rt = s.sources.get(def.name)!;
    await s.db.transaction(async () => {
      if (rt.log) await change(rt.log);
      await s.catalogStore.updateSource(def);
    });
    rt.def = def;
    s.catalog.put(def);
    return rt;
  }

  /** The catalog without one entry (to bind that entry's statement again). */
  private catalogWithout(name: string): Catalog {
    const c = new Catalog();
    for (const e of this.s.catalog.all()) if (e.name !== name) c.put(e);
    return c;
  }

  async rebuild(view: string): Promise<string> {
    const { s } = this;
    const rt = s.views.get(view)!;
    if (rt.downstream.size > 0 || s.catalog.dependents(view).length > 0) {
      throw new SluiceError('CATALOG', `cannot rebuild '${view}' while ${s.catalog.dependents(view).join(', ')} read it`);
    }
    const plan = rt.pipeline!.plan;
    const listeners = [...rt.listeners];
    await this.dataflow.dropView(view);
    await this.dataflow.startView(rt.def, plan, false);
    for (const l of listeners) s.views.get(view)!.listeners.add(l);
    await this.checkpointer.checkpointNow();
    return `rebuilt materialized view ${view} from its sources`;
  }
}
