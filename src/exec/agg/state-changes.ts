/**
 * What a keyed operator changed since its last checkpoint: the ids of entries touched, and
 * the keys of stored entries that went away. A checkpoint then writes only those, so its cost
 * follows the state that changed, not the whole state. Entries created and dropped between two
 * checkpoints (a window that opened and closed) are never written at all.
 */
import type { StateDelta } from '../operator.js';
import { grown } from './accumulator.js';

export class StateChanges {
  /** Ids touched one by one (any number: session ids only grow). */
  private dirty = new Set<number>();
  /**
   * Ids of operator rows touched in batches (`touchAll`), in order, possibly repeated: one
   * counts while its stamp is the current epoch. A typed list, as a Set's add and delete
   * per new window group were ~6% of a group member's CPU.
   */
  private list = new Int32Array(64);
  private listLength = 0;
  /** Ids in `list` whose stamp is current. */
  private listed = 0;
  private deleted: string[] = [];
  /** Ids whose entry has been written by a checkpoint (bounded by the live state). */
  private readonly persisted = new IdSet();
  /** The first checkpoint after creation (or a restore) rewrites everything. */
  private full = true;

  /** Epoch stamps: an id whose stamp is the current epoch is counted in `list`. */
  private stamps = new Int32Array(64);
  private epoch = 1;

  /** Marks ids of rows 0..n-1 (skipping -1) as changed. */
  touchAll(ids: Int32Array, n: number): void {
    if (this.full) return;
    let stamps = this.stamps;
    let list = this.list;
    let len = this.listLength;
    const epoch = this.epoch;
    const one = this.dirty;
    for (let i = 0; i < n; i++) {
      const g = ids[i]!;
      if (g < 0) continue;
      if (g >= stamps.length) stamps = this.stamps = grown(stamps, g + 1);
      if (stamps[g] === epoch || (one.size !== 0 && one.has(g))) continue;
      stamps[g] = epoch;
      if (len === list.length) list = this.list = grown(list, len + 1);
      list[len++] = g;
      this.listed++;
    }
    this.listLength = len;
  }

  /** Whether the next checkpoint rewrites everything (the first one, or after {@link rewrite}). */
  get pendingFull(): boolean {
    return this.full;
  }

  /** Entries the next incremental checkpoint would write. */
  get pendingCount(): number {
    return this.dirty.size + this.listed + this.deleted.length;
  }

  /** Makes the next checkpoint rewrite everything (compacting what incremental ones piled up). */
  rewrite(): void {
    this.full = true;
  }

  touch(id: number): void {
    if (this.full || (id >= 0 && id < this.stamps.length && this.stamps[id] === this.epoch)) return;
    this.dirty.add(id);
  }

  /** Forgets the stamps (a new round of changes begins). */
  private nextEpoch(): void {
    this.epoch++;
    this.listLength = 0;
    this.listed = 0;
  }

  /** The entry under `id` is gone; `key` names it in storage (only asked when it was stored). */
  remove(id: number, key: () => string): void {
    this.dirty.delete(id);
    if (id >= 0 && id < this.stamps.length && this.stamps[id] === this.epoch) {
      this.stamps[id] = 0;
      this.listed--;
    }
    if (this.persisted.delete(id) && !this.full) this.deleted.push(key());
  }

  /** After a restore: every restored id is stored; later checkpoints are incremental. */
  restored(ids: Iterable<number>): void {
    this.persisted.clear();
    for (const id of ids) this.persisted.add(id);
    this.full = false;
    this.dirty.clear();
    this.deleted = [];
    this.nextEpoch();
  }

  /** The ids changed since the last checkpoint, each once. */
  private changedIds(): number[] {
    const ids = [...this.dirty];
    const stamps = this.stamps;
    const epoch = this.epoch;
    for (let i = 0; i < this.listLength; i++) {
      const g = this.list[i]!;
      if (stamps[g] !== epoch) continue;
      // Taken: a second listing of it (removed, then touched again) is skipped.
      stamps[g] = 0;
      ids.push(g);
    }
    return ids;
  }

  /**
   * The delta to write: `all` lists every live id (used for a full snapshot), `entry` gives an
   * id's storage key and value, `meta` entries (small, operator-wide) are always written.
   */
  take(all: () => Iterable<number>, entry: (id: number) => [string, unknown], meta: readonly (readonly [string, unknown])[]): StateDelta {
    const ids = this.full ? [...all()] : this.changedIds();
    if (this.full) this.persisted.clear();
    const puts: (readonly [string, unknown])[] = new Array(meta.length + ids.length);
    for (let i = 0; i < meta.length; i++) puts[i] = meta[i]!;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      puts[meta.length + i] = entry(id);
      this.persisted.add(id);
    }
    const delta: StateDelta = { full: this.full, puts, deletes: this.full ? [] : this.deleted };
    this.full = false;
    this.dirty = new Set();
    this.deleted = [];
    this.nextEpoch();
    return delta;
  }
}

/**
 * A set of ids, as a bitmap for the small non-negative integers operators number their
 * entries with (a Set of a million numbers cost a first checkpoint ~300 ms to fill), and a
 * Set for any other id.
 */
class IdSet {
  private static readonly MAX_BIT = 1 << 28;
  private bits = new Uint32Array(64);
  private readonly others = new Set<number>();

  add(id: number): void {
    if (!IdSet.small(id)) {
      this.others.add(id);
      return;
    }
    const w = id >>> 5;
    if (w >= this.bits.length) {
      const grown = new Uint32Array(Math.max(w + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[w]! |= 1 << (id & 31);
  }

  /** Removes `id`; whether it was there. */
  delete(id: number): boolean {
    if (!IdSet.small(id)) return this.others.delete(id);
    const w = id >>> 5;
    if (w >= this.bits.length) return false;
    const m = 1 << (id & 31);
    const had = (this.bits[w]! & m) !== 0;
    this.bits[w]! &= ~m;
    return had;
  }

  clear(): void {
    this.bits.fill(0);
    this.others.clear();
  }

  private static small(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < IdSet.MAX_BIT;
  }
}
