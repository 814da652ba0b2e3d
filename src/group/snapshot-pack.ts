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
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

const PAGE = 4096;
const MAGIC = Buffer.from('SLSNAP2\0', 'latin1');
const ZERO = Buffer.alloc(PAGE);

/** The pages of `file` as a bitmap (bit set: not all zero) and those pages, concatenated. */
export function packPages(file: Buffer): { bitmap: Buffer; pages: Buffer } {
  const count = Math.ceil(file.length / PAGE);
  const bitmap = Buffer.alloc((count + 7) >> 3);
  const kept: Buffer[] = [];
  for (let p = 0; p < count; p++) {
    const page = file.subarray(p * PAGE, (p + 1) * PAGE);
    // A native compare: the scan costs little next to gzip.
    if (page.length === PAGE ? page.equals(ZERO) : page.equals(ZERO.subarray(0, page.length))) continue;
    bitmap[p >> 3]! |= 1 << (p & 7);
    kept.push(page);
  }
  return { bitmap, pages: Buffer.concat(kept) };
}

/** The file `packPages` read, `length` bytes long. */
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

/** The snapshot of the DuckDB file at `path` and its log. */
export function packFiles(path: string): Buffer {
  const main = readFileSync(path);
  const wal = existsSync(`${path}.wal`) ? readFileSync(`${path}.wal`) : Buffer.alloc(0);
  const head = Buffer.alloc(8);
  head.writeDoubleLE(main.length);
  const { bitmap, pages } = packPages(main);
  return gzipSync(Buffer.concat([MAGIC, head, bitmap, pages, wal]), { level: 1 });
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
