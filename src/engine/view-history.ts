/**
 * Bounded time travel (SPEC 2.7): at checkpoints a materialized view's state, contents and
 * position are retained as a snapshot, so `v AS OF …` restores the nearest snapshot at or
 * before the point and replays only the log after it, not the log from its start.
 *
 * Snapshots are spaced by the events a view took (a new one once it took a tenth more than
 * at the last, and at least four per entry of its state: a snapshot costs about the state's
 * size to write and restore, a replay about its events), and at most {@link MAX_SNAPSHOTS} are kept per view: past that, the one whose
 * neighbours lie closest together goes, so the gaps stay even. `retain_history` bounds how
 * far back AS OF may read: points before the view's newest event time minus it are refused
 * (ARGUMENT, naming the oldest point), and snapshots older than that are dropped, all but
 * the newest of them (the start of a replay to the oldest point still allowed).
 *
 * Only file-backed engines retain snapshots (in memory no operator state is written), and
 * only views reading logged sources directly: anything else replays from the start.
 */
import { stateFits } from './state-fit.js';
import type { ViewDef } from '../catalog/definitions.js';
import { SluiceError } from '../errors.js';
import { arrowSchema, makeRecordBatch } from '../exec/batch.js';
import type { Emitter } from '../exec/operator.js';
import type { Pipeline, SourceInput } from '../exec/pipeline.js';
import { formatDuration } from '../plan/format-expr.js';
import { formatIsoTimestamp } from '../plan/functions.js';
import type { LogicalPlan, ReplayLimit } from '../plan/logical-plan.js';
import { transformUp } from '../plan/rewrite.js';
import { historyTable, type CheckpointStore, type HistoryInput, type HistorySnapshot } from '../state/checkpoint-store.js';
import type { Database } from '../state/database.js';
import { quoteIdent } from '../state/database.js';
import { logTableName } from '../catalog/table-names.js';
import type { SourceRuntime } from './source-runtime.js';
import type { ViewRuntime } from './view-runtime.js';

/** Retained snapshots per view, at most. */
export const MAX_SNAPSHOTS = 16;

/** A snapshot is taken once the view took this many events per entry of its state since the last. */
export const SNAPSHOT_EVENTS_PER_ENTRY = 4;

/** How the engine lets this module build and feed a replay pipeline. */
export interface ReplayHost {
  readonly db: Database;
  readonly checkpoints: CheckpointStore;
  source(name: string): SourceRuntime | undefined;
  newPipeline(plan: LogicalPlan, out: Emitter): Pipeline;
  batchSize(): number;
}

/** The view's source inputs, or null when it reads anything else (a view, constant rows) or an unlogged source. */
function sourceInputs(rt: ViewRuntime, host: Pick<ReplayHost, 'source'>): SourceInput[] | null {
  const inputs = rt.pipeline?.inputs ?? [];
  if (inputs.length === 0 || inputs.some((i) => i.kind !== 'source' || !host.source(i.source)?.log)) return null;
  return inputs as SourceInput[];
}

function maxTime(input: SourceInput): number | null {
  let max = -Infinity;
  for (const [, m] of input.tracker.save().partitions) if (m !== null && m > max) max = m;
  return Number.isFinite(max) ? max : null;
}

/** The newest event time the view has taken over all its inputs (null: none). */
function newestTime(inputs: readonly (HistoryInput | SourceInput)[]): number | null {
  let max: number | null = null;
  for (const i of inputs) {
    const t = 'tracker' in i ? maxTime(i) : i.maxTime;
    if (t !== null && (max === null || t > max)) max = t;
  }
  return max;
}

export class ViewHistory {
  /** Events taken at each view's last retained snapshot (loaded on first use). */
  private readonly lastConsumed = new Map<string, number>();

  constructor(private readonly host: ReplayHost) {}

  /** At a checkpoint, after the view's state and contents are written: retains a snapshot if due. */
  async retain(rt: ViewRuntime): Promise<void> {
    const inputs = sourceInputs(rt, this.host);
    if (!inputs) return;
    const consumed = inputs.reduce((n, i) => n + i.lastOffset + 1, 0);
    const name = rt.def.name;
    let snaps: HistorySnapshot[] | null = null;
    if (!this.lastConsumed.has(name)) {
      snaps = await this.host.checkpoints.snapshots(name);
      this.lastConsumed.set(name, snaps.at(-1)?.consumed ?? 0);
    }
    const last = this.lastConsumed.get(name)!;
    // Restoring costs about the state's size, replaying about the events: a snapshot pays off
    // only after many more events than the view holds entries.
    const since = consumed - last;
    if (since <= 0 || since < last / 10 || since < SNAPSHOT_EVENTS_PER_ENTRY * rt.pipeline!.stateSize()) return;
    const r = await this.host.db.query(`SELECT coalesce(max(id), 0) + 1 FROM sluice_history`);
    const id = Number(r.rows[0]![0]);
    const snap: HistorySnapshot = {
      view: name,
      id,
      consumed,
      inputs: inputs.map((i) => ({ source: i.source, lastOffset: i.lastOffset, maxTime: maxTime(i) })),
    };
    await this.host.checkpoints.retainSnapshot(snap, quoteIdent(name));
    this.lastConsumed.set(name, consumed);
    await this.thin(rt.def, [...(snaps ?? (await this.host.checkpoints.snapshots(name)).filter((s) => s.id !== id)), snap], newestTime(snap.inputs));
  }

  /** Drops snapshots beyond retain_history and beyond the count bound. */
  private async thin(def: ViewDef, snaps: HistorySnapshot[], newest: number | null): Promise<void> {
    const drop = async (s: HistorySnapshot) => {
      await this.host.checkpoints.dropSnapshot(def.name, s.id);
      snaps.splice(snaps.indexOf(s), 1);
    };
    if (def.retainHistoryMs !== undefined && newest !== null) {
      const oldest = newest - def.retainHistoryMs;
      const before = snaps.filter((s) => (newestTime(s.inputs) ?? -Infinity) <= oldest);
      for (const s of before.slice(0, -1)) await drop(s);
    }
    while (snaps.length > MAX_SNAPSHOTS) {
      let best = 1;
      for (let i = 2; i < snaps.length - 1; i++) {
        if (snaps[i + 1]!.consumed - snaps[i - 1]!.consumed < snaps[best + 1]!.consumed - snaps[best - 1]!.consumed) best = i;
      }
      await drop(snaps[best]!);
    }
  }

  /** Drops a view's snapshots (the view is dropped or replaced). */
  async forget(view: string): Promise<void> {
    this.lastConsumed.delete(view);
    await this.host.checkpoints.dropHistory(view);
  }

  /** Refuses a point before the view's retained history (ARGUMENT, naming the oldest point available). */
  async checkRetained(rt: ViewRuntime, limit: ReplayLimit): Promise<void> {
    const ms = rt.def.retainHistoryMs;
    const inputs = (rt.pipeline?.inputs ?? []).filter((i): i is SourceInput => i.kind === 'source');
    const newest = newestTime(inputs);
    if (ms === undefined || newest === null) return;
    const oldest = newest - ms;
    const span = `view '${rt.def.name}' keeps ${formatDuration(ms)} of history (retain_history)`;
    if (limit.by === 'TIMESTAMP') {
      if (limit.value < oldest) {
        throw new SluiceError('ARGUMENT', `${span}: AS OF TIMESTAMP '${formatIsoTimestamp(limit.value)}' is before the oldest point available, '${formatIsoTimestamp(oldest)}'`);
      }
      return;
    }
    // An offset is judged by its event's time: the oldest available is the first event at or after the bound.
    for (const input of inputs) {
      const col = input.node.watermark ? input.node.schema[input.node.watermark.column]!.name : null;
      if (col === null) continue;
      // The archive too (retention): an archived event still has its time.
      const table = this.host.source(input.source)?.log?.relation() ?? quoteIdent(logTableName(input.source));
      const r = await this.host.db.query(
        `SELECT (SELECT epoch_ms(${quoteIdent(col)}) FROM ${table} WHERE sluice_offset = ${limit.value}), (SELECT min(sluice_offset) FROM ${table} WHERE epoch_ms(${quoteIdent(col)}) >= ${oldest})`,
      );
      const [at, first] = r.rows[0]!.map((v) => (v === null ? null : Number(v)));
      if (at !== null && at !== undefined && at < oldest) {
        throw new SluiceError('ARGUMENT', `${span}: AS OF OFFSET ${limit.value} is before the oldest point available, offset ${first} ('${formatIsoTimestamp(oldest)}')`);
      }
    }
  }

  /**
   * Answers `view AS OF limit` from the nearest retained snapshot at or before the point:
   * the snapshot's contents go to `out` as inserts, then the changes of a replay of the log
   * after it. False (nothing sent) when no snapshot applies.
   */
  async replay(rt: ViewRuntime, limit: ReplayLimit, out: Emitter): Promise<boolean> {
    const live = sourceInputs(rt, this.host);
    if (!live) return false;
    const before = (s: HistorySnapshot) =>
      s.inputs.length === live.length &&
      s.inputs.every((i, k) => i.source === live[k]!.source && (limit.by === 'OFFSET' ? i.lastOffset <= limit.value : i.maxTime === null || i.maxTime <= limit.value));
    const snap = (await this.host.checkpoints.snapshots(rt.def.name)).filter(before).at(-1);
    if (!snap) return false;
    const plan = transformUp(rt.pipeline!.plan, (n) => (n.kind === 'Scan' ? { ...n, until: limit } : n));
    const pipeline = this.host.newPipeline(plan, out);
    try {
      const state = await this.host.checkpoints.snapshotState(rt.def.name, snap.id);
      // A snapshot written for another plan cannot seed this one: the caller replays from the start.
      if (!stateFits(state, rt.pipeline!)) return false;
      pipeline.restoreEntries(state);
      const schema = rt.def.schema;
      const arrow = arrowSchema(schema);
      const cols = schema.map((c) => quoteIdent(c.name)).join(', ');
      for await (const { columns, length } of this.host.db.readColumns(`SELECT ${cols} FROM ${historyTable(snap.id)}`, schema.map((c) => c.type))) {
        if (length > 0) out.push({ data: makeRecordBatch(arrow, columns, length), length, ops: null, wm: null, wmConst: -Infinity, origin: null });
      }
      const inputs = pipeline.inputs as SourceInput[];
      for (let k = 0; k < inputs.length; k++) {
        const input = inputs[k]!;
        input.lastOffset = snap.inputs[k]!.lastOffset;
        await this.host.source(input.source)!.catchUp([input], this.host.batchSize(), limit, snap.inputs[k]!.lastOffset + 1);
      }
    } finally {
      pipeline.close();
    }
    return true;
  }
}
