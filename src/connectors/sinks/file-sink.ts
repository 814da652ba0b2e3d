/**
 * The file sink: jsonl (one JSON object per change) or csv (a header, then one line per
 * change). Timestamps are written as ISO-8601 UTC with milliseconds. Output is buffered and
 * written with appends (at once with `eager`, in memory); the file is created (truncated)
 * when the sink is created.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { SluiceError } from '../../errors.js';
import { columnsOf, OP_NAMES, readValue, type ChangeBatch } from '../../exec/batch.js';
import { isDecimal } from '../../decimal.js';
import { jsonRowText, jsonValue } from './json-row.js';
import type { Schema, SqlType, Value } from '../../types.js';
import type { SinkInit, SinkWriter } from './sink-writer.js';
import { PostgresSink } from './postgres-sink.js';
import { NatsSink } from '../nats/nats-sink.js';

function csvField(v: Value, t: SqlType): string {
  if (v === null) return '';
  const s = t === 'TIMESTAMP' || t === 'DATE' || isDecimal(t) ? (jsonValue(v, t) as string) : String(v);
  // An empty text is quoted, as DuckDB writes it: an empty field reads back as NULL.
  if (s === '') return '""';
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class FileSink implements SinkWriter {
  private fd: number;
  private buffer: string[] = [];
  /** Bytes in the file so far (flushed). */
  private bytes = 0;
  private readonly format: 'jsonl' | 'csv';
  private readonly schema: Schema;
  readonly path: string;

  constructor(private readonly init: SinkInit) {
    const path = init.options['path'];
    if (typeof path !== 'string' || path === '') {
      throw new SluiceError('CONNECTOR', `sink '${init.name}' needs WITH (path = '…')`);
    }
    const format = init.options['format'] ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') {
      throw new SluiceError('CONNECTOR', `sink '${init.name}': format must be 'jsonl' or 'csv', got '${String(format)}'`);
    }
    for (const k of Object.keys(init.options)) {
      if (!['connector', 'path', 'format'].includes(k)) {
        throw new SluiceError('CONNECTOR', `sink '${init.name}': unknown option '${k}' (file sinks take path and format)`);
      }
    }
    this.format = format;
    this.schema = init.schema;
    this.path = resolve(init.baseDir, path);
    const resume = init.resumeAt;
    try {
      // On recovery, output after the last checkpoint is cut away: it is written again by replay.
      this.fd = openSync(this.path, resume !== undefined && existsSync(this.path) ? 'r+' : 'w');
      if (resume !== undefined) ftruncateSync(this.fd, resume);
    } catch (e) {
      throw new SluiceError('CONNECTOR', `sink '${init.name}': cannot write '${this.path}': ${(e as Error).message}`);
    }
    this.bytes = resume ?? 0;
    if (this.format === 'csv' && this.bytes === 0) {
      const header = [...(init.appendOnly ? [] : ['op']), ...this.schema.map((c) => c.name)];
      this.buffer.push(header.join(',') + '\n');
    }
  }

  write(batch: ChangeBatch): void {
    const withOp = !this.init.appendOnly;
    const cols = columnsOf(batch);
    for (let i = 0; i < batch.length; i++) {
      const r = this.schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const op = OP_NAMES[batch.ops === null ? 0 : batch.ops[i]!];
      if (this.format === 'jsonl') {
        this.buffer.push(jsonRowText(this.schema, r, withOp ? op! : null) + '\n');
      } else {
        const fields = this.schema.map((c, j) => csvField(r[j]!, c.type));
        if (withOp) fields.unshift(op!);
        this.buffer.push(fields.join(',') + '\n');
      }
    }
    if (this.init.eager === true || this.buffer.length > 4096) this.flushSync();
  }

  private flushSync(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    const data = Buffer.from(text, 'utf8');
    writeSync(this.fd, data, 0, data.length, this.bytes);
    this.bytes += data.length;
  }

  async flush(): Promise<number> {
    this.flushSync();
    fsyncSync(this.fd);
    return this.bytes;
  }

  async close(): Promise<void> {
    this.flushSync();
    closeSync(this.fd);
  }
}

export class BlackholeSink implements SinkWriter {
  rows = 0;
  write(batch: ChangeBatch): void {
    this.rows += batch.length;
  }
  async flush(): Promise<number> {
    return this.rows;
  }
  async close(): Promise<void> {}
}

/** Opens the sink connector named in WITH (connector = …). */
export function openSink(connector: string, init: SinkInit): SinkWriter {
  if (connector === 'file') return new FileSink(init);
  if (connector === 'blackhole') return new BlackholeSink();
  if (connector === 'postgres') return new PostgresSink(init);
  if (connector === 'nats') return new NatsSink(init);
  throw new SluiceError('CONNECTOR', `unknown sink connector '${connector}' (sinks: file, blackhole, postgres, nats)`);
}
