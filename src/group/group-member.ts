/**
 * `sluice run job.sql --group NAME`: one member of a scale-out group (SPEC 8). It holds a
 * lease in the members bucket (a heartbeat every second; the record expires 5 s after the
 * last), computes from the live members which partitions are its own (assignment.ts), and
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
import { groupNames, groupServers } from './group-names.js';
import { GroupStore, groupError, HEARTBEAT_MS, LEASE_MS, newMemberId } from './group-store.js';
import { PartitionTask } from './partition-task.js';
import { writeJobRecord } from './group-status.js';

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
  const member = new Member(id, store, job, dir);
  log(`sluice: group '${names.group}' member ${id}`);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  const onSignal = () => stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await writeJobRecord(store, job);
    await member.run(stopped);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
    // Without --db the local files were scratch: the snapshots in JetStream are the state.
    if (options.db === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

class Member {
  private readonly tasks = new Map<number, PartitionTask>();
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
  ) {}

  private partitionsText(): string[] {
    const out: string[] = [];
    for (const p of [...this.tasks.keys()].sort((a, b) => a - b)) for (const s of this.job.sources) out.push(`${s.name}/${p}`);
    return out;
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
    const desired = assignPartitions([...ids], this.job.partitions);
    const starting: Promise<void>[] = [];
    for (let p = 0; p < this.job.partitions; p++) {
      const rec = await this.store.owner(p);
      const task = this.tasks.get(p);
      if (task !== undefined) {
        this.checkFence(p, task, rec?.record ?? null);
        if (desired.get(p) !== this.id) await this.handOver(p, task, rec!.revision);
        continue;
      }
      if (desired.get(p) !== this.id) continue;
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

  /** Restores (or starts fresh) a partition just claimed. */
  private async start(p: number, epoch: number, previous: string | null): Promise<void> {
    const t0 = Date.now();
    const t = await PartitionTask.start({
      partition: p,
      epoch,
      store: this.store,
      job: this.job,
      dir: this.dir,
      incarnation: this.incarnation,
      onFailure: (e) => this.fail(e),
    });
    this.tasks.set(p, t);
    const from = t.restored === null ? 'from the start' : `from its snapshot (${Object.entries(t.restored.sources).map(([s, v]) => `${s} sequence ${v.seq}`).join(', ')})`;
    const prev = previous !== null ? ` after ${previous}` : '';
    log(`sluice: member ${this.id} took partition ${p} (epoch ${epoch})${prev} ${from} in ${Date.now() - t0} ms`);
  }


  private checkFence(p: number, task: PartitionTask, rec: { owner: string | null; epoch: number } | null): void {
    if (rec === null || rec.owner !== this.id || rec.epoch !== task.epoch) {
      throw new FencedError(
        'STATE',
        `member ${this.id} lost partition ${p} (its epoch ${task.epoch}; the record now names ${rec?.owner ?? 'nobody'} at epoch ${rec?.epoch ?? 0}): it stops without writing`,
      );
    }
  }

  private async handOver(p: number, task: PartitionTask, revision: number): Promise<void> {
    this.tasks.delete(p);
    await task.stop();
    await this.store.setOwner(p, { owner: null, epoch: task.epoch }, revision);
    log(`sluice: member ${this.id} handed partition ${p} over (epoch ${task.epoch})`);
  }

  private async handOverAll(): Promise<void> {
    await Promise.all(
      [...this.tasks].map(async ([p, task]) => {
        try {
          const rec = await this.store.owner(p);
          this.checkFence(p, task, rec?.record ?? null);
          await this.handOver(p, task, rec!.revision);
        } catch (e) {
          this.failure ??= toSluiceError(e);
        }
      }),
    );
  }

  private async checkpointDue(): Promise<void> {
    const now = Date.now();
    for (const [p, task] of this.tasks) {
      if (!task.checkpointDue(now)) continue;
      this.checkFence(p, task, (await this.store.owner(p))?.record ?? null);
      await task.checkpoint();
    }
  }
}
