/**
 * Turns group updates into a changelog (EMIT CHANGES): remembers each group's result before
 * the first change of a batch, and after the batch emits -U/+U for a changed group, +I for a
 * new one, -D for one that vanished, and nothing for one whose result did not change.
 */
import type { Value } from '../../types.js';
import { OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE } from '../batch.js';
import { grown } from './accumulator.js';
import type { GroupTable } from './group-table.js';

export type EmitRow = (g: number, op: number, values: readonly Value[]) => void;

export class ChangeTracker {
  private stamp = new Int32Array(16);
  private emitted = new Uint8Array(16);
  private epoch = 0;
  private touched: number[] = [];
  private before: (Value[] | null)[] = [];

  private fit(cap: number): void {
    this.stamp = grown(this.stamp, cap);
    this.emitted = grown(this.emitted, cap);
  }

  begin(): void {
    this.epoch++;
    this.touched.length = 0;
    this.before.length = 0;
  }

  /** Notes the groups rows are about to change (call before updating the table). */
  touch(gids: Int32Array, n: number, table: GroupTable): void {
    this.fit(table.keys.capacity);
    const stamp = this.stamp;
    const epoch = this.epoch;
    for (let i = 0; i < n; i++) {
      const g = gids[i]!;
      if (g < 0 || stamp[g] === epoch) continue;
      stamp[g] = epoch;
      this.touched.push(g);
      this.before.push(this.emitted[g] === 1 ? table.values(g) : null);
    }
  }

  /**
   * Emits the changes of the touched groups and removes vanished groups from the table;
   * with `keepEmpty` a group whose rows were all retracted stays (a global aggregate's row).
   */
  finish(table: GroupTable, emit: EmitRow, keepEmpty = false, onRemove?: (g: number) => void): void {
    for (let k = 0; k < this.touched.length; k++) {
      const g = this.touched[k]!;
      const old = this.before[k]!;
      const alive = keepEmpty || table.rowCount(g) > 0;
      if (!alive) {
        if (old !== null) emit(g, OP_DELETE, old);
        this.emitted[g] = 0;
        onRemove?.(g);
        table.remove(g);
        continue;
      }
      const now = table.values(g);
      if (old === null) {
        emit(g, OP_INSERT, now);
        this.emitted[g] = 1;
      } else if (!sameValues(old, now)) {
        emit(g, OP_UPDATE_BEFORE, old);
        emit(g, OP_UPDATE_AFTER, now);
      }
    }
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

function sameValues(a: readonly Value[], b: readonly Value[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}
