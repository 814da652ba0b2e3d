/**
 * jsonl: one JSON object per line; keys match the declared columns case-insensitively,
 * extra keys are ignored and a missing key is NULL. Lines go through JsonScanner (bytes →
 * values, no JS objects); only lines it rejects reach `JSON.parse`, for the error message.
 */
import type { Schema } from '../../types.js';
import { JsonScanner, T_ESCAPED, T_FALSE, T_MISSING, T_NESTED, T_NULL, T_NUMBER, T_STRING, T_TRUE } from './json-scanner.js';
import { LineReader, type LineReaderInit } from './line-reader.js';
import type { RowStage } from './row-stage.js';

const decoder = new TextDecoder();

/**
 * One JSON object (bytes) into a RowStage: shared by every source whose events are JSON
 * objects (jsonl lines, NATS messages), so types, timestamps and dead letters agree.
 */
export class JsonRowParser {
  private readonly scanner: JsonScanner;
  private readonly byLowerName: Map<string, number>;
  private readonly slowValues: unknown[];

  constructor(
    schema: Schema,
    private readonly stage: RowStage,
  ) {
    this.scanner = new JsonScanner(schema.map((c) => c.name));
    this.byLowerName = new Map();
    schema.forEach((c, j) => {
      const k = c.name.toLowerCase();
      if (!this.byLowerName.has(k)) this.byLowerName.set(k, j);
    });
    this.slowValues = new Array<unknown>(schema.length);
  }

  /** Stages the object in bytes [s, e) of `b`; returns the dead-letter reason, null when staged. */
  parse(b: Uint8Array, s: number, e: number): string | null {
    const sc = this.scanner;
    if (!sc.scan(b, s, e)) return this.processSlow(decoder.decode(b.subarray(s, e)));
    const stage = this.stage;
    const tok = sc.tok;
    for (let j = 0; j < tok.length; j++) {
      const ts = sc.ts[j]!;
      const te = sc.te[j]!;
      let reason: string | null;
      switch (tok[j]) {
        case T_MISSING:
        case T_NULL:
          reason = stage.setNull(j);
          break;
        case T_STRING:
          reason = stage.setText(j, b, ts, te);
          break;
        case T_NUMBER:
          reason = stage.setNumberToken(j, b, ts, te);
          break;
        case T_TRUE:
          reason = stage.setBoolean(j, true);
          break;
        case T_FALSE:
          reason = stage.setBoolean(j, false);
          break;
        case T_ESCAPED:
          reason = stage.setString(j, JSON.parse(decoder.decode(b.subarray(ts, te))) as string);
          break;
        case T_NESTED:
          reason = stage.setNestedJson(j, b, ts, te);
          break;
        default:
          reason = null;
      }
      if (reason !== null) return reason;
    }
    return null;
  }

  /** `JSON.parse` path: objects the scanner rejected, which are nearly always invalid JSON. */
  private processSlow(line: string): string | null {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      return `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      return `invalid JSON: expected an object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`;
    }
    const vals = this.slowValues;
    vals.fill(undefined);
    for (const [k, x] of Object.entries(v)) {
      const j = this.byLowerName.get(k.toLowerCase());
      if (j !== undefined) vals[j] = x;
    }
    for (let j = 0; j < vals.length; j++) {
      const reason = this.stage.setJsValue(j, vals[j]);
      if (reason !== null) return reason;
    }
    return null;
  }
}

export class JsonlReader extends LineReader {
  private readonly parser: JsonRowParser;

  constructor(init: LineReaderInit) {
    super(init);
    this.parser = new JsonRowParser(init.schema, this.stage);
  }

  protected processLine(b: Uint8Array, s: number, e: number): string | null {
    return this.parser.parse(b, s, e);
  }
}
