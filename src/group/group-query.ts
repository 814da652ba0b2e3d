/**
 * Pull queries across a scale-out group, with read-your-writes on any member (SPEC 2.7, 8).
 * As Kafka Streams' interactive queries reach the instances that hold the state, the member
 * asked sends one request on `sluice_<group>_query`; every member answers for the tasks it
 * owns of the job's last stage (the partitions, or the repartition partitions when the job
 * repartitions): once the task's views have consumed the offsets waited for, it sends their
 * contents as Parquet. The asking member runs the query in DuckDB over the union. A view of
 * a group job is split by the column its source is partitioned by (or is stateless), so the
 * union of its partitions' contents is the whole view.
 *
 * Offsets are stream sequences of the sources' JetStream streams. A task has consumed
 * sequence s once it has read its subject past s, or its subject holds nothing more up to s
 * (asked of the stream: the first message of the subject after where the task stands). In a
 * repartitioned job, s is first carried through the repartition stream: every source
 * partition's owner waits until it has read s, checkpoints (its repartition sinks then hold
 * what it led to) and answers where the repartition stream ends, which the last stage must
 * consume.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { JetStreamManager } from '@nats-io/jetstream';
import { createInbox, headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { toApiResult } from '../engine/api-results.js';
import type { QueryOptions } from '../engine/api-types.js';
import { toDuckParamLoose } from '../engine/pull-query.js';
import { afterTargets } from '../engine/read-your-writes.js';
import type { Row } from '../engine/rows.js';
import { namesIn } from '../engine/sql-names.js';
import { SluiceError, toSluiceError, type ErrorCode } from '../errors.js';
import { quoteIdent, quoteString, type Database } from '../state/database.js';
import { sourceNamed, type GroupJob, type GroupSource } from './group-job.js';
import { ownerKey, taskLabel, type GroupNames, type TaskRef } from './group-names.js';
import type { GroupStore } from './group-store.js';
import type { PartitionTask } from './partition-task.js';
import { filterClause, fromWire, toWire, viewFilters, wireable, type ViewFilters, type WireParam } from './view-filters.js';

/**
 * What a member asks the others: `views`, the contents of the last stage's views once they
 * have consumed `targets`; `upstream` (a repartitioned job), that the source stage's tasks
 * consume `targets` and publish what they led to, answering with where the repartition
 * streams then end.
 */
interface QueryRequest {
  readonly id: string;
  readonly kind: 'views' | 'upstream';
  /** The job's views the query names (lower case). */
  readonly views: readonly string[];
  /** Per source: the sequence of the stream the last stage reads that each task must have consumed. */
  readonly targets: Readonly<Record<string, number>>;
  /** How long a member may wait for its tasks to get there (ms). */
  readonly waitMs: number;
  /** Per view, the rows the query can read (see view-filters.ts), with the query's parameters they use. */
  readonly filters?: ViewFilters;
  readonly params?: readonly (WireParam | undefined)[];
}

/** The subject members take queries on. */
export function querySubject(names: GroupNames): string {
  return `${names.prefix}query`;
}

/** Tasks of the job's last stage: the ones holding the views. */
function lastStage(job: GroupJob): readonly TaskRef[] {
  const stage = job.repartitions > 0 ? 'repartition' : 'source';
  return job.tasks.filter((t) => t.stage === stage);
}

/** The stream a last-stage task reads a source from, and its subject filter there. */
function taskSubject(job: GroupJob, t: TaskRef, src: GroupSource): { stream: string; filter: string } {
  if (t.stage === 'repartition') return { stream: src.repartition!.stream, filter: `${src.repartition!.stream}.${t.index}.*` };
  return { stream: src.stream, filter: `${src.subjectPrefix}.${t.index}` };
}

/** True when a reader of `filter` standing at `seq` has read everything up to `target`: the subject holds nothing more up to there. */
async function nothingBefore(jsm: JetStreamManager, stream: string, filter: string, seq: number, target: number): Promise<boolean> {
  if (seq >= target) return true;
  const next = await jsm.streams.getMessage(stream, { seq: seq + 1, next_by_subj: filter } as never);
  if (next !== null) return next.seq > target;
  // An offset the stream has not reached yet may still go to this subject.
  return (await jsm.streams.info(stream)).state.last_seq >= target;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Answers the group's queries for the tasks this member owns. */
export class QueryResponder {
  private sub: Subscription | null = null;
  /** Requests being answered or answered, per task and epoch: a request sent again is answered once. */
  private readonly answered = new Set<string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly job: GroupJob,
    private readonly names: GroupNames,
    private readonly dir: string,
    private readonly tasks: () => Iterable<PartitionTask>,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(querySubject(this.names), {
      callback: (err, m) => {
        if (err === null && m.reply !== undefined && m.reply !== '') void this.answer(m);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  private async answer(m: Msg): Promise<void> {
    let req: QueryRequest;
    try {
      req = m.json<QueryRequest>();
    } catch {
      return;
    }
    const stage = (req.kind === 'upstream' ? this.job.tasks.filter((t) => t.stage === 'source') : lastStage(this.job)).map(ownerKey);
    const mine = [...this.tasks()].filter((t) => stage.includes(ownerKey(t.task)));
    await Promise.all(mine.map((t) => this.answerTask(t, req, m.reply!)));
  }

  private async answerTask(t: PartitionTask, req: QueryRequest, reply: string): Promise<void> {
    const key = `${req.id}|${ownerKey(t.task)}|${t.epoch}`;
    if (this.answered.has(key)) return;
    this.answered.add(key);
    setTimeout(() => this.answered.delete(key), req.waitMs + 60_000).unref();
    const h = (kind: string) => {
      const out = headers();
      out.set('Sluice-Kind', kind);
      out.set('Sluice-Task', ownerKey(t.task));
      out.set('Sluice-Epoch', String(t.epoch));
      return out;
    };
    try {
      const views = req.kind === 'upstream' ? null : new Set(req.views);
      const until = Date.now() + req.waitMs;
      for (;;) {
        const behind = await this.behind(t, views, req.targets);
        if (behind === null) break;
        if (Date.now() >= until) throw new SluiceError('TIMEOUT', `read-your-writes query gave up after ${req.waitMs} ms: ${behind}`);
        await sleep(20);
      }
      if (req.kind === 'upstream') await this.answerUpstream(t, req, reply, h);
      else await this.answerViews(t, req, reply, h);
    } catch (e) {
      const err = toSluiceError(e);
      this.nc.publish(reply, JSON.stringify({ code: err.code, message: err.message }), { headers: h('error') });
    }
  }

  /** The source stage's task has read the targets: once its sinks hold what they led to, where each repartition stream ends. */
  private async answerUpstream(t: PartitionTask, req: QueryRequest, reply: string, h: (kind: string) => MsgHdrs): Promise<void> {
    if (!(await t.flush())) return;
    const ends: Record<string, number> = {};
    for (const name of Object.keys(req.targets)) {
      const src = sourceNamed(this.job, name);
      if (src?.repartition) ends[src.name] = (await this.jsm.streams.info(src.repartition.stream)).state.last_seq;
    }
    this.nc.publish(reply, JSON.stringify({ ends }), { headers: h('done') });
  }

  private async answerViews(t: PartitionTask, req: QueryRequest, reply: string, h: (kind: string) => MsgHdrs): Promise<void> {
    let dir: string | null = null;
    try {
      mkdirSync(this.dir, { recursive: true });
      dir = mkdtempSync(join(this.dir, 'query-'));
      const params = fromWire(req.params ?? []);
      const found = await t.exportViews(req.views, dir, (view, columns) => filterClause(req.filters?.[view] ?? [], columns, params, quoteIdent));
      // Handed over meanwhile: its new owner answers the request sent again.
      if (found === null) return;
      const chunk = Math.max(64 * 1024, (this.nc.info?.max_payload ?? 1024 * 1024) - 16 * 1024);
      for (const v of found) {
        const bytes = readFileSync(join(dir, `${v}.parquet`));
        for (let at = 0; at === 0 || at < bytes.length; at += chunk) {
          const part = h('part');
          part.set('Sluice-View', v);
          this.nc.publish(reply, bytes.subarray(at, at + chunk), { headers: part });
        }
      }
      this.nc.publish(reply, JSON.stringify({ views: found }), { headers: h('done') });
    } finally {
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Why task t has not yet consumed the targets (through `views`; null: through any reader), or null when it has. */
  private async behind(t: PartitionTask, views: ReadonlySet<string> | null, targets: Readonly<Record<string, number>>): Promise<string | null> {
    for (const [name, target] of Object.entries(targets)) {
      const src = sourceNamed(this.job, name);
      const seq = src === undefined ? null : t.consumedSeq(views, src.name);
      if (src === undefined || seq === null) continue;
      const { stream, filter } = taskSubject(this.job, t.task, src);
      if (await nothingBefore(this.jsm, stream, filter, seq, target)) continue;
      return `${taskLabel(t.task)} has read source '${src.name}' up to sequence ${seq} of stream '${stream}', not yet ${target}`;
    }
    return null;
  }
}

/** What a member needs to ask the group. */
export interface GroupQueryContext {
  readonly nc: NatsConnection;
  readonly store: GroupStore;
  readonly job: GroupJob;
  /** Where the answers' Parquet files are kept while the query runs. */
  readonly dir: string;
  /** The member's own DuckDB, in memory, that runs the query over the answers. */
  readonly db: Database;
}

/** One task's answer as it arrives: views' Parquet in parts, and the closing message's body. */
interface Answer {
  readonly parts: Map<string, Uint8Array[]>;
  body: unknown;
}

/**
 * Runs a pull query over the whole group's views: waits (with `after`) until every task
 * holding them has consumed those offsets, gathers their contents and runs `sql` over them.
 */
export async function queryGroup(ctx: GroupQueryContext, sql: string, params: readonly unknown[], options: QueryOptions): Promise<Row[]> {
  if (typeof sql !== 'string') throw new SluiceError('ARGUMENT', 'query takes SQL text');
  if (!Array.isArray(params)) throw new SluiceError('ARGUMENT', 'query parameters must be an array');
  if (options === null || typeof options !== 'object') throw new SluiceError('ARGUMENT', 'query options must be an object');
  const timeout = options.timeout ?? 10_000;
  if (typeof timeout !== 'number' || !(timeout >= 0)) throw new SluiceError('ARGUMENT', `timeout must be a number of milliseconds >= 0, got ${String(timeout)}`);
  const { job } = ctx;
  const until = Date.now() + timeout;
  const named = namesIn(sql);
  const views = job.views.map((v) => v.toLowerCase()).filter((v) => named.has(v));
  let targets = options.after === undefined ? new Map<string, number>() : afterTargets(options.after, (n) => sourceNamed(job, n)?.name ?? null);
  if (job.repartitions > 0 && targets.size > 0) targets = await throughRepartition(ctx, targets, until, timeout);
  const wire = toWire(params);
  const filters = wireable(viewFilters(sql, views), wire);
  const req: QueryRequest = { id: randomBytes(8).toString('hex'), kind: 'views', views, targets: Object.fromEntries(targets), waitMs: 0, filters, params: wire };
  const answers = views.length === 0 ? new Map<string, Answer>() : await ask(ctx, req, lastStage(job), until, timeout);
  const dir = mkdtempSync(join(ctx.dir, 'answer-'));
  try {
    for (const v of views) {
      const files: string[] = [];
      for (const [task, a] of answers) {
        const parts = a.parts.get(v);
        if (parts === undefined) continue;
        const file = join(dir, `${v}-${task}.parquet`);
        writeFileSync(file, Buffer.concat(parts));
        files.push(file);
      }
      if (files.length > 0) await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(v)} AS SELECT * FROM read_parquet([${files.map(quoteString).join(', ')}])`);
    }
    try {
      const r = await ctx.db.queryReadOnly(sql, params.map(toDuckParamLoose) as never);
      return toApiResult(r).rows;
    } catch (e) {
      throw toSluiceError(e).withSql(sql);
    }
  } finally {
    for (const v of views) await ctx.db.run(`DROP TABLE IF EXISTS temp.${quoteIdent(v)}`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where the repartition streams end once every source partition has read the targets and
 * published the rows they led to: what the last stage must consume (per source).
 */
async function throughRepartition(ctx: GroupQueryContext, targets: Map<string, number>, until: number, timeout: number): Promise<Map<string, number>> {
  const req: QueryRequest = { id: randomBytes(8).toString('hex'), kind: 'upstream', views: [], targets: Object.fromEntries(targets), waitMs: 0 };
  const answers = await ask(ctx, req, ctx.job.tasks.filter((t) => t.stage === 'source'), until, timeout);
  const out = new Map<string, number>();
  for (const a of answers.values()) {
    for (const [source, end] of Object.entries((a.body as { ends: Record<string, number> }).ends)) out.set(source, Math.max(end, out.get(source) ?? 0));
  }
  return out;
}

/** Sends the request until every task in `wanted` has answered (the first complete answer per task counts). */
async function ask(ctx: GroupQueryContext, req: QueryRequest, wanted: readonly TaskRef[], until: number, timeout: number): Promise<Map<string, Answer>> {
  const { nc } = ctx;
  const done = new Map<string, Answer>();
  /** Answers under way, by member connection, task and epoch. */
  const partial = new Map<string, Answer>();
  const inbox = createInbox();
  let sub: Subscription | null = null;
  let resend: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<Map<string, Answer>>((resolve, reject) => {
      const fail = (code: ErrorCode, message: string) => reject(new SluiceError(code, message));
      sub = nc.subscribe(inbox, {
        callback: (err, m) => {
          if (err !== null) return fail('CONNECTOR', `group '${ctx.store.names.group}': ${err.message}`);
          const task = m.headers?.get('Sluice-Task') ?? '';
          const key = `${task}|${m.headers?.get('Sluice-Epoch') ?? ''}`;
          const kind = m.headers?.get('Sluice-Kind');
          if (done.has(task)) return;
          if (kind === 'error') {
            const e = m.json<{ code: ErrorCode; message: string }>();
            return fail(e.code, e.message);
          }
          let a = partial.get(key);
          if (a === undefined) partial.set(key, (a = { parts: new Map(), body: null }));
          if (kind === 'part') {
            const view = m.headers!.get('Sluice-View');
            const list = a.parts.get(view) ?? [];
            list.push(m.data.slice());
            a.parts.set(view, list);
          } else if (kind === 'done') {
            a.body = m.json();
            done.set(task, a);
            if (wanted.every((t) => done.has(ownerKey(t)))) resolve(done);
          }
        },
      });
      const send = () => nc.publish(querySubject(ctx.store.names), JSON.stringify({ ...req, waitMs: Math.max(0, until - Date.now()) }), { reply: inbox });
      send();
      // A task being handed over answers from its new owner: ask again while some are missing.
      resend = setInterval(send, 1000);
      timer = setTimeout(() => {
        const missing = wanted.filter((t) => !done.has(ownerKey(t))).map(taskLabel);
        fail('TIMEOUT', `group query gave up after ${timeout} ms: no member answered for ${missing.join(', ')} (is a member running that owns it?)`);
      }, Math.max(0, until - Date.now()));
    });
  } finally {
    clearInterval(resend);
    clearTimeout(timer);
    (sub as Subscription | null)?.unsubscribe();
  }
}
