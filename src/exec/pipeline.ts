/**
 * The physical plan of one query: its operators wired into a tree and the entry points
 * (sources, upstream views, constant rows) the engine feeds. Built from a logical plan node
 * by node; every operator gets a stable id (its path in the tree) for snapshots.
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../errors.js';
import type { LogicalPlan, ScanNode, ValuesNode, ViewScanNode } from '../plan/logical-plan.js';
import type { Value } from '../types.js';
import { arrowSchema, columnsOf, makeRecordBatch, type ChangeBatch } from './batch.js';
import { concatChanges } from './batch-ops.js';
import { compileExpr } from './expr/compile.js';
import type { Emitter, Operator, OperatorContext, StateDelta } from './operator.js';
import { FilterOperator } from './operators/filter.js';
import { JoinOperator } from './operators/join.js';
import { TemporalJoinOperator } from './operators/temporal-join.js';
import { canUsePanes, HopPaneAggregateOperator } from './operators/hop-pane-aggregate.js';
import { MatchRecognizeOperator } from './operators/match-recognize/match-recognize.js';
import { OverAggregateOperator } from './operators/over-aggregate.js';
import { OverChangelogOperator } from './operators/over-changelog.js';
import { OverRowsChangelogOperator, overRowsChangelogFits } from './operators/over-rows-changelog.js';
import { GroupAggregateOperator } from './operators/group-aggregate.js';
import { PassThroughOperator } from './operators/pass-through.js';
import { ProjectOperator } from './operators/project.js';
import { SessionAggregateOperator } from './operators/session-aggregate.js';
import { SessionChangelogOperator } from './operators/session-changelog.js';
import { SetOpOperator } from './operators/set-operation.js';
import { SemiJoinOperator } from './operators/semi-join.js';
import { TopNOperator } from './operators/top-n.js';
import { DeduplicateOperator } from './operators/deduplicate.js';
import { deduplication } from '../plan/deduplicate.js';
import { UnionOperator } from './operators/union.js';
import { WindowAggregateOperator } from './operators/window-aggregate.js';
import { WindowAssignOperator } from './operators/window-assign.js';
import { WatermarkTracker, type RowPartitions } from './watermark-tracker.js';
import { FanOut, subplanKey } from './shared-subplans.js';
import { walkPlan } from '../plan/logical-plan.js';
import { planSignature } from '../plan/plan-signature.js';

/** Orders the moves of all source inputs, so a change can name the input that caused it. */
let inputClock = 0;

/** Where a source's events enter a pipeline. */
export class SourceInput {
  readonly kind = 'source';
  readonly tracker: WatermarkTracker;
  private readonly schema;
  /** The column of the source batch the watermark follows, or -1. */
  private readonly wmSourceColumn: number;

  /**
   * The inputs of this pipeline that read the same source (this one among them), when there
   * are several: they take each batch together (see co-fed.ts); null when this is the only one.
   */
  siblings: readonly SourceInput[] | null = null;
  /** The pipeline, when it has siblings (it holds its output while they take a batch). */
  pipeline: Pipeline | null = null;

  constructor(
    readonly node: ScanNode,
    readonly out: Emitter,
    idleTimeoutMs: number | null,
  ) {
    this.tracker = new WatermarkTracker(node.watermark ? node.watermark.delayMs : null, idleTimeoutMs);
    this.schema = arrowSchema(node.schema);
    this.wmSourceColumn = node.watermark ? node.columns[node.watermark.column]! : -1;
  }

  /** The offset of the last event taken (-1: none yet): where the pipeline stands in the source. */
  lastOffset = -1;
  /** The last event that moved this input (a batch's last event, or the one before a watermark move) and when, on `inputClock`. */
  trigger = -1;
  triggeredAt = 0;

  get source(): string {
    return this.node.source;
  }

  /** Takes a batch of the source's events (all source columns) with their offsets, from one partition or several. */
  push(batch: RecordBatch, offsets: Float64Array, now: number, partition: string | RowPartitions = ''): void {
    const taken = this.take(batch, offsets, now, partition);
    if (taken === null) return;
    this.out.push(taken);
    this.catchUpWatermark(taken.wmConst);
  }

  /**
   * Takes a batch in (its rows move the watermark tracker and the offsets) and returns it as
   * this input's rows, for the caller to push; null when it has no rows.
   */
  take(batch: RecordBatch, offsets: Float64Array, now: number, partition: string | RowPartitions = ''): ChangeBatch | null {
    const n = batch.numRows;
    if (n === 0) return null;
    const all = columnsOf(batch);
    const before = this.tracker.current;
    const wm = this.tracker.observe(this.wmSourceColumn >= 0 ? all[this.wmSourceColumn]! : null, n, now, partition);
    const data = makeRecordBatch(this.schema, this.node.columns.map((c) => all[c]!), n);
    if (offsets[n - 1]! > this.lastOffset) this.lastOffset = offsets[n - 1]!;
    this.trigger = offsets[n - 1]!;
    this.triggeredAt = ++inputClock;
    return { data, length: n, ops: null, wm, wmConst: before, origin: { source: this.node.source, offsets } };
  }

  /** After a taken batch was pushed: moves the watermark to where its rows left the tracker, if `given` is below. */
  catchUpWatermark(given: number): void {
    if (this.tracker.current > given) this.out.watermark(this.tracker.current);
  }

  /** Moves the watermark (manual advance, end of stream, idleness). */
  advance(update: (t: WatermarkTracker) => boolean): void {
    if (!update(this.tracker)) return;
    this.triggeredAt = ++inputClock;
    this.out.watermark(this.tracker.current);
  }
}

/** Where an upstream materialized view's changes enter a pipeline. */
export class ViewInput {
  readonly kind = 'view';
  private readonly schema;
  /** The inputs of this pipeline that read the same view, when there are several (see co-fed.ts). */
  siblings: readonly ViewInput[] | null = null;
  /** The pipeline, when it has siblings (it holds its output while they take a batch). */
  pipeline: Pipeline | null = null;
  /** The last watermark passed on (pieces of a batch may have passed its rows' watermarks on already). */
  lastWatermark = -Infinity;
  /** Where the view's rows go, as this input's columns; its watermarks pass only when they advance. */
  readonly out: Emitter;

  constructor(
    readonly node: ViewScanNode,
    out: Emitter,
  ) {
    this.schema = arrowSchema(node.schema);
    this.out = {
      push: (b) => out.push(b),
      watermark: (wm) => {
        if (wm <= this.lastWatermark) return;
        this.lastWatermark = wm;
        out.watermark(wm);
      },
    };
  }

  get view(): string {
    return this.node.view;
  }

  push(batch: ChangeBatch): void {
    this.out.push(this.take(batch));
  }

  /** The view's change batch as this input's rows (its columns). */
  take(batch: ChangeBatch): ChangeBatch {
    const all = columnsOf(batch);
    return { ...batch, data: makeRecordBatch(this.schema, this.node.columns.map((c) => all[c]!), batch.length) };
  }

  watermark(wm: number): void {
    this.out.watermark(wm);
  }
}

/** Constant rows (SELECT without FROM): pushed once, then the input ends. */
export class ValuesInput {
  readonly kind = 'values';

  constructor(
    readonly node: ValuesNode,
    private readonly out: Emitter,
    private readonly params: readonly Value[],
  ) {}

  start(): void {
    const n = this.node.rows.length;
    const schema = arrowSchema(this.node.schema);
    // Rows are few: each cell is evaluated on its own, one one-row batch per row.
    const cols = this.node.schema.map((_, j) => this.node.rows.map((r) => compileExpr(r[j]!).evaluate([], 1, this.params)));
    for (let i = 0; i < n; i++) {
      const data = makeRecordBatch(schema, cols.map((c) => c[i]!), 1);
      this.out.push({ data, length: 1, ops: null, wm: null, wmConst: -Infinity, origin: null });
    }
    this.out.watermark(Infinity);
  }
}

export type PipelineInput = SourceInput | ViewInput | ValuesInput;

export interface PipelineOptions {
  readonly ctx: OperatorContext;
  readonly params?: readonly Value[];
  /** idle_timeout per source, in ms. */
  readonly idleTimeout?: (source: string) => number | null;
}

export class Pipeline {
  readonly inputs: PipelineInput[] = [];
  readonly operators: { readonly id: string; readonly op: Operator }[] = [];
  /** Whether any input reached the pipeline since its last checkpoint (nothing to write otherwise). */
  dirty = true;
  /** Subplans built so far, by structure: a repeat is fed from the first (see shared-subplans.ts). */
  private readonly built = new Map<string, FanOut>();
  /**
   * Each input's number as if no subplan were shared (what snapshots name it by: `input.N`),
   * so checkpoints written before sharing, or by a build that shared less, restore into the
   * same inputs.
   */
  private readonly inputNumbers: number[] = [];
  private nextInput = 0;
  private readonly options: PipelineOptions;
  /**
   * While set, the pipeline's output and its late-event records go nowhere: its state is
   * being rebuilt by replaying input whose output the view holds already.
   */
  muted = false;
  private planShape: string | null = null;
  private readonly out: Emitter;
  /** While above 0, the output is held (see held). */
  private holding = 0;
  private heldRows: ChangeBatch[] = [];
  private heldWatermark: number | null = null;

  constructor(
    readonly plan: LogicalPlan,
    out: Emitter,
    options: PipelineOptions,
  ) {
    const ctx = options.ctx;
    this.options = { ...options, ctx: { owner: ctx.owner, recordLate: (r) => {
          if (!this.muted) ctx.recordLate(r);
        },
      },
    };
    // Watermarks pass even when muted: whoever follows keeps the highest one it was given.
    const top: Emitter = {
      push: (b) => {
        if (this.muted) return;
        if (this.holding > 0) this.heldRows.push(b);
        else out.push(b);
      },
      watermark: (w) => {
        if (this.holding > 0) this.heldWatermark = w;
        else out.watermark(w);
      },
    };
    this.out = out;
    this.build(plan, top, '0');
    this.linkSiblings();
  }

  /**
   * Runs `f` (one batch going through in pieces, co-fed.ts) with the output held, so what
   * follows (the view's table and audit trail, subscribers) takes it as one batch with the
   * rows' watermarks, then the last watermark, instead of a batch per piece. Calls nest.
   */
  held(f: () => void): void {
    this.holding++;
    try {
      f();
    } finally {
      if (--this.holding === 0) this.releaseHeld();
    }
  }

  private releaseHeld(): void {
    const rows = this.heldRows;
    const wm = this.heldWatermark;
    this.heldRows = [];
    this.heldWatermark = null;
    if (rows.length > 0) this.out.push(concatChanges(rows));
    if (wm !== null) this.out.watermark(wm);
  }

  /** Marks the inputs that read the same source (at the same point in time) or the same view. */
  private linkSiblings(): void {
    const groups = new Map<string, (SourceInput | ViewInput)[]>();
    for (const input of this.inputs) {
      if (input.kind === 'values') continue;
      const key = input.kind === 'source' ? `s ${input.source} ${JSON.stringify(input.node.until ?? null)}` : `v ${input.view}`;
      const g = groups.get(key);
      if (g) g.push(input);
      else groups.set(key, [input]);
    }
    for (const g of groups.values()) {
      if (g.length < 2) continue;
      for (const input of g) {
        input.pipeline = this;
        if (input.kind === 'source') input.siblings = g as SourceInput[];
        else input.siblings = g as ViewInput[];
      }
    }
  }

  /** The plan's signature, stored with each checkpoint (see plan-signature.ts). */
  get signature(): string {
    return (this.planShape ??= planSignature(this.plan));
  }

  private build(p: LogicalPlan, out: Emitter, id: string): void {
    const key = subplanKey(p);
    if (key !== null) {
      const shared = this.built.get(key);
      if (shared) {
        // The inputs its own copy would have had keep their numbers.
        walkPlan(p, (n) => {
          if (n.kind === 'Scan' || n.kind === 'ViewScan' || n.kind === 'Values') this.nextInput++;
        });
        return shared.add(out);
      }
      const fan = new FanOut(out, this, p.schema);
      this.built.set(key, fan);
      out = fan;
    }
    const ctx = this.options.ctx;
    const params = this.options.params ?? [];
    const add = (op: Operator, inputs: readonly LogicalPlan[]) => {
      this.operators.push({ id, op });
      inputs.forEach((input, i) =>
        this.build(input, { push: (b) => op.process(b, i), watermark: (w) => op.onWatermark(w, i) }, `${id}.${i}`),
      );
    };
    const touch: Emitter = {
      push: (b) => {
        this.dirty = true;
        out.push(b);
      },
      watermark: (w) => {
        this.dirty = true;
        out.watermark(w);
      },
    };
    switch (p.kind) {
      case 'Scan':
        this.inputs.push(new SourceInput(p, touch, this.options.idleTimeout?.(p.source) ?? null));
        this.inputNumbers.push(this.nextInput++);
        return;
      case 'ViewScan':
        this.inputs.push(new ViewInput(p, touch));
        this.inputNumbers.push(this.nextInput++);
        return;
      case 'Values':
        this.inputs.push(new ValuesInput(p, touch, params));
        this.inputNumbers.push(this.nextInput++);
        return;
      case 'Filter':
        return add(new FilterOperator(out, p.predicate, params), [p.input]);
      case 'Project':
        return add(new ProjectOperator(out, p.exprs, p.schema, params), [p.input]);
      case 'WindowTvf':
        if (p.window.kind === 'SESSION') {
          throw new SluiceError('UNSUPPORTED', 'SESSION windows must be aggregated (GROUP BY window_start, window_end)');
        }
        return add(new WindowAssignOperator(out, p.window, p.schema), [p.input]);
      case 'Aggregate':
        return add(new GroupAggregateOperator(out, p), [p.input]);
      case 'WindowAggregate':
        return add(
          p.window.kind === 'SESSION'
            ? p.input.appendOnly
              ? new SessionAggregateOperator(out, p, ctx)
              : new SessionChangelogOperator(out, p, ctx)
            : canUsePanes(p)
              ? new HopPaneAggregateOperator(out, p, ctx)
              : new WindowAggregateOperator(out, p, ctx),
          [p.input],
        );
      case 'UnionAll':
        return add(new UnionOperator(out, p.inputs.length), p.inputs);
      case 'TopN': {
        const dedup = deduplication(p);
        return add(
          dedup !== null
            ? new DeduplicateOperator(out, p, dedup === 'first', ctx)
            : p.limit === null && p.offset === 0 && p.partitionBy.length === 0 && p.rowNumber === null
              ? new PassThroughOperator(out)
              : new TopNOperator(out, p),
          [p.input],
        );
      }
      case 'Join':
        return add(new JoinOperator(out, p, params), [p.left, p.right]);
      case 'TemporalJoin':
        return add(new TemporalJoinOperator(out, p, ctx, params), [p.left, p.right]);
      case 'SetOp':
        return add(new SetOpOperator(out, p), [p.input]);
      case 'MatchRecognize':
        return add(new MatchRecognizeOperator(out, p, ctx, params), [p.input]);
      case 'SemiJoin':
        return add(new SemiJoinOperator(out, p), [p.left, p.right]);
      case 'Over':
        // Final once the watermark passes a row (event-time order, append-only input), or a changelog.
        if (p.appendOnly) return add(new OverAggregateOperator(out, p, ctx), [p.input]);
        return add(overRowsChangelogFits(p) ? new OverRowsChangelogOperator(out, p) : new OverChangelogOperator(out, p), [p.input]);
    }
  }

  /** Starts the operators (a global aggregate emits its row), then pushes constant rows (SELECT without FROM). */
  start(): void {
    for (const { op } of this.operators) op.start?.();
    for (const i of this.inputs) if (i.kind === 'values') i.start();
  }

  sourceInputs(source: string): SourceInput[] {
    return this.inputs.filter((i): i is SourceInput => i.kind === 'source' && i.source === source);
  }

  viewInputs(view: string): ViewInput[] {
    return this.inputs.filter((i): i is ViewInput => i.kind === 'view' && i.view === view);
  }

  stateSize(): number {
    return this.operators.reduce((n, o) => n + o.op.stateSize(), 0);
  }

  /** Every operator's state and every source input's watermark, by id. */
  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { id, op } of this.operators) out[id] = op.snapshot();
    this.inputs.forEach((input, i) => {
      if (input.kind === 'source') out[`input.${this.inputNumbers[i]}`] = input.tracker.save();
    });
    return out;
  }

  /** What changed since the last checkpoint, per operator id (inputs as `input.N`). */
  checkpointDelta(): Map<string, StateDelta> {
    this.dirty = false;
    const out = new Map<string, StateDelta>();
    // Marks the pipeline as checkpointed even when no operator holds state (a sink of a view).
    out.set('pipeline', { full: true, puts: [['', { operators: this.operators.length, plan: this.signature }]], deletes: [] });
    for (const { id, op } of this.operators) {
      out.set(id, op.checkpointDelta ? op.checkpointDelta() : { full: true, puts: [['', op.snapshot()]], deletes: [] });
    }
    this.inputs.forEach((input, i) => {
      if (input.kind === 'source') out.set(`input.${this.inputNumbers[i]}`, { full: true, puts: [['', input.tracker.save()]], deletes: [] });
    });
    return out;
  }

  /** Restores from stored entries: operator id → key → value. */
  restoreEntries(state: ReadonlyMap<string, ReadonlyMap<string, unknown>>): void {
    for (const { id, op } of this.operators) {
      const entries = state.get(id);
      if (!entries) continue;
      if (op.restoreEntries) op.restoreEntries(entries);
      else if (entries.get('') !== undefined && entries.get('') !== null) op.restore(entries.get(''));
    }
    this.inputs.forEach((input, i) => {
      const s = state.get(`input.${this.inputNumbers[i]}`)?.get('');
      if (input.kind === 'source' && s) input.tracker.load(s as never);
    });
  }

  restore(state: Record<string, unknown>): void {
    for (const { id, op } of this.operators) if (state[id] !== undefined && state[id] !== null) op.restore(state[id]);
    this.inputs.forEach((input, i) => {
      const s = state[`input.${this.inputNumbers[i]}`];
      if (input.kind === 'source' && s) input.tracker.load(s as never);
    });
  }

  close(): void {
    for (const { op } of this.operators) op.close();
  }
}
