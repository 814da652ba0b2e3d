/**
 * Splits a file into lines while streaming it in chunks: only the unconsumed tail of the
 * file sits in memory, lines are found on bytes (so a UTF-8 sequence split across two reads
 * is never decoded half), and every line knows the byte offset of its start, which is the
 * event's offset and, once consumed, the resume position.
 *
 * A line ends at `\n`; a `\r` before it is dropped. In follow mode a last line without
 * `\n` is left unread until its newline arrives, because the writer may not be done with it.
 */
import type { FileHandle } from 'node:fs/promises';

/** Default size of one read. */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

const NL = 10;
const CR = 13;

export class LineSource {
  /** The bytes of the current line are `buf[lineStart, lineEnd)`, valid until the next `fill()`. */
  buf: Uint8Array;
  lineStart = 0;
  lineEnd = 0;
  /** File offset of the current line's first byte. */
  lineOffset = 0;

  private readonly handle: FileHandle;
  private readonly chunkSize: number;
  /** File offset of `buf[0]`. */
  private bufPos: number;
  /** Unconsumed data is `buf[lo, hi)`. */
  private lo = 0;
  private hi = 0;
  /** Where the search for the next newline resumes (bytes before it hold none). */
  private scan = 0;
  private atEof = false;

  constructor(handle: FileHandle, startOffset: number, chunkSize = DEFAULT_CHUNK_SIZE) {
    this.handle = handle;
    this.chunkSize = Math.max(1, chunkSize);
    // Room for a chunk plus a carried partial line, so steady state never reallocates.
    this.buf = new Uint8Array(this.chunkSize * 2);
    this.bufPos = startOffset;
  }

  /** File offset just after the last consumed line: where a new reader would resume. */
  get position(): number {
    return this.bufPos + this.lo;
  }

  /** True when the last read hit the end of the file (more may come if it grows). */
  get eof(): boolean {
    return this.atEof;
  }

  /** True when unconsumed bytes remain (a partial last line at the end of the file). */
  get hasRest(): boolean {
    return this.hi > this.lo;
  }

  /** Moves to the next complete line in the buffer; false when it needs `fill()` first. */
  nextLine(): boolean {
    const nl = this.buf.indexOf(NL, this.scan);
    if (nl < 0 || nl >= this.hi) {
      this.scan = this.hi;
      return false;
    }
    this.setLine(nl, nl + 1);
    return true;
  }

  /** Takes the unterminated rest of the buffer as the last line (end of a bounded file). */
  takeRest(): boolean {
    if (this.hi <= this.lo) return false;
    this.setLine(this.hi, this.hi);
    return true;
  }

  private setLine(end: number, next: number): void {
    this.lineStart = this.lo;
    this.lineOffset = this.bufPos + this.lo;
    this.lineEnd = end > this.lo && this.buf[end - 1] === CR ? end - 1 : end;
    this.lo = next;
    this.scan = next;
  }

  /** Reads the next chunk after the buffered data; returns the bytes read (0 at end of file). */
  async fill(): Promise<number> {
    if (this.lo > 0) {
      this.buf.copyWithin(0, this.lo, this.hi);
      this.bufPos += this.lo;
      this.hi -= this.lo;
      this.scan -= this.lo;
      this.lo = 0;
    }
    if (this.buf.length - this.hi < this.chunkSize) {
      // A line longer than the buffer: grow it so the line fits whole.
      const b = new Uint8Array(Math.max(this.buf.length * 2, this.hi + this.chunkSize));
      b.set(this.buf.subarray(0, this.hi));
      this.buf = b;
    }
    const { bytesRead } = await this.handle.read(this.buf, this.hi, this.chunkSize, this.bufPos + this.hi);
    this.hi += bytesRead;
    this.atEof = bytesRead < this.chunkSize;
    return bytesRead;
  }
}
