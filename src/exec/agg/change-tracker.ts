/**
 * Turns group updates into a changelog (EMIT CHANGES): remembers each group's result before
 * the first change of a batch, and after the batch emits -U/+U for a changed group, +I for a
 * new one, -D for one that vanished, and nothing for one whose result did not change.
 */
import type { Value } from '../../types.js';
import { OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE } from '../batch.js';
import { grown } from './accumulator.js';
import type { GroupTable } from './group-table.js';

/** Receives a row of results in an array reused for the next call: use it before returning. */
export type EmitRow = (g: number, op: number, values: readonly Value[]) => void;

export class ChangeTracker {
  private stamp = new Int32Array(16);
  private emitted = new Uint8Array(16);
  private epoch = 0;
  private touched: number[] = [];
  /** Per touched group: whether it had been emitted, and then its results before the batch at k * aggs. */
  private had = new Uint8Array(16);
  /** Reused across batches (written densely in order) so a batch allocates no per-group arrays. */
  private readonly before: Value[] = [];
  private readonly oldRow: Value[] = [];
  private readonly newRow: Value[] = [];

  private fit(cap: number): void {
    this.stamp = grown(this.stamp, cap);
    this.emitted = grown(this.emitted, cap);
  }

  begin(): void {
    this.epoch++;
    this.touched.length = 0;
  }

  /** Notes the groups rows are about to change (call before updating the table). */
  touch(gids: Int32Array, n: number, table: GroupTable): void {
    this.fit(table.keys.capacity);
    const stamp = this.stamp;
    const epoch = this.epoch;
    const touched = this.touched;
    const emitted = this.emitted;
    const before = this.before;
    const accs = table.accs;
    const m = accs.length;
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0 || stamp[g] === epoch) continue;
      stamp[g] = epoch;
      const k = touched.length;
      touched.push(g);
      if (k >= this.had.length) this.had = grown(this.had, k + 1);
      const had = emitted[g]!;
      this.had[k] = had;
      const at = k * m;
      if (had === 1) for (let j = 0; j < m; j++) before[at + j] = accs[j]!.value(g);
      else for (let j = 0; j < m; j++) before[at + j] = null;
    }
  }

  /**
   * Emits the changes of the touched groups and removes vanished groups from the table;
   * with `keepEmpty` a group whose rows were all retracted stays (a global aggregate's row).
   */
  finish(table: GroupTable, emit: EmitRow, keepEmpty = false, onRemove?: (g: number) => void): void {
    const accs = table.accs;
    const m = accs.length;
    const before = this.before;
    const oldRow = this.oldRow;
    const now = this.newRow;
    oldRow.length = now.length = m;
    for (let k = 0; k < this.touched.length; k++) {
      const g = this.touched[k]!;
      const had = this.had[k] === 1;
      const at = k * m;
      const alive = keepEmpty || table.rowCount(g) > 0;
      if (!alive) {
        if (had) emit(g, OP_DELETE, this.oldValues(at, m));
        this.emitted[g] = 0;
        onRemove?.(g);
        table.remove(g);
        continue;
      }
      let same = had;
      for (let j = 0; j < m; j++) {
        const v = accs[j]!.value(g);
        now[j] = v;
        if (same) {
          const o = before[at + j]!;
          if (o !== v && !(Number.isNaN(o) && Number.isNaN(v))) same = false;
        }
      }
      if (!had) {
        emit(g, OP_INSERT, now);
        this.emitted[g] = 1;
      } else if (!same) {
        emit(g, OP_UPDATE_BEFORE, this.oldValues(at, m));
        emit(g, OP_UPDATE_AFTER, now);
      }
    }
  }

  /** The touched group's results before the batch, in a reused array (emit must not keep it). */
  private oldValues(at: number, m: number): Value[] {
    const r = this.oldRow;
    for (let j = 0; j < m; j++) r[j] = this.before[at + j]!;
    return r;
  }

  /** Forgets group g (its window closed). */
  forget(g: number): void {
    if (g < this.emitted.length) this.emitted[g] = 0;
  }

  isEmitted(g: number): boolean {
    return this.emitted[g] === 1;
  }

  markEmitted(g: number): void {
    this.fit(g + 1);
    this.emitted[g] = 1;
  }
}
