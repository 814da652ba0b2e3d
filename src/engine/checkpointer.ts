/**
 * Checkpoints and recovery: what makes an engine's state durable in its DuckDB file, and how
 * a reopened engine takes it back (catalog, operator state, source and sink positions).
 */
import { performance } from 'node:perf_hooks';
import { parseStatement } from '../../grammar/index.js';
import type { CreateView } from '../../grammar/ast.js';
import type { ViewDef } from '../catalog/definitions.js';
import { bindStatement } from '../plan/binder/bind-statement.js';
import type { Dataflow } from './dataflow.js';
import type { EngineState } from './engine-state.js';
import { archiveRetainedLogs, reloadArchives } from './log-retention.js';
import { SourceRuntime } from './source-runtime.js';

export class Checkpointer {
  private lastCheckpoint = Date.now();
  private count = 0;

  constructor(
    private readonly s: EngineState,
    private readonly dataflow: Dataflow,
  ) {}

  /**
   * The checkpoint: sink output is made durable first (its position recorded), then every
   * owner's changed state, source positions, view contents and system tables are written in
   * one transaction; `extra` adds catalog changes to the same transaction.
   */
  async checkpointNow(extra?: () => Promise<void>): Promise<void> {
    const { s } = this;
    const t0 = performance.now();
    const sinkBytes = new Map<string, number>();
    for (const sink of s.sinks.values()) sinkBytes.set(sink.def.name, await sink.writer.flush());
    const positions = [...s.sources.values()].map((src) => src.position());
    await s.db.transaction(async () => {
      for (const src of s.sources.values()) await src.log?.settle();
      for (const v of s.views.values()) await v.table.flush();
      await s.system.flush();
      // In memory nothing could be recovered: operator state and positions are not written.
      if (s.path !== null) {
        // An owner nothing reached since the last checkpoint has nothing to write.
        for (const v of s.views.values()) {
          if (v.pipeline!.dirty) await s.checkpoints.writeState(v.def.name, v.pipeline!.checkpointDelta());
        }
        for (const sink of s.sinks.values()) {
          if (!sink.pipeline.dirty) continue;
          await s.checkpoints.writeState(sink.def.name, sink.pipeline.checkpointDelta());
          await s.checkpoints.writeSinkPosition(sink.def.name, sinkBytes.get(sink.def.name)!);
        }
        await s.checkpoints.writePositions(positions);
        for (const v of s.views.values()) await s.history.retain(v);
        const readers = [...s.views.values()].map((v) => ({ name: v.def.name, inputs: v.pipeline?.inputs ?? [], view: true }));
        for (const sink of s.sinks.values()) readers.push({ name: sink.def.name, inputs: sink.pipeline.inputs, view: false });
        await archiveRetainedLogs(s.sources.values(), readers, s.checkpoints);
      }
      if (extra) await extra();
      await s.checkpoints.recordCheckpoint(++this.count, performance.now() - t0);
    }).catch(async (e: unknown) => {
      await reloadArchives(s.sources.values());
      throw e;
    });
    // Only now may a broker source acknowledge what the checkpoint holds.
    for (const p of positions) s.sources.get(p.source)?.committed(p);
    this.lastCheckpoint = Date.now();
  }

  /**
   * Checkpoints when checkpoint_interval has passed since the last one (in a file), or when
   * the changes the views hold for their tables pass view_flush_bytes: they wait in memory
   * for a checkpoint or a pull query, so without that bound a fast stream (or, in memory, one
   * nobody reads) grew without limit (5M Nexmark events into a view of three bid columns
   * held 1.6 GB).
   */
  async maybeCheckpoint(): Promise<void> {
    let pending = 0;
    for (const v of this.s.views.values()) pending += v.table.pendingBytes;
    if (pending > this.s.settings.number('view_flush_bytes')) return this.checkpointNow();
    // In memory nothing is made durable: view tables are brought up to date by pull queries.
    if (this.s.path === null) return;
    if (Date.now() - this.lastCheckpoint >= this.s.settings.number('checkpoint_interval')) await this.checkpointNow();
  }

  /**
   * Opening: checkpoint ids go on from the last one written; a file takes back the catalog,
   * each owner's state and each source's position as of the last checkpoint.
   */
  async recover(): Promise<void> {
    const { s } = this;
    this.count = await s.checkpoints.lastCheckpointId();
    if (s.path === null) return;
    for (const [name, value] of await s.catalogStore.settings()) s.settings.set(name, value);
    const positions = await s.checkpoints.readPositions();
    const sinkBytes = await s.checkpoints.readSinkPositions();
    for (const e of await s.catalogStore.load()) {
      if (e.kind === 'source') {
        const def = e.source!;
        const rt = new SourceRuntime(def, s.db, s.system);
        await rt.log?.create(def.columns);
        const p = positions.get(def.name);
        if (p) rt.restorePosition(p);
        s.sources.set(def.name, rt);
        s.catalog.put(def);
        continue;
      }
      const statement = parseStatement(e.sql);
      const bound = bindStatement({ statement, text: e.sql, sql: e.sql, baseDir: e.baseDir }, s.catalog);
      if (bound.kind === 'CreateView') {
        const def: ViewDef = { ...bound.def, query: (statement as CreateView).query };
        if (def.materialized) await this.dataflow.startView(def, bound.plan, true);
        s.catalog.put(def);
      } else if (bound.kind === 'CreateSink') {
        await this.dataflow.startSink(bound.def, sinkBytes.get(bound.def.name));
        s.catalog.put(bound.def);
      }
    }
    // Events logged after the checkpoint reach the restored pipelines again.
    const batchSize = s.batchSize();
    for (const rt of s.sources.values()) await rt.replayLog(batchSize);
  }
}
