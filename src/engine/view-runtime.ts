/**
 * A materialized view while the engine runs: its pipeline, its contents (a DuckDB table
 * kept current lazily), and everyone who follows its changes: downstream views, sinks and
 * API subscribers.
 */
import type { ViewDef } from '../catalog/definitions.js';
import { batchFromRows, type ChangeBatch } from '../exec/batch.js';
import type { Emitter } from '../exec/operator.js';
import type { Pipeline, ViewInput } from '../exec/pipeline.js';
import { pushViewTogether, siblingGroups } from '../exec/co-fed.js';
import type { Database } from '../state/database.js';
import { quoteIdent } from '../state/database.js';
import { ViewTable, type ChangeCause } from '../state/view-table.js';

export type ChangeListener = (batch: ChangeBatch) => void;

export class ViewRuntime implements Emitter {
  readonly table: ViewTable;
  readonly downstream = new Set<ViewInput>();
  readonly listeners = new Set<ChangeListener>();
  pipeline: Pipeline | null = null;
  /** The last watermark of the view's output. */
  watermarkOut = -Infinity;
  /** Changes emitted since the engine opened (metrics). */
  changes = 0;

  constructor(
    readonly def: ViewDef,
    private readonly db: Database,
    /** The running view of a name (for the source offsets of a view over views). */
    private readonly upstream: (view: string) => ViewRuntime | undefined,
  ) {
    this.table = new ViewTable(db, def.name, def.schema, def.appendOnly, def.uniqueKey);
  }

  /**
   * Where the view stands in each source it reads, directly or through other views: the
   * offset of the last event it has taken. Its changes so far follow from those events.
   */
  sourceOffsets(into = new Map<string, number>()): Map<string, number> {
    for (const input of this.pipeline?.inputs ?? []) {
      if (input.kind === 'source') {
        if (input.lastOffset >= 0 && !(into.get(input.source)! >= input.lastOffset)) into.set(input.source, input.lastOffset);
      } else if (input.kind === 'view') this.upstream(input.view)?.sourceOffsets(into);
    }
    return into;
  }

  /**
   * The event that made the view emit now: of the source inputs it reads (directly or through
   * other views), the one that moved last, at the last event it took. A change computed from
   * many events (an aggregate over a batch, a window closed by the watermark, a join) is named
   * after it; a change that carries its own event (see ChangeBatch.origin) after that one.
   */
  cause(): (ChangeCause & { readonly at: number }) | null {
    let best: (ChangeCause & { readonly at: number }) | null = null;
    for (const input of this.pipeline?.inputs ?? []) {
      let c: (ChangeCause & { readonly at: number }) | null = null;
      if (input.kind === 'source') {
        const offset = input.trigger >= 0 ? input.trigger : input.lastOffset;
        if (offset >= 0) c = { source: input.source, offset, at: input.triggeredAt };
      } else if (input.kind === 'view') c = this.upstream(input.view)?.cause() ?? null;
      if (c !== null && (best === null || c.at > best.at)) best = c;
    }
    return best;
  }

  /** Whether the view reads `source`, directly or through other views. */
  readsSource(source: string): boolean {
    for (const input of this.pipeline?.inputs ?? []) {
      if (input.kind === 'source' ? input.source === source : input.kind === 'view' && this.upstream(input.view)?.readsSource(source)) return true;
    }
    return false;
  }

  push(batch: ChangeBatch): void {
    this.changes += batch.length;
    this.table.apply(batch, this.sourceOffsets(), this.cause());
    // Inputs of one pipeline that read this view take the batch together (co-fed.ts).
    for (const group of siblingGroups(this.downstream)) {
      if (group.length === 1) group[0]!.push(batch);
      else pushViewTogether(group, batch);
    }
    for (const l of this.listeners) l(batch);
  }

  watermark(wm: number): void {
    this.watermarkOut = wm;
    for (const d of this.downstream) d.watermark(wm);
  }

  /** The current contents as one insert batch (for a follower that joins now). */
  async snapshot(): Promise<ChangeBatch> {
    await this.table.flush();
    const r = await this.db.query(`SELECT * FROM ${quoteIdent(this.def.name)}`);
    const data = batchFromRows(this.def.schema, r.rows);
    return { data, length: r.rows.length, ops: null, wm: null, wmConst: this.watermarkOut, origin: null };
  }

  /** Starts following the view: its contents so far as inserts, then every change. */
  async follow(input: ViewInput): Promise<void> {
    await this.followTogether([input]);
  }

  /**
   * Several inputs of one pipeline start following the view together: each takes the
   * contents so far before any of them moves its watermark (co-fed.ts).
   */
  async followTogether(inputs: readonly ViewInput[]): Promise<void> {
    const snap = await this.snapshot();
    // The rows so far count as on time (stamped below every watermark), as they were when
    // this view emitted them: an EMIT ON WINDOW CLOSE row is never late for the windows
    // downstream of it, so a follower that joins now computes what it would have from the start.
    if (snap.length > 0) for (const input of inputs) input.push({ ...snap, wmConst: -Infinity });
    for (const input of inputs) this.downstream.add(input);
    if (this.watermarkOut > -Infinity) for (const input of inputs) input.watermark(this.watermarkOut);
  }
}
