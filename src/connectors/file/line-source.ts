/**
 * Splits a file into lines while streaming it in chunks: only the unconsumed tail of the
 * file sits in memory, lines are found on bytes (so a UTF-8 sequence split across two reads
 * is never decoded half), and every line knows the byte offset of its start, which is the
 * event's offset and, once consumed, the resume position.
 *
 * A line ends at `\n`; a `\r` before it is dropped. In follow mode a last line without
 * `\n` is left unread until its newline arrives, because the writer may not be done with it.
 *
 * For csv (`quotes`), a "line" is a record: a newline inside a quoted field (a `"` at the
 * start of a field, up to the `"` not doubled that closes it) does not end it. A quote
 * left open holds the record open for at most MAX_QUOTED_RECORD bytes; past that the record
 * is cut at its first newline, so a stray quote cannot make the rest of a file one record.
 */
import type { FileHandle } from 'node:fs/promises';

/** Default size of one read. */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

const NL = 10;
const CR = 13;
const QUOTE = 34;
/** The most bytes a record with a quote still open may span (DuckDB's default max_line_size is 2 MiB). */
export const MAX_QUOTED_RECORD = 4 << 20;

/** Whether b[at, end) starts with UTF-8's byte order mark (EF BB BF), which a file's first line may carry. */
export function bomAt(b: Uint8Array, at: number, end: number): boolean {
  return end - at >= 3 && b[at] === 0xef && b[at + 1] === 0xbb && b[at + 2] === 0xbf;
}

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
  /** csv: the delimiter byte, when quoted fields may hold newlines (else -1: plain lines). */
  private readonly delimiter: number;
  /** csv: the scan stopped inside a quoted field. */
  private inQuote = false;
  /**
   * csv: the first quote at or after quoteFrom, searched up to quoteTo (-1: none there).
   * Kept across calls, so a file with few quotes is not searched to its next quote per line.
   */
  private quoteAt = -1;
  private quoteFrom = 0;
  private quoteTo = 0;

  constructor(handle: FileHandle, startOffset: number, chunkSize = DEFAULT_CHUNK_SIZE, quotes?: { readonly delimiter: number }) {
    this.delimiter = quotes?.delimiter ?? -1;
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
    if (this.delimiter >= 0) return this.nextRecord();
    const nl = this.buf.indexOf(NL, this.scan);
    if (nl < 0 || nl >= this.hi) {
      this.scan = this.hi;
      return false;
    }
    this.setLine(nl, nl + 1);
    return true;
  }

  /**
   * nextLine for csv: the record's end is the first newline outside a quoted field. Runs of
   * bytes without a quote are skipped by indexOf; the quote state carries over a `fill()`.
   */
  private nextRecord(): boolean {
    const b = this.buf;
    const hi = this.hi;
    let i = this.scan;
    let nl = -2;
    for (;;) {
      if (!this.inQuote) {
        if (nl < i) {
          nl = b.indexOf(NL, i);
          if (nl >= hi) nl = -1;
        }
        const end = nl < 0 ? hi : nl;
        const q = this.findQuote(i);
        if (q < 0 || q >= end) {
          if (nl >= 0) {
            this.setLine(nl, nl + 1);
            return true;
          }
          this.scan = hi;
          return false;
        }
        // A quote opens a quoted field only at the field's start; elsewhere it is text.
        if (this.fieldStartsAt(q)) this.inQuote = true;
        i = q + 1;
        continue;
      }
      const q = this.findQuote(i);
      // The byte after a quote tells a doubled quote from a closing one: wait for it.
      if (q < 0 || q + 1 >= hi) {
        this.scan = q < 0 ? hi : q;
        return this.cutOverlong();
      }
      if (b[q + 1] === QUOTE) i = q + 2;
      else {
        this.inQuote = false;
        i = q + 1;
      }
    }
  }

  /** The first quote in buf[i, hi), or -1. */
  private findQuote(i: number): number {
    const hi = this.hi;
    if (i >= this.quoteFrom && i <= this.quoteTo) {
      if (this.quoteAt >= i) return this.quoteAt;
      if (this.quoteAt < 0) {
        // None before quoteTo: only the bytes read since need searching.
        if (this.quoteTo >= hi) return -1;
        i = this.quoteTo;
      }
    }
    const q = this.buf.indexOf(QUOTE, i);
    this.quoteFrom = i;
    this.quoteTo = hi;
    this.quoteAt = q >= hi ? -1 : q;
    return this.quoteAt;
  }

  /** Whether buf[q] starts a field: the record's first byte (after a byte order mark) or one after a delimiter. */
  private fieldStartsAt(q: number): boolean {
    const b = this.buf;
    if (q === this.lo || b[q - 1] === this.delimiter) return true;
    return q === this.lo + 3 && this.bufPos + this.lo === 0 && bomAt(b, this.lo, q);
  }

  /** A record held open by a quote past MAX_QUOTED_RECORD bytes ends at its first newline. */
  private cutOverlong(): boolean {
    if (this.hi - this.lo <= MAX_QUOTED_RECORD) return false;
    const nl = this.buf.indexOf(NL, this.lo);
    if (nl < 0 || nl >= this.hi) return false;
    this.setLine(nl, nl + 1);
    return true;
  }

  /**
   * Makes the current record its first line only; the bytes after that line are read again
   * as new records. For a csv record over several lines that turned out malformed: a stray
   * quote then costs one line, as it did when records were lines.
   */
  firstLineOnly(): void {
    const nl = this.buf.indexOf(NL, this.lineStart);
    if (nl < 0 || nl >= this.lineEnd) return;
    this.lo = this.lineStart;
    this.setLine(nl, nl + 1);
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
    this.inQuote = false;
  }

  /** Reads the next chunk after the buffered data; returns the bytes read (0 at end of file). */
  async fill(): Promise<number> {
    if (this.lo > 0) {
      this.buf.copyWithin(0, this.lo, this.hi);
      this.bufPos += this.lo;
      this.hi -= this.lo;
      this.scan -= this.lo;
      if (this.quoteAt >= 0 && this.quoteAt < this.lo) {
        // A quote already passed: what lies after it is unknown.
        this.quoteFrom = 1;
        this.quoteTo = 0;
      } else {
        this.quoteFrom -= this.lo;
        this.quoteTo -= this.lo;
        if (this.quoteAt >= 0) this.quoteAt -= this.lo;
      }
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
