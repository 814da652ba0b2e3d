/**
 * The net effect of changes on a view with a unique key, worked out in JS: one row per
 * touched key (its surviving row, or none). For changes to a few keys the view's table takes
 * them in one round trip (a DELETE of the keys and an INSERT of the survivors, as literals):
 * what a pull query after a single insert pays; otherwise the net rows are staged and folded
 * by a join, which costs far less than folding every raw change. The rule is the fold's (see
 * ViewTable): each key touched ends as its last inserted row, unless a later change retracts
 * that very row. Past a few thousand changes it is worked out column-wise (netChanges).
 */
import { valueJson } from '../value-json.js';
import { columnsOf, readValue, type ChangeBatch } from '../exec/batch.js';
import { selectRows } from '../exec/batch-ops.js';
import type { Schema, Value } from '../types.js';
import { quoteIdent, quoteString } from './database.js';
import { KeyTable } from '../exec/vector/key-table.js';
import { kindOfData, normalizeColumn } from '../exec/vector/columns.js';
import type { Data } from 'apache-arrow';
import { rowKeysOf } from '../exec/row-keys.js';

/** More changes than this are reduced column-wise: the per-row path below reads each value. */
const MAX_ROWS = 5000;
/** DuckDB filters by a literal list of a few keys in its scan; past that (measured: from about 8) a join with staged rows is faster. */
const MAX_KEYS = 4;

export interface KeyedDelta {
  /**
   * One DELETE of the touched keys and one INSERT of their surviving rows, as exact literals
   * (null when the changes touch more than a few keys, or a value has no literal).
   */
  readonly sql: string | null;
  /** How many keys the changes touch (the rows of `net`). */
  readonly size: number;
  /**
   * Every touched key once, in the order emitted: its surviving row as +I, or (none survives)
   * a row naming the key as -D. Folded by a join, this costs far less than the raw changes.
   */
  net(): ChangeBatch[];
  /** The +I rows of `net` alone, gathered once: what a first write into an empty table takes. */
  inserted(): ChangeBatch[];
}

/** The net delta of `batches` on table `table`, or null for many changes without 1 to 31 key columns (folded raw in DuckDB). */
export function keyedDelta(table: string, schema: Schema, key: readonly number[], batches: readonly ChangeBatch[]): KeyedDelta | null {
  let total = 0;
  for (const b of batches) total += b.length;
  // (A KeyTable takes 1 to 31 key columns.)
  if (total > MAX_ROWS) return key.length === 0 || key.length > 31 ? null : netChanges(schema, key, batches, total);
  // Per key (its values as text): its last insert (-1 when retracted), and a row naming it.
  // A retraction is compared with the last insert only if no later insert overrides it (pb, pi:
  // the pending one), so a -U followed by its +U costs no comparison.
  const last = new Map<string, { b: number; i: number; nb: number; ni: number; pb: number; pi: number; values: Value[] }>();
  for (let bi = 0; bi < batches.length; bi++) {
    const b = batches[bi]!;
    const cols = columnsOf(b);
    for (let i = 0; i < b.length; i++) {
      const keyValues = key.map((k) => readValue(cols[k]!, i, schema[k]!.type));
      const id = valueJson(keyValues);
      const op = b.ops === null ? 0 : b.ops[i]!;
      const cur = last.get(id);
      if (op === 0 || op === 2) {
        last.set(id, { b: bi, i, nb: bi, ni: i, pb: -1, pi: -1, values: keyValues });
      } else if (cur && cur.i >= 0) {
        if (cur.pb >= 0 && sameRow(batches[cur.b]!, cur.i, batches[cur.pb]!, cur.pi, schema)) cur.i = -1;
        else {
          cur.pb = bi;
          cur.pi = i;
        }
      } else if (!cur) {
        last.set(id, { b: bi, i: -1, nb: bi, ni: i, pb: -1, pi: -1, values: keyValues });
      }
    }
  }
  for (const k of last.values()) if (k.i >= 0 && k.pb >= 0 && sameRow(batches[k.b]!, k.i, batches[k.pb]!, k.pi, schema)) k.i = -1;
  // Per batch, the rows kept (+I) and the rows that only name a deleted key (-D), in order.
  const pick = batches.map(() => new Map<number, number>());
  for (const k of last.values()) {
    if (k.i >= 0) pick[k.b]!.set(k.i, 0);
    else pick[k.nb]!.set(k.ni, 3);
  }
  const net: ChangeBatch[] = [];
  const survivors: ChangeBatch[] = [];
  batches.forEach((b, bi) => {
    const rows = [...pick[bi]!].sort((x, y) => x[0] - y[0]);
    if (rows.length === 0) return;
    const picked = selectRows(b, Int32Array.from(rows, (r) => r[0]), rows.length);
    net.push({ ...picked, ops: Uint8Array.from(rows, (r) => r[1]) });
    const kept = rows.filter((r) => r[1] === 0);
    if (kept.length > 0) survivors.push({ ...selectRows(b, Int32Array.from(kept, (r) => r[0]), kept.length), ops: null });
  });
  return { sql: last.size > MAX_KEYS ? null : literalSql(table, schema, key, last.values(), survivors), size: last.size, net: () => net, inserted: () => survivors };
}

/** The DELETE of the keys and the INSERT of the survivors as literals, or null where a value has none. */
function literalSql(table: string, schema: Schema, key: readonly number[], keys: Iterable<{ values: Value[] }>, survivors: readonly ChangeBatch[]): string | null {
  const preds: string[] = [];
  // One key column: an IN list (NULL apart).
  if (key.length === 1) {
    const col = quoteIdent(schema[key[0]!]!.name);
    const lits: string[] = [];
    for (const { values } of keys) {
      if (values[0] === null) {
        preds.push(`${col} IS NULL`);
        continue;
      }
      const lit = literal(values[0]!, schema[key[0]!]!.type);
      if (lit === null) return null;
      lits.push(lit);
    }
    if (lits.length > 0) preds.push(`${col} IN (${lits.join(', ')})`);
  } else {
    for (const { values } of keys) {
      const terms: string[] = [];
      for (let j = 0; j < key.length; j++) {
        const col = quoteIdent(schema[key[j]!]!.name);
        const v = values[j]!;
        if (v === null) {
          terms.push(`${col} IS NULL`);
          continue;
        }
        const lit = literal(v, schema[key[j]!]!.type);
        if (lit === null) return null;
        terms.push(`${col} = ${lit}`);
      }
      preds.push(terms.length === 1 ? terms[0]! : `(${terms.join(' AND ')})`);
    }
  }
  // Without key columns (a global aggregate) the view has one row, which any change replaces.
  const del = key.length === 0 ? `DELETE FROM ${table}` : `DELETE FROM ${table} WHERE ${preds.join(' OR ')}`;
  if (survivors.length === 0) return del;
  const insert = insertValues(table, schema, survivors);
  return insert === null ? null : `${del};\n${insert}`;
}

/** Rows with few enough values to send as text. */
const MAX_LITERAL_VALUES = 2000;

function insertValues(table: string, schema: Schema, rows: readonly ChangeBatch[]): string | null {
  let n = 0;
  for (const b of rows) n += b.length;
  if (n * schema.length > MAX_LITERAL_VALUES) return null;
  const tuples: string[] = [];
  for (const b of rows) {
    const cols = columnsOf(b);
    for (let i = 0; i < b.length; i++) {
      const vals: string[] = [];
      for (let c = 0; c < schema.length; c++) {
        const v = readValue(cols[c]!, i, schema[c]!.type);
        const lit = v === null ? 'NULL' : literal(v, schema[c]!.type);
        if (lit === null) return null;
        vals.push(lit);
      }
      tuples.push(`(${vals.join(', ')})`);
    }
  }
  return `INSERT INTO ${table} VALUES ${tuples.join(', ')}`;
}

/** Whether two rows are equal column by column, NULL equal to NULL (IS NOT DISTINCT FROM). */
function sameRow(a: ChangeBatch, i: number, b: ChangeBatch, j: number, schema: Schema): boolean {
  const ca = columnsOf(a);
  const cb = columnsOf(b);
  for (let c = 0; c < schema.length; c++) {
    const x = readValue(ca[c]!, i, schema[c]!.type);
    const y = readValue(cb[c]!, j, schema[c]!.type);
    // DuckDB orders NaN equal to itself, and -0 equal to 0.
    if (!(x === y || (typeof x === 'number' && typeof y === 'number' && Number.isNaN(x) && Number.isNaN(y)))) return false;
  }
  return true;
}

/** A key value as an exact SQL literal of its column's type, or null when there is none simple. */
function literal(v: Value, type: Schema[number]['type']): string | null {
  switch (type) {
    case 'BIGINT':
    case 'INT':
      return typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : null;
    case 'VARCHAR':
      return typeof v === 'string' && !v.includes('\0') ? quoteString(v) : null;
    case 'BOOLEAN':
      return typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : null;
    case 'DATE':
      return typeof v === 'number' && Number.isSafeInteger(v) ? `(DATE '1970-01-01' + ${v})` : null;
    case 'TIMESTAMP':
      return typeof v === 'number' && Number.isSafeInteger(v * 1000) ? `make_timestamp(${v * 1000}::BIGINT)` : null;
    case 'DOUBLE':
      // Text to DOUBLE rounds correctly, and JS prints the shortest text that reads back the same.
      if (typeof v !== 'number') return null;
      if (Number.isNaN(v)) return `'nan'::DOUBLE`;
      if (!Number.isFinite(v)) return v > 0 ? `'inf'::DOUBLE` : `'-inf'::DOUBLE`;
      return Object.is(v, -0) ? `'-0.0'::DOUBLE` : `'${String(v)}'::DOUBLE`;
    default:
      return null;
  }
}

/** The key id of every change, per batch, and the ids in the order first seen. */
interface ChangeKeys {
  readonly ids: readonly Int32Array[];
  /** One past the highest id. */
  readonly capacity: number;
  readonly seen: Int32Array;
}

/**
 * The ids the operator that made the changes attached (src/exec/row-keys.ts), when every
 * batch has them, from one key space and over the view's key columns; else null. Not taken
 * when the space is much larger than the changes (arrays indexed by id would cost more than
 * hashing them).
 */
function attachedKeys(key: readonly number[], batches: readonly ChangeBatch[], total: number): ChangeKeys | null {
  const first = rowKeysOf(batches[0]!.data);
  if (first === undefined) return null;
  const capacity = first.space.capacity;
  if (capacity > 4 * total + 65536) return null;
  const ids: Int32Array[] = [];
  for (const b of batches) {
    const k = rowKeysOf(b.data);
    if (k === undefined || k.space !== first.space || k.columns.length !== key.length || !key.every((c) => k.columns.includes(c))) return null;
    ids.push(k.ids);
  }
  const seenMark = new Uint8Array(capacity);
  const seen = new Int32Array(total);
  let count = 0;
  for (const a of ids) {
    for (let i = 0; i < a.length; i++) {
      const id = a[i]!;
      if (seenMark[id] === 0) {
        seenMark[id] = 1;
        seen[count++] = id;
      }
    }
  }
  return { ids, capacity, seen: seen.subarray(0, count) };
}

/** The key id of every change, by hashing the key columns (`cols`: each batch's, normalized). */
function hashedKeys(schema: Schema, key: readonly number[], batches: readonly ChangeBatch[], cols: readonly (readonly Data[])[], total: number): ChangeKeys {
  // Sized for every change a key of its own (q18: 309k changes, 293k keys), no rehash on the
  // way; at most a million, so that many changes to few keys do not allocate for keys never seen.
  const keys = new KeyTable(key.map((k) => schema[k]!.type), Math.min(total, 1 << 20));
  const seen = new Int32Array(total);
  let count = 0;
  const ids = batches.map((b, bi) => {
    const out = new Int32Array(b.length);
    keys.findOrInsert(key.map((k) => cols[bi]![k]!), b.length, out);
    for (const id of keys.created) seen[count++] = id;
    return out;
  });
  return { ids, capacity: keys.capacity, seen: seen.subarray(0, count) };
}

/**
 * The net rows of many changes (the rule of keyedDelta), column-wise: each row costs a probe
 * of a KeyTable over its key (or none, when the changes carry their keys' ids), and no value
 * is decoded.
 */
function netChanges(schema: Schema, key: readonly number[], batches: readonly ChangeBatch[], total: number): KeyedDelta {
  const cols = batches.map((b) => columnsOf(b).map(normalizeColumn));
  const keys = attachedKeys(key, batches, total) ?? hashedKeys(schema, key, batches, cols, total);
  const cap = keys.capacity;
  // Per key id: the batch and row of its last insert (row -1: retracted since, or none) and
  // of a row naming it.
  const lastB = new Int32Array(cap);
  const lastI = new Int32Array(cap);
  const nameB = new Int32Array(cap).fill(-1);
  const nameI = new Int32Array(cap);
  // The latest retraction since the last insert, compared with it only if no insert follows
  // (pendB -1: none): a -U followed by its +U, the usual case, costs no comparison.
  const pendB = new Int32Array(cap).fill(-1);
  const pendI = new Int32Array(cap);
  for (let bi = 0; bi < batches.length; bi++) {
    const b = batches[bi]!;
    const n = b.length;
    const ids = keys.ids[bi]!;
    const ops = b.ops;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const op = ops === null ? 0 : ops[i]!;
      if (op === 0 || op === 2) {
        lastB[id] = nameB[id] = bi;
        lastI[id] = nameI[id] = i;
        pendB[id] = -1;
      } else if (nameB[id] === -1) {
        lastB[id] = nameB[id] = bi;
        lastI[id] = -1;
        nameI[id] = i;
      } else if (lastI[id]! >= 0) {
        // A second retraction settles the first (a mismatch has no effect, so it is dropped).
        if (pendB[id]! >= 0 && sameRowColumns(cols[lastB[id]!]!, lastI[id]!, cols[pendB[id]!]!, pendI[id]!)) {
          lastI[id] = -1;
          pendB[id] = -1;
        } else {
          pendB[id] = bi;
          pendI[id] = i;
        }
      }
    }
  }
  const seen = keys.seen;
  for (let k = 0; k < seen.length; k++) {
    const id = seen[k]!;
    if (pendB[id]! < 0 || lastI[id]! < 0) continue;
    if (sameRowColumns(cols[lastB[id]!]!, lastI[id]!, cols[pendB[id]!]!, pendI[id]!)) lastI[id] = -1;
  }
  // Per batch and row: 1 kept (+I), 2 only names a deleted key (-D), 0 neither.
  const marks = batches.map((b) => new Uint8Array(b.length));
  for (let k = 0; k < seen.length; k++) {
    const id = seen[k]!;
    if (lastI[id]! >= 0) marks[lastB[id]!]![lastI[id]!] = 1;
    else marks[nameB[id]!]![nameI[id]!] = 2;
  }
  // The rows marked `want` (any mark: 0, then with their marks as change kinds), a batch at a time.
  const pick = (want: number): ChangeBatch[] => {
    const out: ChangeBatch[] = [];
    batches.forEach((b, bi) => {
      const m = marks[bi]!;
      const sel = new Int32Array(b.length);
      let n = 0;
      for (let i = 0; i < m.length; i++) if (m[i] !== 0 && (want === 0 || m[i] === want)) sel[n++] = i;
      if (n === 0) return;
      let ops: Uint8Array | null = null;
      if (want === 0) {
        ops = new Uint8Array(n);
        for (let k = 0; k < n; k++) ops[k] = m[sel[k]!] === 1 ? 0 : 3;
      }
      out.push({ ...selectRows(b, sel, n), ops });
    });
    return out;
  };
  let net: ChangeBatch[] | null = null;
  return { sql: null, size: keys.seen.length, net: () => (net ??= pick(0)), inserted: () => pick(1) };
}

/** Whether row i of `a` equals row j of `b` column by column (NULL equal to NULL, NaN to NaN). */
function sameRowColumns(a: readonly Data[], i: number, b: readonly Data[], j: number): boolean {
  for (let c = 0; c < a.length; c++) {
    const x = a[c]!;
    const y = b[c]!;
    const nx = x.nullCount > 0 && ((x.nullBitmap![i >> 3]! >> (i & 7)) & 1) === 0;
    const ny = y.nullCount > 0 && ((y.nullBitmap![j >> 3]! >> (j & 7)) & 1) === 0;
    if (nx || ny || kindOfData(x) === 'null') {
      if (nx !== ny) return false;
      continue;
    }
    switch (kindOfData(x)) {
      case 'f64': {
        const u = (x.values as Float64Array)[i]!;
        const v = (y.values as Float64Array)[j]!;
        if (u !== v && !(u !== u && v !== v)) return false;
        break;
      }
      case 'i32':
        if ((x.values as Int32Array)[i] !== (y.values as Int32Array)[j]) return false;
        break;
      case 'bool':
        if ((((x.values as Uint8Array)[i >> 3]! >> (i & 7)) & 1) !== (((y.values as Uint8Array)[j >> 3]! >> (j & 7)) & 1)) return false;
        break;
      case 'utf8': {
        const xo = x.valueOffsets as Int32Array;
        const yo = y.valueOffsets as Int32Array;
        const len = xo[i + 1]! - xo[i]!;
        if (len !== yo[j + 1]! - yo[j]!) return false;
        const xv = x.values as Uint8Array;
        const yv = y.values as Uint8Array;
        for (let k = 0; k < len; k++) if (xv[xo[i]! + k] !== yv[yo[j]! + k]) return false;
        break;
      }
    }
  }
  return true;
}
