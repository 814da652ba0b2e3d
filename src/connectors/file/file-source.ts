/**
 * The `file` source connector: options, checks, and the reader of each format.
 *
 * Options: `path` (required; relative to the SQL file's folder), `format` ('jsonl' | 'csv' |
 * 'parquet' | 'arrow'; when absent, taken from the extension: .jsonl/.ndjson/.json, .csv,
 * .parquet, .arrow/.ipc/.feather), csv only: `header` (default true) and `delimiter`
 * (one ASCII character, default ','; '\t' may be written as the two characters `\t`),
 * jsonl/csv only: `follow` (default false; tail the growing file, never ending), and
 * `on_truncate` ('error' | 'reread', default 'error': what to do when the file turns out
 * truncated or replaced — on resume, or while followed).
 *
 * Resuming (a checkpointed position): jsonl/csv resume at the stored byte offset once the
 * file is known to be the one read before (see file-identity.ts). parquet and arrow files
 * are rewritten rather than appended to, so there is no byte position to check: they resume
 * at the stored row number, and a file with fewer rows than that counts as truncated.
 */
import { open, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { SluiceError } from '../../errors.js';
import type { Schema } from '../../types.js';
import { booleanOption, checkKnownOptions, enumOption, requiredString, stringOption } from '../options.js';
import type { ReaderOptions, SourceOptions, SourceReader } from '../source-reader.js';
import { ArrowReader } from './arrow-reader.js';
import { CsvReader } from './csv-reader.js';
import { lineResumeProblem, ON_TRUNCATE, storedHead, truncatedError, type OnTruncate } from './file-identity.js';
import { JsonlReader } from './jsonl-reader.js';
import type { LineReaderTuning } from './line-reader.js';
import { ParquetReader } from './parquet-reader.js';

export type FileFormat = 'jsonl' | 'csv' | 'parquet' | 'arrow';

export const FILE_FORMATS: readonly FileFormat[] = ['jsonl', 'csv', 'parquet', 'arrow'];

const FILE_OPTIONS = ['path', 'format', 'header', 'delimiter', 'follow', 'on_truncate'];
const WHERE = "connector 'file'";

const BY_EXTENSION: Record<string, FileFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'jsonl',
  csv: 'csv',
  parquet: 'parquet',
  arrow: 'arrow',
  ipc: 'arrow',
  feather: 'arrow',
};

function bad(message: string): SluiceError {
  return new SluiceError('CONNECTOR', message);
}

/** The checked options of a file source. */
export interface FileOptions {
  readonly path: string;
  readonly format: FileFormat;
  readonly header: boolean;
  /** The delimiter byte. */
  readonly delimiter: number;
  readonly follow: boolean;
  readonly onTruncate: OnTruncate;
}

/** Reads and checks the WITH options of a file source (see the module comment). */
export function parseFileOptions(options: SourceOptions): FileOptions {
  checkKnownOptions(options, FILE_OPTIONS, WHERE);
  const path = requiredString(options, 'path', WHERE);
  const given = stringOption(options, 'format');
  let format: FileFormat;
  if (given !== undefined) {
    const f = given.toLowerCase();
    if (!(FILE_FORMATS as readonly string[]).includes(f)) throw bad(`unknown format '${given}' for ${WHERE} (expected one of: ${FILE_FORMATS.join(', ')})`);
    format = f as FileFormat;
  } else {
    const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
    const f = ext === undefined ? undefined : BY_EXTENSION[ext];
    if (f === undefined) throw bad(`missing option 'format' for ${WHERE} (cannot tell the format of '${path}' from its extension)`);
    format = f;
  }
  if (format !== 'csv') {
    for (const k of ['header', 'delimiter']) if (options[k] !== undefined) throw bad(`option '${k}' applies only to format 'csv', not '${format}'`);
  }
  if (format !== 'jsonl' && format !== 'csv' && options['follow'] !== undefined && booleanOption(options, 'follow', false)) {
    throw bad(`option 'follow' applies only to formats 'jsonl' and 'csv', not '${format}'`);
  }
  const header = booleanOption(options, 'header', true);
  const follow = booleanOption(options, 'follow', false);
  const onTruncate = enumOption(options, 'on_truncate', ON_TRUNCATE, 'error');
  let delim = stringOption(options, 'delimiter') ?? ',';
  if (delim === '\\t') delim = '\t';
  if (delim.length !== 1 || delim.charCodeAt(0) > 127 || delim === '"' || delim === '\n' || delim === '\r') {
    throw bad(`option 'delimiter' must be one ASCII character other than a quote or a line break, got '${delim}'`);
  }
  return { path, format, header, delimiter: delim.charCodeAt(0), follow, onTruncate };
}

/** Checks a file source's options at CREATE SOURCE time. */
export function validateFileOptions(options: SourceOptions, schema: Schema): void {
  parseFileOptions(options);
  if (schema.length === 0) throw bad(`a file source needs at least one column`);
}

function resumeValue(resumeFrom: unknown, key: 'offset' | 'row', path: string): number {
  if (resumeFrom === undefined || resumeFrom === null) return 0;
  const v = (resumeFrom as Record<string, unknown>)[key];
  if (typeof resumeFrom !== 'object' || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw bad(`invalid resume position for ${path}: ${JSON.stringify(resumeFrom)}`);
  }
  return v;
}

/**
 * Opens the reader of a file source; `tuning` (chunk size, poll interval) is for tests and
 * benchmarks.
 */
export async function openFileReader(opts: ReaderOptions, tuning?: LineReaderTuning): Promise<SourceReader> {
  const o = parseFileOptions(opts.options);
  const path = isAbsolute(o.path) ? o.path : resolve(opts.baseDir, o.path);
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw bad(`${path} is a directory, not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    const code = (err as { code?: string }).code;
    throw bad(code === 'ENOENT' ? `file not found: ${path}` : `cannot open ${path}: ${(err as Error).message}`);
  }
  const common = { source: opts.source, path, schema: opts.schema, eventTimeColumn: opts.eventTimeColumn };
  switch (o.format) {
    case 'parquet':
    case 'arrow': {
      let startRow = resumeValue(opts.resumeFrom, 'row', path);
      if (startRow > 0) {
        const rows = o.format === 'parquet' ? await ParquetReader.countRows(path) : await ArrowReader.countRows(path);
        if (rows < startRow) {
          if (o.onTruncate !== 'reread') throw truncatedError(opts.source, path, `has ${rows} rows, fewer than the ${startRow} read before (truncated or replaced)`);
          startRow = 0;
        }
      }
      return o.format === 'parquet' ? ParquetReader.open({ ...common, startRow }) : ArrowReader.open({ ...common, startRow });
    }
    case 'jsonl':
    case 'csv': {
      let startOffset = resumeValue(opts.resumeFrom, 'offset', path);
      const handle = await open(path, 'r');
      try {
        if (startOffset > 0) {
          const head = storedHead((opts.resumeFrom as Record<string, unknown>)['head']);
          const problem = await lineResumeProblem(handle, size, startOffset, head);
          if (problem !== null) {
            if (o.onTruncate !== 'reread') throw truncatedError(opts.source, path, problem);
            startOffset = 0;
          }
        }
        const init = { ...common, handle, startOffset, follow: o.follow, onTruncate: o.onTruncate, tuning };
        if (o.format === 'jsonl') return new JsonlReader(init);
        const csv = new CsvReader({ ...init, header: o.header, delimiter: o.delimiter });
        if (o.header && startOffset > 0) await csv.readHeader(handle);
        return csv;
      } catch (err) {
        await handle.close();
        throw err;
      }
    }
  }
}
