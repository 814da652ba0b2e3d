/**
 * One task's pipeline (a partition of the sources, or of the repartition streams), Kafka Streams' task: an Engine of its own over a local DuckDB
 * file holding the operator state, view contents, source positions and sink positions of
 * that partition alone. Its snapshot — the DuckDB file as the last checkpoint left it,
 * without its zero pages, gzipped (snapshot-pack.ts) — goes to the group's object store
 * after every checkpoint; a new owner downloads it, opens it (the engine's own recovery
 * restores state and positions) and resumes reading at the checkpointed sequence. Sinks
 * make the replay since that snapshot exactly-once.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import type { ExportFilter } from '../engine/pull-query.js';
import type { SourcePosition } from '../state/checkpoint-store.js';
import { SluiceError, toSluiceError } from '../errors.js';
import type { GroupJob } from './group-job.js';
import { snapshotName, type TaskRef } from './group-names.js';
import type { GroupStore, SnapshotMeta } from './group-store.js';
import { WatermarkPublisher } from './repartition-stream.js';
import { packFiles, unpackFiles } from './snapshot-pack.js';

/**
 * Engine checkpoints happen only when the task asks, so the DuckDB file is never being
 * written while it is copied: the engine's own timer is set beyond any run.
 */
const NEVER = '3650 days';

export interface TaskOptions {
  readonly task: TaskRef;
  readonly epoch: number;
  readonly store: GroupStore;
  readonly job: GroupJob;
  readonly dir: string;
  readonly incarnation: string;
  /** The group's NATS servers (its repartition streams live there). */
  readonly servers: string;
  readonly onFailure: (e: SluiceError) => void;
}

function removeFiles(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

export class PartitionTask {
  private lastCheckpoint = Date.now();
  private stopped = false;
  /** Seen with events waiting since its last checkpoint. */
  private behind = false;
  /** Checkpoints, hand-over and a query's export run one at a time: the file is copied only between them. */
  private turn: Promise<unknown> = Promise.resolve();
  /** The source stage of a repartitioned job tells the repartition partitions its watermarks. */
  private readonly watermarks: WatermarkPublisher | null;

  private constructor(
    private readonly o: TaskOptions,
    private readonly engine: Engine,
    private readonly path: string,
    /** Where the snapshot it started from stood (null: none, a fresh start). */
    readonly restored: SnapshotMeta | null,
  ) {
    this.watermarks = o.job.repartitions > 0 && o.task.stage === 'source' ? new WatermarkPublisher(o.store, o.job, o.task.index) : null;
  }

  get task(): TaskRef {
    return this.o.task;
  }

  get epoch(): number {
    return this.o.epoch;
  }

  /** Restores the partition's last snapshot (or starts it fresh) and starts its pipeline. */
  static async start(o: TaskOptions): Promise<PartitionTask> {
    const path = join(o.dir, `${snapshotName(o.task)}.duckdb`);
    removeFiles(path);
    const [blob, meta] = await Promise.all([o.store.getSnapshot(o.task), o.store.snapshotMeta(o.task)]);
    if (blob !== null) unpackFiles(path, blob);
    const engine = await Engine.open({ path, onBackgroundError: o.onFailure });
    try {
      if (blob === null) {
        for (const s of o.job.scripts(o.task, { incarnation: o.incarnation, servers: o.servers })) await engine.execute(s.sql, { baseDir: s.baseDir });
      }
      await engine.execute(`SET checkpoint_interval = '${NEVER}'`);
    } catch (e) {
      await engine.close();
      throw toSluiceError(e);
    }
    return new PartitionTask(o, engine, path, blob === null ? null : meta);
  }

  /** When the next checkpoint falls due (ms since the epoch). */
  get checkpointAt(): number {
    return this.lastCheckpoint + this.o.job.checkpointMs;
  }

  /**
   * Whether a checkpoint is due: checkpoint_interval has passed, or the partition was seen
   * behind its streams and has caught up since (so the end of a backlog is durable, and
   * acknowledged, once it is read rather than up to an interval later).
   */
  checkpointDue(now: number): boolean {
    if (now >= this.checkpointAt) return true;
    if (this.stopped) return false;
    const backlog = this.engine.sourceBacklog();
    if (backlog === null) return false;
    if (backlog.waited) this.behind = true;
    return backlog.waiting === 0 && this.behind;
  }

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.turn.then(f, f);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** How far the views named (null: anything) have read `source`'s stream (null: none of them reads it, or the task stopped). */
  consumedSeq(views: ReadonlySet<string> | null, source: string): number | null {
    return this.stopped ? null : this.engine.consumedSeq(views, source);
  }

  /** The named views' current contents (those `where` keeps) as Parquet files in `dir` (null once the task has stopped: its new owner answers). */
  exportViews(views: readonly string[], dir: string, where?: ExportFilter): Promise<string[] | null> {
    // The local file is never reopened after a crash (a new owner restores the snapshot), so no checkpoint is needed.
    return this.exclusive(async () => (this.stopped ? null : this.engine.exportViews(views, dir, true, where)));
  }

  /** Checkpoints the engine without uploading (its sinks then hold what it has read); false once the task has stopped. */
  flush(): Promise<boolean> {
    return this.exclusive(async () => {
      if (this.stopped) return false;
      await this.engine.checkpoint();
      return true;
    });
  }

  /** Checkpoints the pipeline and uploads the snapshot. The caller has checked it still owns the partition. */
  checkpoint(): Promise<void> {
    return this.exclusive(() => this.checkpointNow());
  }

  private async checkpointNow(): Promise<void> {
    if (this.stopped) return;
    this.lastCheckpoint = Date.now();
    this.behind = false;
    const positions = await this.engine.checkpointFile();
    // Synchronously, before any other call of the engine can run.
    const data = packFiles(this.path);
    const sources = sourcesMeta(positions);
    // Before the snapshot: once status shows the snapshot, the stream holds what it led to.
    await this.watermarks?.publish(sources);
    await this.o.store.putSnapshot(this.o.task, data, { epoch: this.o.epoch, sources });
  }

  /** Hands the partition over: a final checkpoint, the engine closed, its snapshot uploaded. */
  stop(): Promise<void> {
    return this.exclusive(() => this.stopNow());
  }

  private async stopNow(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const positions = await this.engine.checkpointFile();
    await this.engine.close();
    const data = packFiles(this.path);
    const sources = sourcesMeta(positions);
    // Before the snapshot: once status shows the snapshot, the stream holds what it led to.
    await this.watermarks?.publish(sources);
    await this.o.store.putSnapshot(this.o.task, data, { epoch: this.o.epoch, sources });
    removeFiles(this.path);
  }
}

function sourcesMeta(positions: readonly SourcePosition[]): SnapshotMeta['sources'] {
  const out: Record<string, { seq: number; maxEventTime: number | null }> = {};
  for (const p of positions) out[p.source] = { seq: (p.position as { seq?: number } | null)?.seq ?? 0, maxEventTime: p.maxEventTime ?? null };
  return out;
}
