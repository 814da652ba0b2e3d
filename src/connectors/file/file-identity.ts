/**
 * Telling a file that only grew from one that was truncated or replaced since a reader stood
 * at some position in it. A resume position carries a fingerprint (SHA-1) of the file's first
 * bytes that had been read; the file is the same when it is at least as long as the position,
 * still begins with those bytes, and (lines) has a line end just before the position.
 *
 * The inode is deliberately not compared: an editor that saves by writing a new file and
 * renaming it, or a copy of the data folder with its database, keeps the content and changes
 * the inode, and re-reading such a file from the start would double its events.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { SluiceError } from '../../errors.js';

/** How many leading bytes the fingerprint covers at most. */
export const HEAD_BYTES = 4096;

/** The fingerprint of a file's first `bytes` bytes. */
export interface HeadPrint {
  readonly bytes: number;
  readonly sha1: string;
}

/** What a source does when its file was truncated or replaced (WITH on_truncate = …). */
export type OnTruncate = 'error' | 'reread';

export const ON_TRUNCATE: readonly OnTruncate[] = ['error', 'reread'];

/** The fingerprint of the first `bytes` bytes of an open file (fewer when the file is shorter). */
export function headPrint(fd: number, bytes: number): HeadPrint {
  const buf = new Uint8Array(Math.min(bytes, HEAD_BYTES));
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, got);
    if (n === 0) break;
    got += n;
  }
  return { bytes: got, sha1: createHash('sha1').update(buf.subarray(0, got)).digest('hex') };
}

/** Reads a fingerprint back from a stored position (undefined when absent or malformed: older checkpoints). */
export function storedHead(v: unknown): HeadPrint | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const { bytes, sha1 } = v as Record<string, unknown>;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0 || typeof sha1 !== 'string') return undefined;
  return { bytes, sha1 };
}

/**
 * Why a line file cannot resume at `offset` (null: it can): it is shorter than the offset, no
 * longer begins with the bytes read before, or has no line end just before the offset.
 */
export async function lineResumeProblem(handle: FileHandle, size: number, offset: number, head: HeadPrint | undefined): Promise<string | null> {
  if (size < offset) return `is ${size} bytes long, shorter than the ${offset} bytes read before (truncated or replaced)`;
  if (head !== undefined && head.bytes > 0) {
    const now = headPrint(handle.fd, head.bytes);
    if (now.bytes !== head.bytes || now.sha1 !== head.sha1) return `no longer begins with the bytes read before (replaced)`;
  }
  if (offset > 0) {
    const one = new Uint8Array(1);
    await handle.read(one, 0, 1, offset - 1);
    if (one[0] !== 10) return `has no line end before the position ${offset} read up to (changed or replaced)`;
  }
  return null;
}

/** The CONNECTOR error of a source whose file changed under it, with the way out. */
export function truncatedError(source: string, path: string, problem: string): SluiceError {
  return new SluiceError(
    'CONNECTOR',
    `source '${source}': file ${path} ${problem}; set WITH (on_truncate = 'reread') to read it again from the start`,
  );
}
