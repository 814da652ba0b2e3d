/**
 * A materialized view while the engine runs: its pipeline, its contents (a DuckDB table
 * kept current lazily), and everyone who follows its changes: downstream views, sinks and
 * API subscribers.
 */
import type { ViewDef } from '../catalog/definitions.js';
import { batchFromRows, type ChangeBatch } from '../exec/batch.js';
import type { Emitter } from '../exec/operator.js';
import type { Pipeline, ViewInput } from '../exec/pipeline.js';
import type { Database } from '../state/database.js';
import { quoteIdent } from '../state/database.js';
import { ViewTable } from '../state/view-table.js';

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
  ) {
    this.table = new ViewTable(db, def.name, def.schema, def.appendOnly, def.uniqueKey);
  }

  push(batch: ChangeBatch): void {
    this.changes += batch.length;
    this.table.apply(batch);
    for (const d of this.downstream) d.push(batch);
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
    const snap = await this.snapshot();
    // The rows so far count as on time (stamped below every watermark), as they were when
    // this view emitted them: an EMIT ON WINDOW CLOSE row is never late for the windows
    // downstream of it, so a follower that joins now computes what it would have from the start.
    if (snap.length > 0) input.push({ ...snap, wmConst: -Infinity });
    this.downstream.add(input);
    if (this.watermarkOut > -Infinity) input.watermark(this.watermarkOut);
  }
}
