/**
 * One member of a scale-out group (SPEC 8), as `sluice run job.sql --group NAME` and
 * GroupMember run it. It holds a lease in the members bucket (a heartbeat every second; the
 * record expires 5 s after the last), computes from the live members which tasks are its
 * own (assignment.ts; the partitions of the sources, and of the repartition streams when the
 * job repartitions), and takes or hands them over through the owners bucket:
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
import { GroupPublisher } from './group-insert.js';
import { queryGroup, QueryResponder } from './group-query.js';
import { Database } from '../state/database.js';
import type { InsertResult, QueryOptions } from '../engine/api-types.js';
import type { Row } from '../engine/rows.js';
import { log, type GroupJoinOptions } from './group-member.js';

/** The member lost a partition it was writing: it must stop without another write. */
class FencedError extends SluiceError {}


/** A member as it runs: what GroupMember (group-member.ts) stands for, with its dependencies (the NATS client) loaded only when a member is started. */
export class RunningMember {
  private failure: SluiceError | null = null;
  private db: Database | null = null;
  /** Group queries run one at a time: they share the member's DuckDB and its table names. */
  private queries: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    /** This member's id (as `sluice group status` lists it). */
    readonly id: string,
    private readonly member: Member,
    private readonly store: GroupStore,
    private readonly job: GroupJob,
    private readonly dir: string,
    private readonly scratch: boolean,
    private readonly stop: () => void,
    private readonly running: Promise<void>,
    private readonly publisher: GroupPublisher,
  ) {}

  /** Joins (or starts) group `options.group` running the job in `files`; resolves once it has taken its first partitions. */
  static async join(files: string | readonly string[], options: GroupJoinOptions): Promise<RunningMember> {
    if (options === null || typeof options !== 'object' || typeof options.group !== 'string') throw new SluiceError('ARGUMENT', 'GroupMember.join needs options with a group name');
    const names = groupNames(options.group);
    const job = await planGroupJob(typeof files === 'string' ? [files] : files, names);
    const servers = options.servers !== undefined ? groupServers(options.servers) : job.sources[0]!.servers.split(',').map((s) => s.trim());
    const store = await GroupStore.open(servers, names);
    const id = newMemberId();
    options.onId?.(id);
    const scratch = options.db === undefined;
    const dir = !scratch ? `${resolve(options.db!)}.group-${names.group}` : mkdtempSync(join(tmpdir(), `sluice-${names.group}-`));
    mkdirSync(dir, { recursive: true });
    const member = new Member(id, store, job, dir, servers.join(','));
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((r) => (stop = r));
    let running: Promise<void>;
    try {
      await writeJobRecord(store, job);
      await createRepartitionStreams(store, job);
      running = member.run(stopped);
    } catch (e) {
      await store.close();
      if (scratch) rmSync(dir, { recursive: true, force: true });
      throw toSluiceError(e);
    }
    const m = new RunningMember(id, member, store, job, dir, scratch, stop, running, new GroupPublisher(store.nc, job));
    running.catch((e: unknown) => {
      m.failure = toSluiceError(e);
      options.onError?.(m.failure);
    });
    await Promise.race([member.ready, running.catch(() => undefined)]);
    if (m.failure !== null) {
      await m.close().catch(() => undefined);
      throw m.failure;
    }
    return m;
  }

  /** Resolves when the member stops by itself (it failed; see `onError`), never while it runs. */
  get stopped(): Promise<void> {
    return this.running.then(
      () => undefined,
      () => undefined,
    );
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closed) throw new SluiceError('STATE', `group member ${this.id} is closed`);
  }

  /**
   * Publishes events to a nats source of the job: each to the partition of its `key`
   * column's value (round robin without one). Resolves once JetStream has stored them, with
   * their stream sequences as `offsets`, for `query(…, { after })` on any member.
   */
  async insert(source: string, rows: readonly object[]): Promise<InsertResult> {
    this.check();
    // The client's own errors (NATS unreachable, no stream for the subject) as CONNECTOR errors naming the group.
    return this.publisher.insert(source, rows).catch((e: unknown) => Promise.reject(groupError(this.store.names.group, e)));
  }

  /**
   * A pull query over the whole group's materialized views (any DuckDB SQL over them, `?`
   * parameters). With `after`, it first waits until every partition holding the views it
   * reads has consumed those offsets (stream sequences, as `insert` returns them) of their
   * sources, up to `timeout` ms (default 10,000), else rejects with code TIMEOUT.
   */
  query(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<Row[]> {
    const run = this.queries.then(async () => {
      this.check();
      this.db ??= await Database.open();
      return queryGroup({ nc: this.store.nc, store: this.store, job: this.job, dir: this.dir, db: this.db }, sql, params, options).catch((e: unknown) =>
        Promise.reject(groupError(this.store.names.group, e)),
      );
    });
    this.queries = run.catch(() => undefined);
    return run;
  }

  /** Leaves the group: a final checkpoint of each partition it owns, handed over to the others. Rejects if the member had failed. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stop();
      await this.running.catch(() => undefined);
      await this.queries;
      this.db?.close();
      await this.store.close();
      if (this.scratch) rmSync(this.dir, { recursive: true, force: true });
    }
    if (this.failure !== null) throw this.failure;
  }
}

/** What a member's heartbeat lists for a task: `orders/3`, or `orders/repartition/1`. */
export function taskPartitions(job: GroupJob, t: TaskRef): string[] {
  return job.sources.map((s) => (t.stage === 'source' ? `${s.name}/${t.index}` : `${s.name}/repartition/${t.index}`));
}

/** How often a member looks at the live members and the owners bucket to take or hand over partitions. */
const REBALANCE_MS = 250;
/** Shortest pause between two passes of a member's loop (a tiny checkpoint_interval does not make it spin). */
const MIN_WAIT_MS = 10;
/** How often a member looks whether a task behind its streams has caught up (and checkpoints it). */
const CATCH_UP_POLL_MS = 50;

class Member {
  /** Running tasks by their owner key. */
  private readonly tasks = new Map<string, PartitionTask>();
  private failure: SluiceError | null = null;
  private lastBeat = 0;
  private beating: Promise<void> = Promise.resolve();
  private incarnation = '';
  private wake: (() => void) | null = null;
  private firstPass: () => void = () => undefined;
  /** Resolves after the member's first rebalance: it holds what it could take then. */
  readonly ready = new Promise<void>((r) => (this.firstPass = r));
  private readonly responder: QueryResponder;

  constructor(
    private readonly id: string,
    private readonly store: GroupStore,
    private readonly job: GroupJob,
    private readonly dir: string,
    private readonly servers: string,
  ) {
    this.responder = new QueryResponder(store.nc, store.jsm, job, store.names, join(dir, 'queries'), () => this.tasks.values());
  }

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
    this.responder.start();
    const timer = setInterval(() => (this.beating = this.beat(started)), HEARTBEAT_MS);
    let stopping = false;
    void stopped.then(() => {
      stopping = true;
      this.wake?.();
    });
    let nextRebalance = 0;
    try {
      while (!stopping && this.failure === null) {
        try {
          if (Date.now() >= nextRebalance) {
            await this.rebalance();
            this.firstPass();
            nextRebalance = Date.now() + REBALANCE_MS;
          }
          await this.checkpointDue();
        } catch (e) {
          this.fail(e instanceof SluiceError ? e : groupError(this.store.names.group, e));
          break;
        }
        // Checkpoints when they fall due, not at the next rebalance: a snapshot lags reading by the interval, no more.
        // While tasks run, look again soon: one that has caught up with a backlog checkpoints then.
        const wait = Math.max(MIN_WAIT_MS, Math.min(nextRebalance, this.nextCheckpoint(), this.tasks.size > 0 ? Date.now() + CATCH_UP_POLL_MS : Infinity) - Date.now());
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, wait);
        });
        this.wake = null;
      }
    } finally {
      clearInterval(timer);
      this.responder.stop();
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

  /** When the next task's checkpoint falls due (Infinity: no tasks). */
  private nextCheckpoint(): number {
    let at = Infinity;
    for (const task of this.tasks.values()) at = Math.min(at, task.checkpointAt);
    return at;
  }

  private async checkpointDue(): Promise<void> {
    const now = Date.now();
    // Each task has its own engine and file, and is fenced on its own record: their checkpoints and uploads overlap.
    const due = [...this.tasks.values()].filter((task) => task.checkpointDue(now));
    const done = await Promise.allSettled(
      due.map(async (task) => {
        this.checkFence(task, (await this.store.owner(task.task))?.record ?? null);
        await task.checkpoint();
      }),
    );
    for (const r of done) if (r.status === 'rejected') throw r.reason;
  }
}
