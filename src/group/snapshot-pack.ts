/**
 * A partition's snapshot as uploaded: its DuckDB file and write-ahead log in one gzipped
 * buffer. The file is mostly pages DuckDB has not written (a 7 MB file of a bench partition
 * is 83% zero pages), so only the pages holding a byte other than zero are packed, after a
 * bitmap of which they are: gzip then reads a fifth of the bytes, and a restore writes the
 * file back byte for byte.
 *
 * Layout before gzip: MAGIC, the file's length (float64), the bitmap (a bit per PAGE-byte
 * page, set when packed), the packed pages in order, then the log. A snapshot of the
 * first layout (the file's length, the file, the log) still unpacks.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

const PAGE = 4096;
const MAGIC = Buffer.from('SLSNAP2\0', 'latin1');
const ZERO = Buffer.alloc(PAGE);

/** The file `packFiles` packed, `length` bytes long: its kept pages put back where the bitmap says. */
export function unpackPages(length: number, bitmap: Uint8Array, pages: Uint8Array): Buffer {
  const file = Buffer.alloc(length);
  let at = 0;
  for (let p = 0; p * PAGE < length; p++) {
    if ((bitmap[p >> 3]! & (1 << (p & 7))) === 0) continue;
    const n = Math.min(PAGE, length - p * PAGE);
    file.set(pages.subarray(at, at + n), p * PAGE);
    at += n;
  }
  return file;
}

/**
 * Room for reading a file and laying its snapshot out, kept between snapshots: a member
 * snapshots every partition at every checkpoint, and a fresh 4–9 MB buffer each time cost
 * as much in page faults as the read itself. Sync code only, so one pair serves every
 * partition; a file past KEEP_BYTES gets buffers of its own, not kept.
 */
const KEEP_BYTES = 64 * 1024 * 1024;
let fileRoom: Buffer = Buffer.alloc(0);
let packRoom: Buffer = Buffer.alloc(0);

function room(kept: Buffer, n: number): Buffer {
  if (kept.length >= n) return kept;
  return Buffer.allocUnsafe(n <= KEEP_BYTES ? Math.min(KEEP_BYTES, Math.max(n, Math.ceil(kept.length * 1.5))) : n);
}

/**
 * Reads the file at `path` into `into` (or a larger buffer); the buffer and the length read.
 * Nothing writes the file meanwhile: the caller packs it between two calls of its engine.
 */
function readInto(path: string, into: Buffer): { buf: Buffer; length: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = room(into, size);
    let length = 0;
    while (length < size) {
      const n = readSync(fd, buf, length, size - length, null);
      if (n === 0) break;
      length += n;
    }
    return { buf, length };
  } finally {
    closeSync(fd);
  }
}

/** The snapshot of the DuckDB file at `path` and its log. */
export function packFiles(path: string): Buffer {
  const read = readInto(path, fileRoom);
  if (read.buf.length <= KEEP_BYTES) fileRoom = read.buf;
  const main = read.buf.subarray(0, read.length);
  const wal = existsSync(`${path}.wal`) ? readFileSync(`${path}.wal`) : Buffer.alloc(0);
  const count = Math.ceil(main.length / PAGE);
  const bits = (count + 7) >> 3;
  // MAGIC, the length, the bitmap, the kept pages, the log: laid out in place, then gzipped.
  const out = room(packRoom, MAGIC.length + 8 + bits + main.length + wal.length);
  if (out.length <= KEEP_BYTES) packRoom = out;
  MAGIC.copy(out, 0);
  out.writeDoubleLE(main.length, MAGIC.length);
  const bitmapAt = MAGIC.length + 8;
  out.fill(0, bitmapAt, bitmapAt + bits);
  let at = bitmapAt + bits;
  for (let p = 0; p < count; p++) {
    const from = p * PAGE;
    const page = main.subarray(from, Math.min(main.length, from + PAGE));
    // A native compare: the scan costs little next to gzip.
    if (page.equals(page.length === PAGE ? ZERO : ZERO.subarray(0, page.length))) continue;
    out[bitmapAt + (p >> 3)]! |= 1 << (p & 7);
    at += page.copy(out, at);
  }
  at += wal.copy(out, at);
  return gzipSync(out.subarray(0, at), { level: 1 });
}

/** Writes the DuckDB file (and its log, if the snapshot holds one) a snapshot holds to `path`. */
export function unpackFiles(path: string, blob: Uint8Array): void {
  const all = gunzipSync(blob);
  let main: Buffer;
  let rest: Buffer;
  if (all.length >= 16 && all.subarray(0, 8).equals(MAGIC)) {
    const n = all.readDoubleLE(8);
    const bits = (Math.ceil(n / PAGE) + 7) >> 3;
    const bitmap = all.subarray(16, 16 + bits);
    let packed = 0;
    for (let p = 0; p * PAGE < n; p++) if ((bitmap[p >> 3]! & (1 << (p & 7))) !== 0) packed += Math.min(PAGE, n - p * PAGE);
    const from = 16 + bits;
    main = unpackPages(n, bitmap, all.subarray(from, from + packed));
    rest = all.subarray(from + packed);
  } else {
    const n = all.readDoubleLE(0);
    main = all.subarray(8, 8 + n);
    rest = all.subarray(8 + n);
  }
  writeFileSync(path, main);
  if (rest.length > 0) writeFileSync(`${path}.wal`, rest);
}
