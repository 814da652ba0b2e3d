/**
 * `sluice run job.sql --group NAME`: one member of a scale-out group (SPEC 8). It holds a
 * lease in the members bucket (a heartbeat every second; the record expires 5 s after the
 * last), computes from the live members which tasks are its own (assignment.ts; the
 * partitions of the sources, and of the repartition streams when the job repartitions), and
 * takes or hands them over through the owners bucket:
 * - a partition is claimed only when its record is free (released, or its owner's lease
 *   has lapsed), by compare-and-set, with the epoch raised by one;
 * - a partition the assignment gives to another member is checkpointed, its snapshot
 *   uploaded and its record released; the other member then claims it;
 * - before every checkpoint the member checks the record still names it with its epoch; if
 *   not (its lease lapsed while it could not reach NATS) it stops at once without writing —
 *   fencing, so a stale member never writes after the new owner started.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SluiceError, toSluiceError } from '../errors.js';
import { assignPartitions } from './assignment.js';
import { planGroupJob, type GroupJob } from './group-job.js';
import { groupNames, groupServers, ownerKey, taskLabel, type TaskRef } from './group-names.js';
import { GroupStore, groupError, HEARTBEAT_MS, LEASE_MS, newMemberId } from './group-store.js';
import { PartitionTask } from './partition-task.js';
import { writeJobRecord } from './group-status.js';
import { createRepartitionStreams } from './repartition-stream.js';

export interface GroupRunOptions {
  readonly group: string;
  /** The member's local files go beside it (`<db>.group-<name>/`); a temporary folder without it. */
  readonly db?: string;
  readonly servers?: string;
}

/** The member lost a partition it was writing: it must stop without another write. */
class FencedError extends SluiceError {}

function log(line: string): void {
  process.stderr.write(line + '\n');
}

/** Runs a group member until SIGINT/SIGTERM (then hands its partitions over and exits 0) or a failure. */
export async function runGroupMember(files: readonly string[], options: GroupRunOptions): Promise<void> {
  const names = groupNames(options.group);
  const job = await planGroupJob(files, names);
  const servers = options.servers !== undefined ? groupServers(options.servers) : job.sources[0]!.servers.split(',').map((s) => s.trim());
  const store = await GroupStore.open(servers, names);
  const id = newMemberId();
  const dir = options.db !== undefined ? `${resolve(options.db)}.group-${names.group}` : mkdtempSync(join(tmpdir(), `sluice-${names.group}-`));
  mkdirSync(dir, { recursive: true });
  const member = new Member(id, store, job, dir, servers.join(','));
  log(`sluice: group '${names.group}' member ${id}`);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  const onSignal = () => stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await writeJobRecord(store, job);
    await createRepartitionStreams(store, job);
    await member.run(stopped);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
    // Without --db the local files were scratch: the snapshots in JetStream are the state.
    if (options.db === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** What a member's heartbeat lists for a task: `orders/3`, or `orders/repartition/1`. */
export function taskPartitions(job: GroupJob, t: TaskRef): string[] {
  return job.sources.map((s) => (t.stage === 'source' ? `${s.name}/${t.index}` : `${s.name}/repartition/${t.index}`));
}

class Member {
  /** Running tasks by their owner key. */
  private readonly tasks = new Map<string, PartitionTask>();
  private failure: SluiceError | null = null;
  private lastBeat = 0;
  private beating: Promise<void> = Promise.resolve();
  private incarnation = '';
  private wake: (() => void) | null = null;

  constructor(
    private readonly id: string,
    private readonly store: GroupStore,
    private readonly job: GroupJob,
    private readonly dir: string,
    private readonly servers: string,
  ) {}

  private partitionsText(): string[] {
    return this.job.tasks.filter((t) => this.tasks.has(ownerKey(t))).flatMap((t) => taskPartitions(this.job, t));
  }

  private async beat(started: string): Promise<void> {
    const now = new Date();
    try {
      await this.store.heartbeat({ id: this.id, started, last_heartbeat: now.toISOString(), partitions: this.partitionsText() });
      this.lastBeat = now.getTime();
    } catch (e) {
      // A lapsed lease: others may own our partitions by now.
      if (Date.now() - this.lastBeat > LEASE_MS) this.fail(new FencedError('STATE', `member ${this.id} could not renew its lease for ${LEASE_MS} ms (${toSluiceError(e).message}): it stops so as not to write partitions others now own`));
    }
  }

  private fail(e: SluiceError): void {
    this.failure ??= e;
    this.wake?.();
  }

  async run(stopped: Promise<void>): Promise<void> {
    const started = new Date().toISOString();
    this.incarnation = await this.store.incarnation();
    await this.beat(started);
    const timer = setInterval(() => (this.beating = this.beat(started)), HEARTBEAT_MS);
    let stopping = false;
    void stopped.then(() => {
      stopping = true;
      this.wake?.();
    });
    try {
      while (!stopping && this.failure === null) {
        try {
          await this.rebalance();
          await this.checkpointDue();
        } catch (e) {
          this.fail(e instanceof SluiceError ? e : groupError(this.store.names.group, e));
          break;
        }
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, 250);
        });
        this.wake = null;
      }
    } finally {
      clearInterval(timer);
      await this.beating;
      if (!(this.failure instanceof FencedError)) await this.handOverAll();
      await this.store.leave(this.id);
    }
    if (this.failure !== null) throw this.failure;
  }

  /** Takes the partitions the assignment gives this member that are free; hands over those it gives to others. */
  private async rebalance(): Promise<void> {
    const live = await this.store.liveMembers();
    const ids = new Set(live.map((m) => m.id));
    ids.add(this.id);
    const desired = assignPartitions([...ids], this.job.tasks.length);
    const starting: Promise<void>[] = [];
    for (const [i, p] of this.job.tasks.entries()) {
      const rec = await this.store.owner(p);
      const task = this.tasks.get(ownerKey(p));
      if (task !== undefined) {
        this.checkFence(task, rec?.record ?? null);
        if (desired.get(i) !== this.id) await this.handOver(task, rec!.revision);
        continue;
      }
      if (desired.get(i) !== this.id) continue;
      const free = rec === null || rec.record.owner === null || (!ids.has(rec.record.owner) && !(await this.store.isLive(rec.record.owner)));
      if (!free) continue;
      const epoch = (rec?.record.epoch ?? 0) + 1;
      if (!(await this.store.setOwner(p, { owner: this.id, epoch }, rec?.revision ?? 0))) continue;
      starting.push(this.start(p, epoch, rec?.record.owner ?? null));
    }
    // Partitions restore side by side: a restore waits mostly on NATS and DuckDB, not the CPU.
    const started = await Promise.allSettled(starting);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
  }

  /** Restores (or starts fresh) a task just claimed. */
  private async start(p: TaskRef, epoch: number, previous: string | null): Promise<void> {
    const t0 = Date.now();
    const t = await PartitionTask.start({
      task: p,
      epoch,
      store: this.store,
      job: this.job,
      dir: this.dir,
      incarnation: this.incarnation,
      servers: this.servers,
      onFailure: (e) => this.fail(e),
    });
    this.tasks.set(ownerKey(p), t);
    const from = t.restored === null ? 'from the start' : `from its snapshot (${Object.entries(t.restored.sources).map(([s, v]) => `${s} sequence ${v.seq}`).join(', ')})`;
    const prev = previous !== null ? ` after ${previous}` : '';
    log(`sluice: member ${this.id} took ${taskLabel(p)} (epoch ${epoch})${prev} ${from} in ${Date.now() - t0} ms`);
  }

  private checkFence(task: PartitionTask, rec: { owner: string | null; epoch: number } | null): void {
    if (rec === null || rec.owner !== this.id || rec.epoch !== task.epoch) {
      throw new FencedError(
        'STATE',
        `member ${this.id} lost ${taskLabel(task.task)} (its epoch ${task.epoch}; the record now names ${rec?.owner ?? 'nobody'} at epoch ${rec?.epoch ?? 0}): it stops without writing`,
      );
    }
  }

  private async handOver(task: PartitionTask, revision: number): Promise<void> {
    this.tasks.delete(ownerKey(task.task));
    await task.stop();
    await this.store.setOwner(task.task, { owner: null, epoch: task.epoch }, revision);
    log(`sluice: member ${this.id} handed ${taskLabel(task.task)} over (epoch ${task.epoch})`);
  }

  private async handOverAll(): Promise<void> {
    await Promise.all(
      [...this.tasks.values()].map(async (task) => {
        try {
          const rec = await this.store.owner(task.task);
          this.checkFence(task, rec?.record ?? null);
          await this.handOver(task, rec!.revision);
        } catch (e) {
          this.failure ??= toSluiceError(e);
        }
      }),
    );
  }

  private async checkpointDue(): Promise<void> {
    const now = Date.now();
    for (const task of this.tasks.values()) {
      if (!task.checkpointDue(now)) continue;
      this.checkFence(task, (await this.store.owner(task.task))?.record ?? null);
      await task.checkpoint();
    }
  }
}
