/**
 * The `nexmark` source connector: one table of the generated Nexmark sequence.
 *
 * Options: `table` ('person' | 'auction' | 'bid', required); `events` (total events of the
 * interleaved sequence, so `events = 50` gives 1 person, 3 auctions and 46 bids; absent =
 * endless); `rate` (events per second of event time, default 10000); `seed` (integer,
 * default 0); `base_time` (event time of event 0, ISO-8601 or epoch ms; default
 * 2024-01-01T00:00:00Z). The declared columns must be columns of the table (any subset, any
 * order, matched by name); a BIGINT column may be declared DOUBLE. Generation is not paced
 * by the wall clock: an endless source produces as fast as it is read.
 */
import type { Data, Schema as ArrowSchema } from 'apache-arrow';
import { SluiceError } from '../../errors.js';
import { arrowSchema, makeRecordBatch } from '../../exec/batch.js';
import { allNullColumn } from '../../exec/vector/columns.js';
import type { Schema } from '../../types.js';
import { clampMaxRows } from '../batch-limits.js';
import { checkKnownOptions, numberOption, requiredString, timestampOption } from '../options.js';
import type { ReaderOptions, ReadBatch, SourceOptions, SourceReader } from '../source-reader.js';
import { NexmarkGenerator, type NexmarkConfig } from './generator.js';
import { NEXMARK_SCHEMAS, NEXMARK_TABLES, nexmarkTypeCompatible, type NexmarkTable } from './schemas.js';

const WHERE = "connector 'nexmark'";
const NEXMARK_OPTIONS = ['table', 'events', 'rate', 'seed', 'base_time'];

function bad(message: string): SluiceError {
  return new SluiceError('CONNECTOR', message);
}

/** The checked options of a nexmark source. */
export interface NexmarkOptions extends NexmarkConfig {
  readonly table: NexmarkTable;
}

/** Reads and checks the WITH options of a nexmark source. */
export function parseNexmarkOptions(options: SourceOptions): NexmarkOptions {
  checkKnownOptions(options, NEXMARK_OPTIONS, WHERE);
  const t = requiredString(options, 'table', WHERE).toLowerCase();
  if (!(NEXMARK_TABLES as readonly string[]).includes(t)) {
    throw bad(`unknown nexmark table '${t}' in option 'table' (expected one of: ${NEXMARK_TABLES.join(', ')})`);
  }
  const events = numberOption(options, 'events', { integer: true, min: 0 });
  const rate = numberOption(options, 'rate', { positive: true });
  const seed = numberOption(options, 'seed', { integer: true });
  const baseTime = timestampOption(options, 'base_time');
  return {
    table: t as NexmarkTable,
    ...(events !== undefined && { events }),
    ...(rate !== undefined && { rate }),
    ...(seed !== undefined && { seed }),
    ...(baseTime !== undefined && { baseTime }),
  };
}

/** Checks a nexmark source's options and that its declared columns belong to the table. */
export function validateNexmarkOptions(options: SourceOptions, schema: Schema): void {
  const { table } = parseNexmarkOptions(options);
  const cols = NEXMARK_SCHEMAS[table];
  for (const c of schema) {
    const actual = cols.find((x) => x.name === c.name.toLowerCase());
    if (actual === undefined) {
      throw bad(`column ${c.name} is not a column of nexmark table ${table} (it has: ${cols.map((x) => x.name).join(', ')})`);
    }
    if (!nexmarkTypeCompatible(actual.type, c.type)) {
      throw bad(`column ${c.name}: nexmark ${table}.${actual.name} is ${actual.type}, it cannot be declared ${c.type}`);
    }
  }
}

class NexmarkReader implements SourceReader {
  readonly bounded: boolean;
  private readonly gen: NexmarkGenerator;
  private readonly arrow: ArrowSchema;
  /** For each declared column, its index among the generated ones, or -1 (not read: NULLs). */
  private readonly generated: Int32Array;
  /** The all-NULL stand-ins of the columns not read, by declared index (reused while batches keep their length). */
  private readonly placeholders: (Data | null)[];

  constructor(gen: NexmarkGenerator, private readonly schema: Schema, generated: Int32Array, bounded: boolean) {
    this.gen = gen;
    this.bounded = bounded;
    this.arrow = arrowSchema(schema);
    this.generated = generated;
    this.placeholders = schema.map(() => null);
  }

  async next(maxRows: number): Promise<ReadBatch | null> {
    const c = this.gen.nextColumns(clampMaxRows(maxRows));
    if (c === null) return null;
    const columns = this.schema.map((col, j) => {
      const g = this.generated[j]!;
      if (g >= 0) return c.columns[g]!;
      let p = this.placeholders[j];
      if (p === null || p === undefined || p.length !== c.length) this.placeholders[j] = p = allNullColumn(col.type, c.length);
      return p;
    });
    return { data: makeRecordBatch(this.arrow, columns, c.length), offsets: c.events, deadLetters: [] };
  }

  position(): unknown {
    return { event: this.gen.nextEvent };
  }

  async close(): Promise<void> {}
}

/** Opens the reader of a nexmark source (options already validated). */
export async function openNexmarkReader(opts: ReaderOptions): Promise<SourceReader> {
  const o = parseNexmarkOptions(opts.options);
  let startEvent = 0;
  if (opts.resumeFrom !== undefined && opts.resumeFrom !== null) {
    const v = (opts.resumeFrom as Record<string, unknown>)['event'];
    if (typeof opts.resumeFrom !== 'object' || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw bad(`invalid resume position for nexmark source ${opts.source}: ${JSON.stringify(opts.resumeFrom)}`);
    }
    startEvent = v;
  }
  // Only the columns the engine reads are generated (a bid query on bidder and time skips
  // the strings); the generator's values do not depend on which columns it makes.
  const read = new Set(opts.columns ?? opts.schema.map((_, j) => j));
  const generated = new Int32Array(opts.schema.length).fill(-1);
  const names: string[] = [];
  opts.schema.forEach((c, j) => {
    if (!read.has(j)) return;
    generated[j] = names.length;
    names.push(c.name);
  });
  const gen = new NexmarkGenerator(o.table, o, { columns: names, startEvent });
  return new NexmarkReader(gen, opts.schema, generated, o.events !== undefined);
}
