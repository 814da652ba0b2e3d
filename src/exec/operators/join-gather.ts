/**
 * Gathers a join's output (and its residual condition's input) a column at a time from
 * many batches: row k of the result is row rows[k] of batch src[k], or NULL where
 * src[k] is -1 (an outer row's padding). One typed loop per physical kind, so building
 * a pair costs a few array reads per column instead of a builder call per value.
 */
import type { Data, Schema as ArrowSchema } from 'apache-arrow';
import type { SqlType } from '../../types.js';
import { makeRecordBatch, SCRATCH_ROWS, type ChangeBatch } from '../batch.js';
import { boolColumn, float64Column, int32Column, nullColumn, physicalKindOf, utf8Column, type PhysicalKind } from '../vector/columns.js';

const NO_BYTES = new Uint8Array(0);
const NO_F64 = new Float64Array(0);
const NO_I32 = new Int32Array(0);
const NO_OFFSETS = new Int32Array(1);

/**
 * One column of a run of batches, as the gather reads it: per batch its values (bits for
 * BOOLEAN, bytes for VARCHAR), offsets (VARCHAR) and validity (null: no NULLs).
 */
export class ColumnParts {
  readonly kind: PhysicalKind;
  // One array type per column (a freed part holds an empty one of the same type), so the
  // gather loops stay monomorphic.
  readonly values: (Float64Array | Int32Array | Uint8Array)[] = [];
  readonly offsets: Int32Array[] = [];
  readonly validity: (Uint8Array | null)[] = [];
  private readonly none: Float64Array | Int32Array | Uint8Array;
  /** Parts whose validity is not null (when none, only padding makes NULLs). */
  private nullable = 0;

  constructor(readonly type: SqlType) {
    this.kind = physicalKindOf(type);
    this.none = this.kind === 'f64' ? NO_F64 : this.kind === 'i32' ? NO_I32 : NO_BYTES;
  }

  /** Appends batch `d` (n rows) as the next part; returns its index. */
  push(d: Data, n: number): number {
    const p = this.values.length;
    this.values.push(this.none);
    this.offsets.push(NO_OFFSETS);
    this.validity.push(null);
    this.set(p, d, n);
    return p;
  }

  /** Makes part p read `d` (n rows). */
  set(p: number, d: Data, n: number): void {
    this.free(p);
    // A NULL-typed column stands for n NULLs of the column's type (as ColumnBuilder reads it).
    if (d.typeId === 1 /* Null */ || this.kind === 'null') {
      this.validity[p] = new Uint8Array((n + 7) >> 3);
      this.nullable++;
      return;
    }
    this.values[p] = d.values as Float64Array | Int32Array | Uint8Array;
    if (this.kind === 'utf8') this.offsets[p] = d.valueOffsets as Int32Array;
    const bm = d.nullBitmap;
    if (d.nullCount === 0 || bm === undefined || bm.length === 0) return;
    this.validity[p] = bm;
    this.nullable++;
  }

  /** Lets part p's buffers go (no row of it may be gathered any more). */
  free(p: number): void {
    this.values[p] = this.none;
    this.offsets[p] = NO_OFFSETS;
    if (this.validity[p] !== null) this.nullable--;
    this.validity[p] = null;
  }

  /** Scratch values of gathers whose column is read and let go at once (see gather's `transient`). */
  private scratchF64 = NO_F64;
  private scratchI32 = NO_I32;

  /**
   * Row rows[k] of part src[k] for k < count (src[k] = -1: NULL), as a new column;
   * `padded` false promises no src[k] is -1. A `transient` number column is written into a
   * buffer the next transient gather reuses (a residual condition's input, read once), so
   * joining a batch allocates only its output.
   */
  gather(src: Int32Array, rows: Int32Array, count: number, padded: boolean, transient = false): Data {
    if (this.kind === 'null') return nullColumn(count);
    let validity: Uint8Array | null = null;
    let nulls = 0;
    if (padded || this.nullable > 0) {
      const bms = this.validity;
      validity = new Uint8Array((count + 7) >> 3);
      for (let k = 0; k < count; k++) {
        const p = src[k]!;
        const r = rows[k]!;
        const bm = p < 0 ? NO_BYTES : bms[p]!;
        if (p >= 0 && (bm === null || ((bm[r >> 3]! >> (r & 7)) & 1) === 1)) validity[k >> 3]! |= 1 << (k & 7);
        else nulls++;
      }
      if (nulls === 0) validity = null;
    }
    switch (this.kind) {
      case 'f64': {
        const parts = this.values as Float64Array[];
        const out = transient ? this.scratchOf64(count) : new Float64Array(count);
        // One part (the batch being joined) and no NULLs, so no padding: every row is of part 0.
        if (validity === null && parts.length === 1) {
          const part = parts[0]!;
          for (let k = 0; k < count; k++) out[k] = part[rows[k]!]!;
        } else if (validity === null) for (let k = 0; k < count; k++) out[k] = parts[src[k]!]![rows[k]!]!;
        // 0 under a NULL, whatever the source row held (the output does not depend on it).
        else for (let k = 0; k < count; k++) out[k] = ((validity[k >> 3]! >> (k & 7)) & 1) === 1 ? parts[src[k]!]![rows[k]!]! : 0;
        return float64Column(out, validity, nulls);
      }
      case 'i32': {
        const parts = this.values as Int32Array[];
        const out = transient ? this.scratchOf32(count) : new Int32Array(count);
        if (validity === null) for (let k = 0; k < count; k++) out[k] = parts[src[k]!]![rows[k]!]!;
        else for (let k = 0; k < count; k++) out[k] = ((validity[k >> 3]! >> (k & 7)) & 1) === 1 ? parts[src[k]!]![rows[k]!]! : 0;
        return int32Column(out, validity, nulls);
      }
      case 'bool': {
        const parts = this.values as Uint8Array[];
        const bits = new Uint8Array((count + 7) >> 3);
        for (let k = 0; k < count; k++) {
          if (validity !== null && ((validity[k >> 3]! >> (k & 7)) & 1) === 0) continue;
          const r = rows[k]!;
          if ((parts[src[k]!]![r >> 3]! >> (r & 7)) & 1) bits[k >> 3]! |= 1 << (k & 7);
        }
        return boolColumn(bits, count, validity, nulls);
      }
      case 'utf8':
        return this.gatherUtf8(src, rows, count, validity, nulls);
    }
  }

  private scratchOf64(count: number): Float64Array {
    if (this.scratchF64.length < count) this.scratchF64 = new Float64Array(Math.max(count, 2 * this.scratchF64.length));
    return this.scratchF64.subarray(0, count);
  }

  private scratchOf32(count: number): Int32Array {
    if (this.scratchI32.length < count) this.scratchI32 = new Int32Array(Math.max(count, 2 * this.scratchI32.length));
    return this.scratchI32.subarray(0, count);
  }

  private gatherUtf8(src: Int32Array, rows: Int32Array, count: number, validity: Uint8Array | null, nulls: number): Data {
    const parts = this.values as Uint8Array[];
    const offs = this.offsets;
    const offsets = new Int32Array(count + 1);
    let total = 0;
    for (let k = 0; k < count; k++) {
      const p = src[k]!;
      if (p >= 0 && (validity === null || ((validity[k >> 3]! >> (k & 7)) & 1) === 1)) {
        const off = offs[p]!;
        const r = rows[k]!;
        total += off[r + 1]! - off[r]!;
      }
      offsets[k + 1] = total;
    }
    const bytes = new Uint8Array(total);
    for (let k = 0; k < count; k++) {
      const at = offsets[k]!;
      const len = offsets[k + 1]! - at;
      if (len === 0) continue;
      const r = rows[k]!;
      const p = src[k]!;
      const from = offs[p]![r]!;
      const b = parts[p]!;
      if (len <= 32) for (let q = 0; q < len; q++) bytes[at + q] = b[from + q]!;
      else bytes.set(b.subarray(from, from + len), at);
    }
    return utf8Column(offsets, bytes, validity, nulls);
  }
}

/**
 * A join's output rows before they are built: per row its change kind, the row of the
 * batch being processed (-1: NULL padding) and the other side's stored row (part -1:
 * NULL padding). The columns are then gathered whole (see ColumnParts).
 */
export class JoinRows {
  ops = new Uint8Array(SCRATCH_ROWS);
  mine = new Int32Array(SCRATCH_ROWS);
  part = new Int32Array(SCRATCH_ROWS);
  row = new Int32Array(SCRATCH_ROWS);
  length = 0;
  private mineSrc = new Int32Array(SCRATCH_ROWS);
  /** Some row so far is padded with NULLs. */
  private padded = false;

  add(op: number, mineRow: number, part: number, row: number): void {
    if (this.length === this.ops.length) this.grow();
    const k = this.length++;
    this.ops[k] = op;
    this.mine[k] = mineRow;
    this.part[k] = part;
    this.row[k] = row;
    if (mineRow < 0 || part < 0) this.padded = true;
  }

  /** add(op, mine[q], part[q], row[q]) for each q < m with matched[q] (none padded). */
  addMatched(op: number, matched: Uint8Array, mine: Int32Array, part: Int32Array, row: Int32Array, m: number): void {
    while (this.length + m > this.ops.length) this.grow();
    let k = this.length;
    const ops = this.ops;
    const mineRows = this.mine;
    const parts = this.part;
    const rows = this.row;
    for (let q = 0; q < m; q++) {
      if (matched[q] === 0) continue;
      ops[k] = op;
      mineRows[k] = mine[q]!;
      parts[k] = part[q]!;
      rows[k++] = row[q]!;
    }
    this.length = k;
  }

  /**
   * The rows as a batch (null when none): the columns `output` names of left ++ right
   * (`leftWidth` of them left), where the side this batch came in on reads its `mine` rows
   * from part 0 of its ColumnParts. Only those columns are gathered.
   */
  build(
    mineParts: readonly ColumnParts[],
    theirParts: readonly ColumnParts[],
    mineLeft: boolean,
    output: readonly number[],
    leftWidth: number,
    arrow: ArrowSchema,
    wm: number,
    appendOnly: boolean,
    mineData: readonly Data[] | null = null,
    mineWm: Float64Array | null = null,
  ): ChangeBatch | null {
    const n = this.length;
    if (n === 0) return null;
    const padded = this.padded;
    this.length = 0;
    this.padded = false;
    if (this.mineSrc.length < n) this.mineSrc = new Int32Array(this.ops.length);
    const src = this.mineSrc;
    const mine = this.mine;
    // (A NULL-typed or offset column is gathered: the output's columns are of their declared types, from 0.)
    const whole = mineData !== null && !padded && n === mineData[0]?.length && mineData.every((d) => d.typeId !== 1 && d.offset === 0);
    const identity = mineSources(src, mine, n) && whole;
    // Every row of the batch once, in order (q13's bids each meet one side row): its columns as they came.
    const columns = output.map((j) => {
      const left = j < leftWidth;
      const c = left ? j : j - leftWidth;
      if (left !== mineLeft) return theirParts[c]!.gather(this.part, this.row, n, padded);
      return identity ? mineData![c]! : mineParts[c]!.gather(src, mine, n, padded);
    });
    // A row made from a row of this batch carries that row's watermark; a padding of a stored
    // row (made as a row of this batch meets it) the one before it: row watermarks never go back.
    let wms: Float64Array | null = null;
    if (mineWm !== null) {
      wms = new Float64Array(n);
      rowWatermarks(wms, mine, mineWm, wm, n);
    }
    return { data: makeRecordBatch(arrow, columns, n), length: n, ops: appendOnly ? null : this.ops.slice(0, n), wm: wms, wmConst: wm, origin: null };
  }

  private grow(): void {
    const cap = this.ops.length * 2;
    const ops = new Uint8Array(cap);
    ops.set(this.ops);
    this.ops = ops;
    for (const f of ['mine', 'part', 'row'] as const) {
      const a = new Int32Array(cap);
      a.set(this[f]);
      this[f] = a;
    }
  }
}

// The loops of build are functions that end at their loop: compiled on stack replacement
// inside build, the code after them deoptimized it on every batch (q4: 111 a run).

/** src[k]: 0 for a row of this batch, -1 for a padding; returns whether mine is 0, 1, 2… (every row once, in order). */
function mineSources(src: Int32Array, mine: Int32Array, n: number): boolean {
  let identity = true;
  for (let k = 0; k < n; k++) {
    src[k] = mine[k]! < 0 ? -1 : 0;
    if (mine[k] !== k) identity = false;
  }
  return identity;
}

/** Each output row's watermark: its batch row's, never going back (a padding takes the one before). */
function rowWatermarks(out: Float64Array, mine: Int32Array, mineWm: Float64Array, wm: number, n: number): void {
  let w = wm;
  for (let k = 0; k < n; k++) {
    const r = mine[k]!;
    if (r >= 0 && mineWm[r]! > w) w = mineWm[r]!;
    out[k] = w;
  }
}

/** A growable Int32Array. */
export class IntVec {
  a: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.a = new Int32Array(capacity);
  }

  push(x: number): void {
    if (this.length === this.a.length) this.grow();
    this.a[this.length++] = x;
  }

  /** Makes room for `extra` more values. */
  reserve(extra: number): void {
    while (this.length + extra > this.a.length) this.grow();
  }

  private grow(): void {
    const g = new Int32Array(this.a.length * 2);
    g.set(this.a);
    this.a = g;
  }
}
