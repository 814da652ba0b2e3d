/**
 * csv: RFC 4180 fields (a quoted field may hold the delimiter, line breaks, and `""` for a
 * quote), one record per line except where a quoted field holds a line break. A record over
 * several lines that is malformed (its fields, their count or a value) is taken back to its
 * first line, which is the dead letter, and reading goes on at the second line: a stray
 * quote costs one line, not the lines up to the next quote. With `header = true` (default) the first
 * line names the fields and declared columns match them case-insensitively (extra fields
 * are ignored); with `header = false` fields are positional. An unquoted empty field is
 * NULL; a quoted empty field `""` is the empty string for VARCHAR and NULL otherwise. A
 * record with a different number of fields than the header (or the declared columns) is a
 * dead letter.
 */
import type { FileHandle } from 'node:fs/promises';
import { SluiceError } from '../../errors.js';
import { LineReader, RETAKE, type LineReaderInit } from './line-reader.js';
import { bomAt, LineSource } from './line-source.js';

const QUOTE = 34;
const NL = 10;
const decoder = new TextDecoder();

export interface CsvInit extends LineReaderInit {
  readonly header: boolean;
  /** The delimiter byte (ASCII). */
  readonly delimiter: number;
}

/** Field boundaries of one record, reused from line to line. */
class Fields {
  count = 0;
  start = new Int32Array(64);
  end = new Int32Array(64);
  /** 0 unquoted, 1 quoted (content in the line), 2 quoted with `""` (content in `scratch`). */
  quoted = new Uint8Array(64);
  scratch = new Uint8Array(256);
  private scratchLen = 0;

  reset(lineLength: number): void {
    this.count = 0;
    this.scratchLen = 0;
    if (this.scratch.length < lineLength) this.scratch = new Uint8Array(lineLength * 2);
  }

  push(s: number, e: number, q: number): void {
    if (this.count === this.start.length) {
      const n = this.count * 2;
      const st = new Int32Array(n);
      st.set(this.start);
      this.start = st;
      const en = new Int32Array(n);
      en.set(this.end);
      this.end = en;
      const qu = new Uint8Array(n);
      qu.set(this.quoted);
      this.quoted = qu;
    }
    this.start[this.count] = s;
    this.end[this.count] = e;
    this.quoted[this.count++] = q;
  }

  /** Copies b[s, e) into scratch with `""` → `"`; pushes the field. */
  pushUnescaped(b: Uint8Array, s: number, e: number): void {
    const out = this.scratch;
    const s0 = this.scratchLen;
    let p = s0;
    for (let i = s; i < e; i++) {
      out[p++] = b[i]!;
      if (b[i] === QUOTE) i++;
    }
    this.scratchLen = p;
    this.push(s0, p, 2);
  }
}

/** Splits a record into fields; returns an error message for malformed quoting. */
function splitRecord(b: Uint8Array, s: number, e: number, delim: number, f: Fields): string | null {
  f.reset(e - s);
  let i = s;
  for (;;) {
    if (i < e && b[i] === QUOTE) {
      const cs = i + 1;
      let k = cs;
      let escaped = false;
      for (;;) {
        while (k < e && b[k] !== QUOTE) k++;
        if (k >= e) return 'unterminated quoted field';
        if (k + 1 < e && b[k + 1] === QUOTE) {
          escaped = true;
          k += 2;
          continue;
        }
        break;
      }
      if (escaped) f.pushUnescaped(b, cs, k);
      else f.push(cs, k, 1);
      i = k + 1;
      if (i < e && b[i] !== delim) return 'malformed quoted field (text after the closing quote)';
    } else {
      let k = i;
      while (k < e && b[k] !== delim) k++;
      f.push(i, k, 0);
      i = k;
    }
    if (i >= e) return null;
    i++;
    if (i === e) {
      f.push(e, e, 0);
      return null;
    }
  }
}

export class CsvReader extends LineReader {
  private readonly header: boolean;
  private readonly delimiter: number;
  private readonly fields = new Fields();
  /** Field index of each declared column; null until the header is known. */
  private fieldOf: Int32Array | null;
  private expectedFields: number;
  /** File offset of the header line when it was read apart (on resume), so it is not read as a record. */
  private headerOffset = -1;

  constructor(init: CsvInit) {
    super({ ...init, quotes: { delimiter: init.delimiter } });
    this.header = init.header;
    this.delimiter = init.delimiter;
    this.fieldOf = init.header ? null : Int32Array.from(init.schema.map((_, j) => j));
    this.expectedFields = init.schema.length;
  }

  protected override restart(): void {
    if (!this.header) return;
    this.fieldOf = null;
    this.headerOffset = -1;
  }

  /** Reads the header line of a file whose reading resumes past it. */
  async readHeader(handle: FileHandle): Promise<void> {
    const src = new LineSource(handle, 0, 64 * 1024, { delimiter: this.delimiter });
    for (;;) {
      if (!src.nextLine()) {
        if ((await src.fill()) > 0) continue;
        if (!src.takeRest()) return;
      }
      let s = src.lineStart;
      const b = src.buf;
      const e = src.lineEnd;
      if (src.lineOffset === 0 && bomAt(b, s, e)) s += 3;
      let k = s;
      while (k < e && (b[k] === 32 || b[k] === 9)) k++;
      if (k === e) continue;
      this.setHeader(b, s, e);
      this.headerOffset = src.lineOffset;
      return;
    }
  }

  private setHeader(b: Uint8Array, s: number, e: number): void {
    const f = this.fields;
    const problem = splitRecord(b, s, e, this.delimiter, f);
    if (problem !== null) throw new SluiceError('CONNECTOR', `bad csv header in ${this.path}: ${problem}`);
    const names = new Map<string, number>();
    for (let k = 0; k < f.count; k++) {
      const src = f.quoted[k] === 2 ? f.scratch : b;
      const name = decoder.decode(src.subarray(f.start[k], f.end[k])).trim().toLowerCase();
      if (!names.has(name)) names.set(name, k);
    }
    this.fieldOf = Int32Array.from(
      this.schema.map((c) => {
        const k = names.get(c.name.toLowerCase());
        if (k === undefined) throw new SluiceError('CONNECTOR', `column ${c.name} is not in the csv header of ${this.path}`);
        return k;
      }),
    );
    this.expectedFields = f.count;
  }

  protected processLine(b: Uint8Array, s: number, e: number, offset: number): string | null | undefined | typeof RETAKE {
    if (offset === this.headerOffset) return undefined;
    if (this.fieldOf === null) {
      this.setHeader(b, s, e);
      return undefined;
    }
    const reason = this.record(b, s, e, this.fieldOf);
    if (reason === null) return null;
    const nl = b.indexOf(NL, s);
    if (nl < 0 || nl >= e) return reason;
    this.lines.firstLineOnly();
    return RETAKE;
  }

  private record(b: Uint8Array, s: number, e: number, fieldOf: Int32Array): string | null {
    const f = this.fields;
    const problem = splitRecord(b, s, e, this.delimiter, f);
    if (problem !== null) return problem;
    if (f.count !== this.expectedFields) return `expected ${this.expectedFields} fields, got ${f.count}`;
    const stage = this.stage;
    for (let j = 0; j < fieldOf.length; j++) {
      const k = fieldOf[j]!;
      const fs = f.start[k]!;
      const fe = f.end[k]!;
      const q = f.quoted[k]!;
      let reason: string | null;
      if (fs === fe && (q === 0 || stage.types[j] !== 'VARCHAR')) reason = stage.setNull(j);
      else reason = stage.setText(j, q === 2 ? f.scratch : b, fs, fe);
      if (reason !== null) return reason;
    }
    return null;
  }
}
