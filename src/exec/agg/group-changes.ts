/**
 * The changelog of a GROUP BY or a window aggregate (EMIT CHANGES), built a column at a time:
 * the results of each group a batch touches, before the batch and after it, in typed arrays
 * per aggregate call, and the changes (-U/+U for a changed group, +I for a new one, -D for one
 * that vanished, nothing for one whose results did not change) gathered from them into the
 * output's columns, with no boxed value per result.
 */
import type { Data } from 'apache-arrow';
import type { SqlType, Value } from '../../types.js';
import { ColumnBuilder, OP_DELETE, OP_INSERT, OP_UPDATE_AFTER, OP_UPDATE_BEFORE } from '../batch.js';
import { float64Column, physicalKindOf } from '../vector/columns.js';
import { grown, type Accumulator } from './accumulator.js';
import type { GroupTable } from './group-table.js';

/** A batch's changes: per row its kind, its group, and a column per aggregate call. */
export interface GroupChangeSet {
  readonly length: number;
  readonly ops: Uint8Array;
  readonly groups: Int32Array;
  readonly aggs: Data[];
}

/**
 * One aggregate's results for the touched groups: before the batch in slots [0, cap), after it
 * in [cap, 2 cap) (so a change reads slot side × cap + k), numbers in typed arrays (f64
 * kinds) or values.
 */
class Results {
  readonly numeric: boolean;
  cap = 32;
  nums = new Float64Array(64);
  valid = new Uint8Array(64);
  vals: Value[] = [];

  constructor(readonly type: SqlType) {
    this.numeric = physicalKindOf(type) === 'f64';
  }

  /** Makes room for `count` touched groups, keeping the results before the batch of the first `keep`. */
  fit(count: number, keep: number): void {
    if (count <= this.cap) return;
    const cap = Math.max(count, 2 * this.cap);
    if (this.numeric) {
      const nums = new Float64Array(2 * cap);
      nums.set(this.nums.subarray(0, keep));
      const valid = new Uint8Array(2 * cap);
      valid.set(this.valid.subarray(0, keep));
      this.nums = nums;
      this.valid = valid;
    } else this.vals = this.vals.slice(0, keep);
    this.cap = cap;
  }

  /** Reads group touched[k]'s result into slot base + k for k in [from, to) (base: 0 before, cap after). */
  read(acc: Accumulator, touched: Int32Array, from: number, to: number, base: number): void {
    if (!this.numeric) {
      for (let k = from; k < to; k++) this.vals[base + k] = acc.value(touched[k]!);
      return;
    }
    const nums = base === 0 ? this.nums : this.nums.subarray(base);
    const valid = base === 0 ? this.valid : this.valid.subarray(base);
    if (acc.numbers !== undefined) return acc.numbers(touched, from, to, nums, valid);
    for (let k = from; k < to; k++) {
      const v = acc.value(touched[k]!);
      valid[k] = v === null ? 0 : 1;
      nums[k] = v === null ? 0 : typeof v === 'number' ? v : Number(v);
    }
  }

  /** True when touched group k's results before and after the batch are the same (NULL equals NULL, NaN equals NaN). */
  same(k: number): boolean {
    const a = k;
    const b = this.cap + k;
    if (this.numeric) {
      if (this.valid[a] !== this.valid[b]) return false;
      if (this.valid[a] === 0) return true;
      const x = this.nums[a]!;
      const y = this.nums[b]!;
      return x === y || (x !== x && y !== y);
    }
    const x = this.vals[a];
    const y = this.vals[b];
    return x === y || (Number.isNaN(x) && Number.isNaN(y));
  }

  /** The column of changes 0..r-1, change q reading slot at[q] (side × cap + k). */
  gather(at: Int32Array, r: number): Data {
    if (!this.numeric) {
      const b = new ColumnBuilder(this.type, r);
      for (let q = 0; q < r; q++) b.append(this.vals[at[q]!] ?? null);
      return b.finish();
    }
    const nums = this.nums;
    const valid = this.valid;
    const out = new Float64Array(r);
    const nulls = gatherNumbers(out, nums, valid, at, r);
    if (nulls === 0) return float64Column(out);
    const validity = new Uint8Array((r + 7) >> 3);
    gatherValidity(validity, valid, at, r);
    return float64Column(out, validity, nulls);
  }
}

// The loops below are functions that end at their loop: V8 compiles a long loop on stack
// replacement before the code after it has run, and code after the loop without feedback
// then deoptimized that compiled loop on every call.

/** out[q] = nums[at[q]] for q < r; returns how many of them are NULL (valid 0). */
function gatherNumbers(out: Float64Array, nums: Float64Array, valid: Uint8Array, at: Int32Array, r: number): number {
  let nulls = 0;
  for (let q = 0; q < r; q++) {
    const i = at[q]!;
    out[q] = nums[i]!;
    nulls += 1 - valid[i]!;
  }
  return nulls;
}

function gatherValidity(validity: Uint8Array, valid: Uint8Array, at: Int32Array, r: number): void {
  for (let q = 0; q < r; q++) if (valid[at[q]!] === 1) validity[q >> 3]! |= 1 << (q & 7);
}

/** Appends the groups of gids[0..n) not yet stamped with `epoch` to touched (and whether each was emitted to had) from `from` on; returns the new count. */
function noteTouched(gids: Int32Array, n: number, stamp: Int32Array, epoch: number, emitted: Uint8Array, touched: Int32Array, had: Uint8Array, from: number): number {
  let count = from;
  for (let i = 0; i < n; i++) {
    const g = gids[i]!;
    if (g < 0 || stamp[g] === epoch) continue;
    stamp[g] = epoch;
    touched[count] = g;
    had[count++] = emitted[g]!;
  }
  return count;
}

export class GroupChanges {
  private stamp = new Int32Array(16);
  private emitted = new Uint8Array(16);
  private epoch = 0;
  private touched = new Int32Array(64);
  private count = 0;
  /** Per touched group: whether it had been emitted before the batch. */
  private had = new Uint8Array(64);
  private results: Results[] | null = null;
  private ops = new Uint8Array(64);
  private groups = new Int32Array(64);
  /** Per change: the slot of the results it reads (see Results). */
  private at = new Int32Array(64);

  begin(): void {
    this.epoch++;
    this.count = 0;
  }

  /** Notes the groups rows are about to change and their results now (call before updating the table). */
  touch(gids: Int32Array, n: number, table: GroupTable): void {
    const cap = table.keys.capacity;
    this.stamp = grown(this.stamp, cap);
    this.emitted = grown(this.emitted, cap);
    const from = this.count;
    // Room for every row's group at once: no growing inside the loop.
    this.touched = grown(this.touched, from + n);
    this.had = grown(this.had, from + n);
    const touched = this.touched;
    const count = noteTouched(gids, n, this.stamp, this.epoch, this.emitted, touched, this.had, from);
    this.count = count;
    const accs = table.accs;
    const results = (this.results ??= accs.map((a) => new Results(a.type)));
    for (let j = 0; j < accs.length; j++) {
      const res = results[j]!;
      res.fit(count, from);
      res.read(accs[j]!, touched, from, count, 0);
    }
  }

  /**
   * The changes of the touched groups (null: none); removes vanished groups from the table
   * (`onRemove` first). With `keepEmpty` a group whose rows were all retracted stays (a
   * global aggregate's row).
   */
  finish(table: GroupTable, keepEmpty = false, onRemove?: (g: number) => void): GroupChangeSet | null {
    const accs = table.accs;
    const m = accs.length;
    const count = this.count;
    const touched = this.touched;
    const results = this.results;
    if (count === 0 || results === null) return null;
    for (let j = 0; j < m; j++) results[j]!.read(accs[j]!, touched, 0, count, results[j]!.cap);
    if (this.ops.length < 2 * count) {
      this.ops = grown(this.ops, 2 * count);
      this.groups = grown(this.groups, 2 * count);
      this.at = grown(this.at, 2 * count);
    }
    const r = this.changes(table, results, count, keepEmpty, onRemove);
    if (r === 0) return null;
    const at = this.at;
    return { length: r, ops: this.ops.slice(0, r), groups: this.groups.slice(0, r), aggs: results.map((res) => res.gather(at, r)) };
  }

  /** Notes the changes of the `count` touched groups in ops/groups/at and removes the vanished; returns how many (a function that ends at its loop, as noteTouched). */
  private changes(table: GroupTable, results: readonly Results[], count: number, keepEmpty: boolean, onRemove: ((g: number) => void) | undefined): number {
    const m = results.length;
    const touched = this.touched;
    const ops = this.ops;
    const groups = this.groups;
    const at = this.at;
    // Every aggregate's results sit at the same slots.
    const after = m > 0 ? results[0]!.cap : 0;
    let r = 0;
    for (let k = 0; k < count; k++) {
      const g = touched[k]!;
      const had = this.had[k] === 1;
      if (!(keepEmpty || table.rowCount(g) > 0)) {
        if (had) {
          ops[r] = OP_DELETE;
          groups[r] = g;
          at[r++] = k;
        }
        this.emitted[g] = 0;
        onRemove?.(g);
        table.remove(g);
        continue;
      }
      if (!had) {
        ops[r] = OP_INSERT;
        groups[r] = g;
        at[r++] = after + k;
        this.emitted[g] = 1;
        continue;
      }
      let same = true;
      for (let j = 0; j < m && same; j++) same = results[j]!.same(k);
      if (same) continue;
      ops[r] = OP_UPDATE_BEFORE;
      groups[r] = g;
      at[r++] = k;
      ops[r] = OP_UPDATE_AFTER;
      groups[r] = g;
      at[r++] = after + k;
    }
    return r;
  }

  /** Forgets group g (dropped without a change). */
  forget(g: number): void {
    if (g < this.emitted.length) this.emitted[g] = 0;
  }

  isEmitted(g: number): boolean {
    return this.emitted[g] === 1;
  }

  markEmitted(g: number): void {
    this.emitted = grown(this.emitted, g + 1);
    this.emitted[g] = 1;
  }
}
