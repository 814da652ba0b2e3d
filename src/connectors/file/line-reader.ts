/**
 * The shared loop of the line-oriented formats (jsonl, csv): pull lines from a LineSource,
 * hand each to the format's `processLine`, stop at `maxRows` events, and in follow mode poll
 * the growing file. Offsets are byte offsets of line starts; the position is the byte offset
 * after the last consumed line, with a fingerprint of the file's first bytes read so far
 * (so a resume can tell a grown file from a replaced one).
 *
 * While followed, a file that shrinks below the read position (truncated) or whose path now
 * names another file (rotated: renamed away and created anew) is an error, or with
 * `on_truncate = 'reread'` is read again from its start: offsets then start over at 0.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors.js';
import type { Schema } from '../../types.js';
import type { ReadBatch, SourceReader } from '../source-reader.js';
import { clampMaxRows } from '../batch-limits.js';
import { BatchAssembler } from './batch-assembler.js';
import { bomAt, LineSource } from './line-source.js';
import { HEAD_BYTES, headPrint, truncatedError, type HeadPrint, type OnTruncate } from './file-identity.js';
import { RowStage, S_NULL } from './row-stage.js';

/** Tuning knobs that are not WITH options (tests use small chunks and short polls). */
export interface LineReaderTuning {
  /** Bytes per read (default 1 MiB). */
  readonly chunkSize?: number;
  /** How long an unbounded reader waits for more data before returning an empty batch (default 100 ms). */
  readonly pollMs?: number;
}

export interface LineReaderInit {
  readonly source: string;
  readonly path: string;
  readonly schema: Schema;
  readonly eventTimeColumn: number | null;
  readonly handle: FileHandle;
  readonly startOffset: number;
  readonly follow: boolean;
  readonly onTruncate?: OnTruncate;
  readonly tuning?: LineReaderTuning | undefined;
  /** csv: quoted fields may hold newlines (see LineSource). */
  readonly quotes?: { readonly delimiter: number };
}

/** What processLine returns when it made the source's current line shorter: take it again. */
export const RETAKE = Symbol('retake');

const decoder = new TextDecoder();

export abstract class LineReader implements SourceReader {
  readonly bounded: boolean;
  protected readonly asm: BatchAssembler;
  protected readonly stage: RowStage;
  protected lines: LineSource;
  protected readonly schema: Schema;
  protected readonly path: string;
  private handle: FileHandle;
  private readonly source: string;
  private readonly eventTime: number | null;
  private readonly pollMs: number;
  private readonly chunkSize: number | undefined;
  private readonly onTruncate: OnTruncate;
  private readonly quotes: { readonly delimiter: number } | undefined;
  /** The fingerprint of the bytes read so far (up to HEAD_BYTES), refreshed as reading passes them. */
  private head: HeadPrint = { bytes: 0, sha1: '' };
  private closed = false;

  constructor(init: LineReaderInit) {
    this.bounded = !init.follow;
    this.schema = init.schema;
    this.path = init.path;
    this.handle = init.handle;
    this.source = init.source;
    this.eventTime = init.eventTimeColumn;
    this.pollMs = init.tuning?.pollMs ?? 100;
    this.chunkSize = init.tuning?.chunkSize;
    this.onTruncate = init.onTruncate ?? 'error';
    this.quotes = init.quotes;
    this.asm = new BatchAssembler(init.source, init.schema);
    this.stage = new RowStage(init.schema);
    this.lines = new LineSource(init.handle, init.startOffset, init.tuning?.chunkSize, init.quotes);
  }

  /**
   * Converts one line (bytes [s, e) of `b`, BOM and line end removed, never blank) into the
   * stage; returns a dead-letter reason, null when the row is staged, undefined when the
   * line is not an event (a csv header), or RETAKE when it cut the source's current line
   * shorter (a csv record over several lines that is malformed).
   */
  protected abstract processLine(b: Uint8Array, s: number, e: number, offset: number): string | null | undefined | typeof RETAKE;

  async next(maxRows: number): Promise<ReadBatch | null> {
    if (this.closed) throw new SluiceError('CONNECTOR', `reader of ${this.path} is closed`);
    const max = clampMaxRows(maxRows);
    let lines = this.lines;
    let polled = false;
    while (this.asm.events < max) {
      if (lines.nextLine()) {
        this.takeLine();
        continue;
      }
      if ((await lines.fill()) > 0) continue;
      if (this.bounded) {
        if (lines.takeRest()) {
          this.takeLine();
          continue;
        }
        if (this.asm.events === 0) return null;
        break;
      }
      if (this.asm.events > 0 || polled) break;
      if (await this.truncated()) {
        lines = this.lines;
        continue;
      }
      polled = true;
      await sleep(this.pollMs);
    }
    return this.asm.finish();
  }

  private takeLine(): void {
    const { buf, lineOffset } = this.lines;
    let s = this.lines.lineStart;
    const e = this.lines.lineEnd;
    if (lineOffset === 0 && bomAt(buf, s, e)) s += 3;
    let k = s;
    while (k < e && (buf[k] === 32 || buf[k] === 9)) k++;
    if (k === e) return;
    this.stage.clear();
    const reason = this.processLine(buf, s, e, lineOffset);
    if (reason === RETAKE) return this.takeLine();
    if (reason === undefined) return;
    if (reason === null) {
      const et = this.eventTime;
      if (et === null || this.stage.kind[et] !== S_NULL) {
        this.asm.addRow(this.stage, lineOffset);
        return;
      }
      this.asm.addDeadLetter(lineOffset, decoder.decode(buf.subarray(s, e)), `missing event time column ${this.schema[et]!.name}`);
      return;
    }
    this.asm.addDeadLetter(lineOffset, decoder.decode(buf.subarray(s, e)), reason);
  }

  /**
   * Checks a followed file that has no new data: true when it was replaced and reading
   * starts over (on_truncate = 'reread'); throws when it was replaced otherwise.
   */
  private async truncated(): Promise<boolean> {
    const { size, ino, dev } = await this.handle.stat();
    let problem: string | null = null;
    if (size < this.lines.position) problem = `shrank to ${size} bytes, below the ${this.lines.position} bytes read (truncated or replaced while followed)`;
    else {
      // A path that vanished may be mid-rotation: the new file comes at the next poll.
      const now = await stat(this.path).catch(() => null);
      if (now !== null && (now.ino !== ino || now.dev !== dev)) problem = `was replaced by another file while followed (rotated)`;
    }
    if (problem === null) return false;
    if (this.onTruncate !== 'reread') throw truncatedError(this.source, this.path, problem);
    const fresh = await open(this.path, 'r');
    await this.handle.close();
    this.handle = fresh;
    this.lines = new LineSource(fresh, 0, this.chunkSize, this.quotes);
    this.head = { bytes: 0, sha1: '' };
    this.restart();
    return true;
  }

  /** Forgets what the format learned from the file's first lines (a csv header), before a re-read. */
  protected restart(): void {}

  position(): unknown {
    const offset = this.lines.position;
    const want = Math.min(offset, HEAD_BYTES);
    if (want > this.head.bytes && !this.closed) this.head = headPrint(this.handle.fd, want);
    return { offset, head: this.head };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
