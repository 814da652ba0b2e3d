/**
 * The running dataflow: how pipelines join the sources and views they read (catching up on
 * history, or taking their checkpointed state), and how views and sinks start and stop.
 */
import { sourceSchema, type SinkDef, type ViewDef } from '../catalog/definitions.js';
import { openSink } from '../connectors/sinks/file-sink.js';
import { SluiceError } from '../errors.js';
import type { Pipeline, SourceInput, ViewInput } from '../exec/pipeline.js';
import { siblingGroups } from '../exec/co-fed.js';
import { planQuery } from '../plan/binder/bind-statement.js';
import type { LogicalPlan } from '../plan/logical-plan.js';
import { scanNode, viewScanNode } from '../plan/node-builders.js';
import type { EngineState } from './engine-state.js';
import { stateFits } from './state-fit.js';
import { ViewRuntime } from './view-runtime.js';

export class Dataflow {
  constructor(private readonly s: EngineState) {}

  /**
   * Connects a pipeline's inputs: each catches up on history (with `toCheckpoint`, only up to
   * where the restored checkpoint stood), then follows live.
   */
  async attach(p: Pipeline, toCheckpoint = false): Promise<void> {
    const batchSize = this.s.batchSize();
    for (const group of inputGroups(p)) {
      const input = group[0]!;
      if (input.kind === 'source') {
        const inputs = group as SourceInput[];
        const rt = this.s.sources.get(input.source)!;
        if (!toCheckpoint) await rt.catchUp(inputs, batchSize);
        else {
          const through = rt.restoredThrough;
          // Up to the checkpoint's offset; the whole log (and its end, if it ended) when that is all of it.
          const limit = rt.log !== null && through < rt.log.next - 1 ? { by: 'OFFSET' as const, value: through } : undefined;
          if (through >= 0) await rt.catchUp(inputs, batchSize, limit);
          for (const i of inputs) i.lastOffset = through;
        }
        for (const i of inputs) rt.inputs.add(i);
      } else if (input.kind === 'view') {
        await this.s.views.get(input.view)!.followTogether(group as ViewInput[]);
      }
    }
    p.start();
  }

  detach(p: Pipeline): void {
    for (const input of p.inputs) {
      if (input.kind === 'source') this.s.sources.get(input.source)?.inputs.delete(input as SourceInput);
      else if (input.kind === 'view') this.s.views.get(input.view)?.downstream.delete(input as ViewInput);
    }
    p.close();
  }

  /**
   * Time travel: runs a pipeline once over the past. Each source is replayed from the start of
   * its log up to the AS OF point of its scan (to its end without one); each view is read as
   * it stands now. Nothing live is touched; the caller detaches the pipeline afterwards.
   */
  async replay(pipeline: Pipeline): Promise<void> {
    const batchSize = this.s.batchSize();
    for (const group of inputGroups(pipeline)) {
      const input = group[0]!;
      if (input.kind === 'source') await this.s.sources.get(input.source)!.catchUp(group as SourceInput[], batchSize, input.node.until);
      else if (input.kind === 'view') await this.s.views.get(input.view)!.followTogether(group as ViewInput[]);
    }
    pipeline.start();
  }

  /**
   * Restores a pipeline from the last checkpoint and connects its inputs without replay; false
   * when no state was stored. A state written for another plan (a sluice that planned the
   * query otherwise) is rebuilt instead, by replaying the inputs up to where the checkpoint
   * stood with the output muted: the view's table and audit trail hold that output already.
   */
  private async restore(owner: string, pipeline: Pipeline): Promise<boolean> {
    const state = await this.s.checkpoints.readState(owner);
    if (state.size === 0) return false;
    if (!stateFits(state, pipeline)) {
      await this.replayToCheckpoint(pipeline);
      return true;
    }
    pipeline.restoreEntries(state);
    for (const input of pipeline.inputs) {
      if (input.kind === 'source') {
        const src = this.s.sources.get(input.source)!;
        src.inputs.add(input);
        // It stands where the checkpoint left its source (the audit trail's source offsets).
        input.lastOffset = src.restoredThrough;
      } else if (input.kind === 'view') this.s.views.get(input.view)!.downstream.add(input);
    }
    return true;
  }

  private async replayToCheckpoint(p: Pipeline): Promise<void> {
    p.muted = true;
    try {
      await this.attach(p, true);
    } finally {
      p.muted = false;
    }
  }

  /**
   * Builds a view's pipeline and table. A new view replays its inputs from the start; a
   * restored one takes its checkpointed state and follows its inputs from where they stood.
   */
  async startView(def: ViewDef, plan: LogicalPlan, restore: boolean): Promise<void> {
    const rt = new ViewRuntime(def, this.s.db, (v) => this.s.views.get(v));
    const pipeline = this.s.newPipeline(plan, rt, def.name);
    rt.pipeline = pipeline;
    this.s.views.set(def.name, rt);
    try {
      if (restore && (await this.restore(def.name, pipeline))) {
        await rt.table.ensure();
        return;
      }
      await rt.table.create();
      await this.s.checkpoints.dropOwner(def.name);
      await this.s.history.forget(def.name);
      await this.attach(pipeline);
    } catch (e) {
      this.detach(pipeline);
      this.s.views.delete(def.name);
      throw e;
    }
  }

  /**
   * Starts a sink. `resumeAt` (recovery): the file position of the last checkpoint; output
   * after it is cut away and the restored pipeline writes it again.
   */
  async startSink(def: SinkDef, resumeAt: number | undefined): Promise<void> {
    const plan = this.sinkPlan(def);
    const writer = openSink(def.connector, {
      name: def.name,
      schema: plan.schema,
      appendOnly: plan.appendOnly,
      key: plan.uniqueKey,
      options: def.options,
      baseDir: def.baseDir,
      eager: this.s.path === null,
      fromSource: this.s.catalog.source(def.from) !== undefined,
      ...(resumeAt === undefined ? {} : { resumeAt }),
    });
    const pipeline = this.s.newPipeline(plan, { push: (b) => writer.write(b), watermark: () => undefined }, def.name);
    this.s.sinks.set(def.name, { def, pipeline, writer });
    if (resumeAt !== undefined && (await this.restore(def.name, pipeline))) return;
    await this.s.checkpoints.dropOwner(def.name);
    await this.attach(pipeline);
  }

  /** The plan a sink runs: its source's events, or its view's changes. */
  private sinkPlan(def: SinkDef): LogicalPlan {
    const from = this.s.catalog.get(def.from);
    if (from?.kind === 'source') {
      const schema = sourceSchema(from);
      return scanNode(from.name, schema, schema.map((_, i) => i), null);
    }
    if (from?.kind === 'view' && from.materialized) return viewScanNode(from.name, from, from.schema.map((_, i) => i));
    if (from?.kind === 'view') return planQuery(from.query, from.sql, this.s.catalog);
    throw new SluiceError('BIND', `sink '${def.name}' reads '${def.from}', which is not a source or a view`);
  }

  async dropSource(name: string): Promise<void> {
    const rt = this.s.sources.get(name);
    if (!rt) return;
    await rt.close();
    await rt.log?.drop();
    await this.s.checkpoints.removePosition(name);
    this.s.sources.delete(name);
  }

  async dropView(name: string): Promise<void> {
    const rt = this.s.views.get(name);
    if (!rt) return;
    if (rt.pipeline) this.detach(rt.pipeline);
    await rt.table.drop();
    await this.s.checkpoints.dropOwner(name);
    await this.s.history.forget(name);
    this.s.views.delete(name);
  }

  async dropSink(name: string): Promise<void> {
    const s = this.s.sinks.get(name);
    if (!s) return;
    this.detach(s.pipeline);
    await s.writer.close();
    await this.s.checkpoints.dropOwner(name);
    this.s.sinks.delete(name);
  }
}

/** A pipeline's source and view inputs, those that read the same thing together (co-fed.ts). */
function inputGroups(p: Pipeline): (SourceInput | ViewInput)[][] {
  return siblingGroups<SourceInput | ViewInput>(p.inputs.filter((i): i is SourceInput | ViewInput => i.kind !== 'values'));
}
