/**
 * A source while the engine runs: where its events come from (the event log, or a
 * connector's shared reader), the pipeline inputs that read it live, and how a new pipeline
 * catches up on everything that came before it joined (views are derived by replay).
 */
import type { RecordBatch } from 'apache-arrow';
import { isBounded, sourceSchema, type SourceDef } from '../catalog/definitions.js';
import { openSourceReader, type Backlog, type SourceReader } from '../connectors/source-reader.js';
import { columnsOf, isValid } from '../exec/batch.js';
import type { ReplayLimit } from '../plan/logical-plan.js';
import { headRows } from '../exec/batch-ops.js';
import type { SourceInput } from '../exec/pipeline.js';
import { deliverTogether, siblingGroups } from '../exec/co-fed.js';
import type { RowPartitions } from '../exec/watermark-tracker.js';
import { EventLog } from '../state/event-log.js';
import { streamKeyOf } from '../catalog/stream-key.js';
import type { Database } from '../state/database.js';
import type { SystemTables } from '../state/system-tables.js';
import type { SourcePosition } from '../state/checkpoint-store.js';
import { parseIntervalText } from '../catalog/interval-text.js';
import { SluiceError } from '../errors.js';

let lastYield = Date.now();

/** Lets timers and I/O run during long replays (a shell keeps drawing, Ctrl-C is seen). */
export async function yieldToEventLoop(): Promise<void> {
  const now = Date.now();
  if (now - lastYield < 50) return;
  lastYield = now;
  await new Promise((r) => setImmediate(r));
}

/** The largest of `from` and the values (NULL slots hold 0, below any event time that matters). */
function maxOf(values: Float64Array, from: number): number {
  // A plain loop over a local: the same loop on a field, in the async step, ran at a fifth of this speed.
  let max = from;
  for (let i = 0; i < values.length; i++) {
    const t = values[i]!;
    if (t > max) max = t;
  }
  return max;
}

/** The partitions of a batch's first `n` rows. */
function headPartitions(p: string | RowPartitions, n: number): string | RowPartitions {
  return typeof p === 'string' || p.ids.length === n ? p : { ids: p.ids.subarray(0, n), names: p.names };
}

export class SourceRuntime {
  readonly inputs = new Set<SourceInput>();
  readonly log: EventLog | null;
  private reader: SourceReader | null = null;
  /** Offset of the last row the shared reader delivered (-1: none yet). */
  private lastOffset = -1;
  /** The source has ended: every input's watermark is +infinity. */
  ended = false;
  /** The largest event time read so far (to interleave sources by time). */
  maxEventTime = -Infinity;
  /** The last manual watermark (advanceWatermark), replayed for inputs that join later. */
  private manualWatermark = -Infinity;
  /** Events read so far, for progress reports. */
  eventsRead = 0;
  /** Why background reading of this source stopped (its file was truncated…); null while it reads. */
  failure: SluiceError | null = null;

  constructor(
    public def: SourceDef,
    private readonly db: Database,
    private readonly system: SystemTables,
  ) {
    this.log = def.connector === 'none' ? new EventLog(db, def.name, streamKeyOf(def)) : null;
  }

  get name(): string {
    return this.def.name;
  }

  get bounded(): boolean {
    return isBounded(this.def);
  }

  get isConnector(): boolean {
    return this.log === null;
  }

  /** The idle timeout from WITH (idle_timeout = '…'), in ms. */
  get idleTimeoutMs(): number | null {
    const v = this.def.options['idle_timeout'];
    if (v === undefined) return null;
    const ms = typeof v === 'number' ? v : parseIntervalText(String(v));
    return ms === undefined ? null : ms;
  }

  private wmColumn(): number | null {
    const wm = this.def.watermark;
    return wm ? this.def.columns.findIndex((c) => c.name === wm.column) : null;
  }

  /** Inputs whose trackers hold the reader's `heldPartitions` already. */
  private readonly holding = new WeakSet<SourceInput>();

  /** Where the shared reader resumes after a recovery (null: from the start). */
  private resumeFrom: unknown = null;

  /** Which declared columns the open shared reader produces (1: read); null while none is open. */
  private readerColumns: Uint8Array | null = null;

  private openReader(resumeFrom: unknown = null, columns?: readonly number[], replay = false): Promise<SourceReader> {
    return openSourceReader(this.def.connector, {
      source: this.def.name,
      schema: sourceSchema(this.def),
      eventTimeColumn: this.wmColumn(),
      options: this.def.options,
      baseDir: this.def.baseDir,
      ...(resumeFrom === null ? {} : { resumeFrom }),
      ...(columns === undefined ? {} : { columns }),
      ...(replay ? { replay } : {}),
      ...(this.db.path === null ? { durable: false } : {}),
    });
  }

  /** The declared columns `inputs` read, plus the event-time column (ascending). */
  private columnsRead(inputs: Iterable<SourceInput>): number[] {
    const read = new Set<number>();
    const wm = this.wmColumn();
    if (wm !== null && wm >= 0) read.add(wm);
    for (const input of inputs) for (const c of input.node.columns) read.add(c);
    return [...read].sort((a, b) => a - b);
  }

  /** True when the open shared reader produces every column the live inputs read. */
  private readerCovers(): boolean {
    const has = this.readerColumns;
    if (has === null) return false;
    for (const input of this.inputs) for (const c of input.node.columns) if (has[c] !== 1) return false;
    return true;
  }

  /** The source's progress for a checkpoint: every live input has seen exactly this much. */
  position(): SourcePosition {
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    return {
      source: this.name,
      position: this.log ? this.log.next : (this.reader?.position() ?? this.resumeFrom),
      lastOffset: this.lastOffset,
      ended: this.ended,
      manualWatermark: num(this.manualWatermark),
      maxEventTime: num(this.maxEventTime),
      eventsRead: this.eventsRead,
    };
  }

  /** Takes back the progress of a checkpoint (before any input is attached). */
  restorePosition(p: SourcePosition): void {
    this.lastOffset = p.lastOffset;
    // A bounded connector ended where its input ended then: a file may have grown since, so
    // it is read on from the stored position (and ends again). The pipelines keep the end's
    // watermark they were checkpointed with, so windows it closed stay closed.
    // (A checkpoint without a position, from before positions were kept at the end, stays ended.)
    this.ended = p.ended && !(this.isConnector && this.bounded && p.position !== null && p.position !== undefined);
    this.manualWatermark = p.manualWatermark ?? -Infinity;
    this.maxEventTime = p.maxEventTime ?? -Infinity;
    this.eventsRead = p.eventsRead;
    if (this.log) this.replayFrom = p.position as number;
    else this.resumeFrom = p.position;
  }

  /** The offset of the last event the live inputs had taken at the checkpoint restored (-1: none). */
  get restoredThrough(): number {
    return this.log ? this.replayFrom - 1 : this.lastOffset;
  }

  /** Event log offset from which the live inputs still need events after a recovery. */
  private replayFrom = 0;

  /** After a recovery: delivers the logged events the checkpoint had not covered. */
  async replayLog(batchSize: number): Promise<void> {
    if (!this.log || this.replayFrom >= this.log.next) return;
    for await (const { batch, offsets, partition } of this.log.read(this.def.columns, this.replayFrom, this.log.next, batchSize)) {
      this.deliver(this.inputs, batch, offsets, partition);
    }
    this.replayFrom = this.log.next;
  }

  /** Validates the connector by opening (and closing) a reader, so a bad path fails at CREATE. */
  async check(): Promise<void> {
    if (this.log) return;
    // Opening checks the options and the declared columns; it need not make any of them.
    const r = await this.openReader(null, this.columnsRead([]));
    await r.close();
  }

  deliver(inputs: Iterable<SourceInput>, batch: RecordBatch, offsets: Float64Array, partition: string | RowPartitions = ''): void {
    const now = Date.now();
    // Inputs of one pipeline that read this source take the batch together (co-fed.ts).
    for (const group of siblingGroups(inputs)) {
      if (group.length === 1) group[0]!.push(batch, offsets, now, partition);
      else deliverTogether(group, batch, offsets, now, partition);
    }
  }

  /**
   * Gives `inputs` every event that came before they joined: the event log up to now, or the
   * connector's rows up to where the shared reader stands. `from`: the first log offset to
   * give (a replay from a view's retained snapshot).
   */
  async catchUp(inputs: readonly SourceInput[], batchSize: number, limit?: ReplayLimit, from = 0): Promise<void> {
    if (inputs.length === 0) return;
    // With a limit (AS OF), how many rows of a batch come before it; -1 once it is reached.
    let reached = false;
    const keep = (batch: RecordBatch, offsets: Float64Array): number => {
      if (!limit) return offsets.length;
      let n = 0;
      if (limit.by === 'OFFSET') {
        while (n < offsets.length && offsets[n]! <= limit.value) n++;
      } else {
        const ts = columnsOf(batch)[this.wmColumn()!]!;
        const v = ts.values as Float64Array;
        while (n < offsets.length && !(isValid(ts, n) && v[n]! > limit.value)) n++;
      }
      if (n < offsets.length) reached = true;
      return n;
    };
    const give = (batch: RecordBatch, offsets: Float64Array, partition: string | RowPartitions = '') => {
      const n = keep(batch, offsets);
      if (n > 0) this.deliver(inputs, n === offsets.length ? batch : headRows(batch, n), offsets.subarray(0, n), headPartitions(partition, n));
    };
    if (this.log) {
      for await (const { batch, offsets, partition } of this.log.read(this.def.columns, from, this.log.next, batchSize)) {
        give(batch, offsets, partition);
        await yieldToEventLoop();
        if (reached) break;
      }
    } else if (this.lastOffset >= 0) {
      const r = await this.openReader(null, this.columnsRead(inputs), true);
      this.hold(inputs, r);
      try {
        for (let b = await r.next(batchSize); b !== null && !reached; b = await r.next(batchSize)) {
          const offs = b.offsets;
          let n = 0;
          while (n < offs.length && offs[n]! <= this.lastOffset) n++;
          if (n > 0) give(n === offs.length ? b.data : headRows(b.data, n), offs.subarray(0, n), headPartitions(b.partitions ?? '', n));
          // Watermark messages carry no offset: only a stretch wholly before the live position is surely behind it.
          if (n === offs.length && !limit) this.progress(inputs, b.progress);
          await yieldToEventLoop();
          if (n < offs.length || (offs.length > 0 && offs[offs.length - 1]! >= this.lastOffset)) break;
        }
      } finally {
        await r.close();
      }
    }
    // A replay to a past point stops there: the watermark stays as the events left it.
    if (limit) return;
    for (const input of inputs) {
      if (Number.isFinite(this.manualWatermark)) input.advance((t) => t.advance(this.manualWatermark));
      if (this.ended) input.advance((t) => t.end());
    }
  }

  /** Reads the next batch of the shared reader into the live inputs; false at the end. */
  async step(batchSize: number): Promise<boolean> {
    if (this.log || this.ended) return false;
    // The shared reader makes only the columns its inputs read; an input that joined later
    // and reads more makes it reopen where it stands.
    if (this.reader !== null && !this.readerCovers()) {
      this.resumeFrom = this.reader.position();
      await this.reader.close();
      this.reader = null;
    }
    if (this.reader === null) {
      const columns = this.columnsRead(this.inputs);
      this.reader = await this.openReader(this.resumeFrom, columns);
      this.readerColumns = new Uint8Array(this.def.columns.length);
      for (const c of columns) this.readerColumns[c] = 1;
    }
    this.hold(this.inputs, this.reader);
    // Nothing has arrived: waiting for it here would hold the engine's queue (see waitForData).
    if (!this.reader.bounded && this.reader.ready?.() === false) return false;
    const b = await this.reader.next(batchSize);
    if (b === null) {
      this.finish();
      return false;
    }
    if (b.deadLetters.length > 0) this.system.recordDead(b.deadLetters);
    if (b.data.numRows > 0) {
      this.lastOffset = b.offsets[b.offsets.length - 1]!;
      this.eventsRead += b.data.numRows;
      const wm = this.wmColumn();
      if (wm !== null) {
        this.maxEventTime = maxOf(columnsOf(b.data)[wm]!.values as Float64Array, this.maxEventTime);
      }
      this.deliver(this.inputs, b.data, b.offsets, b.partitions);
    }
    this.progress(this.inputs, b.progress);
    return true;
  }

  /** Registers the reader's held partitions (a repartition stream's upstream partitions) in inputs that lack them. */
  private hold(inputs: Iterable<SourceInput>, reader: SourceReader): void {
    const held = reader.heldPartitions;
    if (held === undefined) return;
    for (const input of inputs) {
      if (this.holding.has(input)) continue;
      this.holding.add(input);
      input.tracker.hold(held, Date.now());
    }
  }

  /** Applies partitions' progress without rows (a repartition stream's watermark messages). */
  private progress(inputs: Iterable<SourceInput>, progress: ReadonlyMap<string, number> | undefined): void {
    if (progress === undefined) return;
    const now = Date.now();
    for (const [p, t] of progress) {
      if (t > this.maxEventTime) this.maxEventTime = t;
      for (const input of inputs) input.advance((tr) => tr.progress(p, t, now));
    }
  }

  /** Resolves once the open reader has data for `step`, or after `ms` (idle background reading waits here, outside the queue). */
  waitForData(ms: number): Promise<void> {
    const r = this.reader;
    if (r === null || r.whenReady === undefined || this.ended) return new Promise((done) => setTimeout(done, ms));
    return r.whenReady(ms);
  }

  /** How far the shared reader is behind the source (null: no reader open, or it cannot tell). */
  backlog(): Backlog | null {
    return this.reader?.backlog?.() ?? null;
  }

  /** A checkpoint holding `p` (this source's `position()`) has committed. */
  committed(p: SourcePosition): void {
    if (this.reader !== null && p.position !== null && p.position !== undefined) this.reader.committed?.(p.position);
  }

  /** The source ended (end of a bounded connector, or endOfStream through the API). */
  finish(): void {
    this.ended = true;
    for (const input of this.inputs) input.advance((t) => t.end());
    // Where the input ended is where a later run resumes.
    if (this.reader !== null) this.resumeFrom = this.reader.position();
    void this.reader?.close();
    this.reader = null;
  }

  advanceWatermark(t: number): void {
    if (t > this.manualWatermark) this.manualWatermark = t;
    for (const input of this.inputs) input.advance((tr) => tr.advance(t));
  }

  /** Applies idle timeouts at wall-clock time `now`. */
  tick(now: number): void {
    for (const input of this.inputs) input.advance((t) => t.tick(now));
  }

  async close(): Promise<void> {
    await this.reader?.close();
    this.reader = null;
  }

  /** Appends API events (of one partition) to the log, delivers them live, and returns their offsets. */
  async append(batch: RecordBatch, partition = ''): Promise<Float64Array> {
    if (!this.log) throw new SluiceError('BIND', `source '${this.name}' reads from its ${this.def.connector} connector: it takes no INSERT`);
    if (this.ended) throw new SluiceError('STATE', `source '${this.name}' has ended (endOfStream): it takes no more events`);
    const schema = sourceSchema(this.def);
    const offsets = await this.log.append(batch, schema, this.def.version, partition);
    this.eventsRead += batch.numRows;
    this.deliver(this.inputs, batch, offsets, partition);
    return offsets;
  }
}
