/**
 * Appending events to sources fed by the API and by SQL INSERT: argument checks, expected
 * versions of keyed streams (SPEC 2.7), and group commit, where inserts that arrive while a
 * commit is in progress are appended together in the next one.
 */
import type { Data, RecordBatch, Table } from 'apache-arrow';
import { sourceSchema, type SourceColumn, type SourceDef } from '../catalog/definitions.js';
import type { DeadLetter } from '../connectors/source-reader.js';
import { SluiceError, toSluiceError, type Span } from '../errors.js';
import { columnsOf, readValue } from '../exec/batch.js';
import { concatRows, sliceRows } from '../exec/batch-ops.js';
import type { BoundStatement } from '../plan/bound-statement.js';
import { streamId, type EventLog } from '../state/event-log.js';
import type { SqlType, Value } from '../types.js';
import type { InsertOptions, InsertResult } from './api-types.js';
import type { Checkpointer } from './checkpointer.js';
import type { EngineState } from './engine-state.js';
import type { ReadYourWrites } from './read-your-writes.js';
import { arrowToBatch, fromApiValue, rowsToBatch, toApiValue, type RejectedRow } from './rows.js';
import type { SourceRuntime } from './source-runtime.js';

/** One insert call waiting for its group's commit (see commitInserts). */
interface PendingInsert {
  /** Checks the call's arguments and converts its rows; runs when the group commits, in call order. */
  readonly prepare: () => PreparedInsert;
  readonly resolve: (r: InsertResult) => void;
  readonly reject: (e: SluiceError) => void;
  /** An insert of objects without an expected version: consecutive ones into one source and partition may be converted together (see stageTogether). */
  readonly plain?: { readonly source: string; readonly rows: readonly object[]; readonly partition: string };
}

type StagedInsert = { rt: SourceRuntime; parts: StagedPart[]; result: InsertResult; req: PendingInsert };

interface PreparedInsert {
  readonly rt: SourceRuntime;
  readonly batches: readonly RecordBatch[];
  readonly rejected: readonly RejectedRow[];
  readonly partition: string;
  readonly expected?: { readonly version: number; readonly span?: Span };
}

type StagedPart = { batch: RecordBatch; offsets: Float64Array; partition: string };

export class Inserter {
  /** The inserts waiting for their group's turn in the queue, which later inserts join (group commit). */
  private openGroup: PendingInsert[] | null = null;

  constructor(
    private readonly s: EngineState,
    private readonly checkpointer: Checkpointer,
    private readonly progress: ReadYourWrites,
  ) {
    // An insert after another call joins no earlier group: calls keep their order.
    s.queue.onQueued = () => (this.openGroup = null);
  }

  /** Appends events to a source fed by the API (see Engine.insert). */
  insert(source: string, rows: readonly object[] | Table | RecordBatch, options: InsertOptions): Promise<InsertResult> {
    return new Promise<InsertResult>((resolve, reject) => {
      const req: PendingInsert = { prepare: () => this.prepareInsert(source, rows, options), resolve, reject, ...plainInsert(source, rows, options) };
      if (this.openGroup !== null) {
        this.openGroup.push(req);
        return;
      }
      // Inserts that come while this group waits for the queue (a commit in progress) join it.
      const group = [req];
      this.s.queue
        .run(async () => {
          if (this.openGroup === group) this.openGroup = null;
          const settle = await this.commitInserts(group);
          await this.checkpointer.maybeCheckpoint();
          settle();
        })
        .catch((e: unknown) => {
          for (const r of group) r.reject(toSluiceError(e));
        });
      this.openGroup = group;
    });
  }

  /** SQL INSERT: its rows appended as a group of their own; returns the statement's message. */
  async insertStatement(bound: Extract<BoundStatement, { kind: 'Insert' }>): Promise<string> {
    const rt = this.s.sourceRuntime(bound.source);
    const { batch, rejected } = rowsToBatch(
      bound.rows.map((r) => Object.fromEntries(rt.def.columns.map((c, i) => [c.name, toApiValue(r[i] ?? null, c.type)]))),
      sourceSchema(rt.def),
      rt.def.columns.map((c) => c.default),
      eventTimeColumn(rt.def),
    );
    let result: InsertResult | undefined;
    let failure: SluiceError | undefined;
    const expected = bound.expectedVersion;
    const prepared: PreparedInsert = { rt, batches: [batch], rejected, partition: '', ...(expected === undefined ? {} : { expected }) };
    (await this.commitInserts([{ prepare: () => prepared, resolve: (x) => (result = x), reject: (e) => (failure = e) }]))();
    if (failure) throw failure;
    const r = result!;
    const stream = r.version === undefined ? '' : ` (stream version ${r.version})`;
    const aside = r.rejected > 0 ? `; ${r.rejected} set aside in sluice_dead_letters (${rejected[0]!.reason}${r.rejected > 1 ? ', …' : ''})` : '';
    return `inserted ${r.inserted} event${r.inserted === 1 ? '' : 's'} into ${rt.name}${stream}${aside}`;
  }

  /** The version of one event stream of a keyed source (see Engine.streamVersion). */
  streamVersion(source: string, keyValue: unknown): number {
    const log = this.s.sourceRuntime(source).log!;
    if (!log.key) throw new SluiceError('ARGUMENT', noStreams(log.source));
    const key: SourceColumn = log.key;
    const v = fromApiValue(keyValue, key.type);
    if ('error' in v || v.value === null) {
      throw new SluiceError('ARGUMENT', `a stream of '${log.source}' is named by a ${key.type} value of ${key.name}, got ${'error' in v ? v.error : 'NULL'}`);
    }
    return log.streamVersion(v.value);
  }

  /** An insert call's arguments checked and its rows converted (when its group commits, in call order). */
  private prepareInsert(source: string, rows: readonly object[] | Table | RecordBatch, options: InsertOptions): PreparedInsert {
    const rt = this.s.sourceRuntime(source);
    const def = rt.def;
    const schema = sourceSchema(def);
    const defaults = def.columns.map((c) => c.default);
    const eventTime = eventTimeColumn(def);
    if (options === null || typeof options !== 'object') throw new SluiceError('ARGUMENT', 'insert options must be an object');
    const partition = options.partition ?? '';
    if (typeof partition !== 'string') throw new SluiceError('ARGUMENT', 'partition must be a string');
    const expected = options.expectedVersion;
    if (expected !== undefined && !(Number.isSafeInteger(expected) && expected >= 0)) {
      throw new SluiceError('ARGUMENT', `expectedVersion must be a whole number >= 0, got ${String(expected)}`);
    }
    let r: { batches: RecordBatch[]; rejected: RejectedRow[] };
    if (Array.isArray(rows)) {
      const one = rowsToBatch(rows, schema, defaults, eventTime);
      r = { batches: [one.batch], rejected: one.rejected };
    } else if (rows && typeof rows === 'object' && ('batches' in rows || 'schema' in rows)) {
      r = arrowToBatch(rows as Table | RecordBatch, schema, defaults, eventTime);
    } else {
      throw new SluiceError('ARGUMENT', 'insert takes an array of objects or an Arrow Table/RecordBatch');
    }
    return { rt, ...r, partition, ...(expected === undefined ? {} : { expected: { version: expected } }) };
  }

  /**
   * Group commit: appends the events of a group of inserts to their sources' logs in one
   * DuckDB commit, then delivers them live in call order. An insert refused by its checks
   * (a CONFLICT, a bad argument, an ended source) fails alone; offsets and stream versions
   * move on with each staged insert, so the next one's expected version is checked against
   * them. Rejected rows are set aside in sluice_dead_letters, each with an offset of its own
   * reserved after its insert's accepted rows (the log skips it), in the same commit: no
   * replay can derive them again. Returns the call that settles each insert's promise
   * (the caller settles once anything that must come before it, a checkpoint, is done).
   */
  private async commitInserts(group: readonly PendingInsert[]): Promise<() => void> {
    const settled: (() => void)[] = [];
    const staged: StagedInsert[] = [];
    const logs = new Set<EventLog>();
    const dead: DeadLetter[] = [];
    // Before anything is staged: a failed write then refuses the group whole.
    for (const rt of this.s.sources.values()) if (rt.log?.settleDue) await rt.log.settle();
    try {
      let mergeFrom = 0;
      for (let g = 0; g < group.length; ) {
        if (g >= mergeFrom) {
          const together = this.stageTogether(group, g);
          mergeFrom = together.until;
          if (together.staged !== null) {
            logs.add(together.staged[0]!.rt.log!);
            for (const x of together.staged) staged.push(x);
            g += together.staged.length;
            continue;
          }
        }
        const req = group[g++]!;
        let p: PreparedInsert;
        let keys: Value[];
        try {
          p = req.prepare();
          if (p.rt.ended) throw new SluiceError('STATE', `source '${p.rt.name}' has ended (endOfStream): it takes no more events`);
          const log = p.rt.log!;
          keys = log.key ? log.streamKeys(p.batches) : [];
          if (p.expected !== undefined) checkExpectedVersion(log, keys, p.expected);
        } catch (e) {
          settled.push(() => req.reject(toSluiceError(e)));
          continue;
        }
        const { rt, partition } = p;
        const log = rt.log!;
        logs.add(log);
        const schema = sourceSchema(rt.def);
        const parts: StagedPart[] = [];
        let count = 0;
        for (const batch of p.batches) {
          if (batch.numRows === 0) continue;
          const o = log.stage(batch, schema, rt.def.version, partition);
          parts.push({ batch, offsets: o, partition });
          count += o.length;
        }
        // Sized at once: pushing a 50k-row insert's offsets one by one regrows the array.
        const offsets = new Array<number>(count);
        let at = 0;
        for (const part of parts) for (let i = 0; i < part.offsets.length; i++) offsets[at++] = part.offsets[i]!;
        if (p.rejected.length > 0) {
          const first = log.reserve(p.rejected.length);
          p.rejected.forEach((x, i) => dead.push({ source: rt.name, offset: first + i, raw: x.raw, reason: x.reason }));
        }
        const version = keys.length === 1 ? { version: log.streamVersion(keys[0]!) } : {};
        staged.push({ rt, parts, req, result: { inserted: offsets.length, rejected: p.rejected.length, offsets, ...version } });
      }
      // One write needs no transaction of its own: an appender's rows commit together.
      let writes = dead.length > 0 ? 1 : 0;
      for (const log of logs) writes += log.stagedWrites();
      const write = async () => {
        for (const log of logs) await log.writeStaged();
        if (dead.length > 0) {
          this.s.system.recordDead(dead, true);
          await this.s.system.flushInput();
        }
      };
      if (writes > 1) await this.s.db.transaction(write);
      else await write();
    } catch (e) {
      for (const log of logs) log.abortStaged();
      throw e;
    }
    for (const log of logs) log.commitStaged();
    // Consecutive inserts into a source without event time reach its views as one batch: no
    // row of theirs can be late, so one batch gives the views what the calls one by one would
    // (a pass per batch is what many small inserts would otherwise cost).
    for (let i = 0; i < staged.length; ) {
      const { rt } = staged[i]!;
      const partition = staged[i]!.parts[0]?.partition;
      let j = i + 1;
      if (rt.def.watermark === null) {
        while (j < staged.length && staged[j]!.rt === rt && staged[j]!.parts.every((p) => p.partition === partition)) j++;
      }
      const run = staged.slice(i, j);
      const parts = run.flatMap((x) => x.parts);
      try {
        if (run.length > 1 && parts.length > 1) {
          const batch = concatRows(parts.map((p) => p.batch));
          const offsets = new Float64Array(batch.numRows);
          let at = 0;
          for (const p of parts) offsets.set(p.offsets, (at += p.offsets.length) - p.offsets.length);
          rt.eventsRead += batch.numRows;
          rt.deliver(rt.inputs, batch, offsets, partition ?? '');
        } else {
          for (const part of parts) {
            rt.eventsRead += part.batch.numRows;
            rt.deliver(rt.inputs, part.batch, part.offsets, part.partition);
          }
        }
        for (const x of run) settled.push(() => x.req.resolve(x.result));
      } catch (e) {
        for (const x of run) settled.push(() => x.req.reject(toSluiceError(e)));
      }
      i = j;
    }
    this.progress.notify();
    return () => {
      for (const f of settled) f();
    };
  }

  /**
   * Consecutive inserts of objects from `group[g]` on (none with an expected version), into
   * one source and one partition, converted and staged as one batch: what they would be one
   * by one (each insert's offsets follow the one before, and a keyed source's stream versions
   * move on row by row in the same order), for one conversion and one staged part instead of
   * one per call (5,000 one-row inserts in flight made as many Arrow batches). They reach the
   * views as before: into a source without event time as one batch, else one at a time. Only
   * the inserts before the first one with a row set aside go together: from it on they go one
   * by one, so each rejected row's offset stays after its own insert's rows. `until`: where
   * the caller may try again.
   */
  private stageTogether(group: readonly PendingInsert[], g: number): { staged: StagedInsert[] | null; until: number } {
    const none = { staged: null, until: g + 1 };
    const first = group[g]!.plain;
    if (first === undefined) return none;
    let rt: SourceRuntime;
    try {
      rt = this.s.sourceRuntime(first.source);
    } catch {
      // Every error is the path of one insert at a time, which reports it per insert.
      return none;
    }
    const log = rt.log;
    if (rt.ended || !log) return none;
    let end = g + 1;
    for (; end < group.length; end++) {
      const p = group[end]!.plain;
      if (p === undefined || p.source !== first.source || p.partition !== first.partition) break;
    }
    if (end - g < 2) return none;
    const schema = sourceSchema(rt.def);
    const defaults = rt.def.columns.map((c) => c.default);
    const convert = (to: number) => {
      let total = 0;
      for (let k = g; k < to; k++) total += group[k]!.plain!.rows.length;
      const rows: object[] = new Array(total);
      let at = 0;
      for (let k = g; k < to; k++) for (const r of group[k]!.plain!.rows) rows[at++] = r;
      return rowsToBatch(rows, schema, defaults, eventTimeColumn(rt.def));
    };
    let converted;
    let upTo = end;
    try {
      converted = convert(end);
      if (converted.rejected.length > 0) {
        // The insert holding the first row set aside: the ones before it still go together.
        const bad = converted.rejected[0]!.index;
        let rows = 0;
        upTo = g;
        while (rows + group[upTo]!.plain!.rows.length <= bad) rows += group[upTo++]!.plain!.rows.length;
        if (upTo - g < 2) return { staged: null, until: end };
        converted = convert(upTo);
      }
    } catch {
      // A value out of range: one by one, each insert fails alone with its own message.
      return { staged: null, until: end };
    }
    const { batch } = converted;
    // A NULL stream key fails its own insert: one by one.
    const keyCol = log.key ? columnsOf(batch)[log.keyColumn]! : null;
    if (keyCol !== null && (keyCol.typeId === 1 || keyCol.nullCount > 0)) return { staged: null, until: end };
    const { offsets: o, versions } = log.stageRows(batch, schema, rt.def.version, first.partition);
    const timed = rt.def.watermark !== null;
    const out: StagedInsert[] = [];
    let at = 0;
    for (let k = g; k < upTo; k++) {
      const n = group[k]!.plain!.rows.length;
      const offsets = new Array<number>(n);
      for (let i = 0; i < n; i++) offsets[i] = o[at + i]!;
      // A keyed source: the stream's version after an insert whose rows name one stream.
      const version = keyCol !== null && n > 0 && oneStream(keyCol, log.key!.type, at, at + n) ? { version: versions![at + n - 1]! } : {};
      // With event time each insert reaches the views alone (lateness as if awaited in
      // turn): its own rows, copied out; without, the run's one batch goes once.
      let parts: StagedPart[];
      if (timed) parts = n === 0 ? [] : [{ batch: sliceRows(batch, at, n), offsets: o.subarray(at, at + n), partition: first.partition }];
      else parts = k === g ? [{ batch, offsets: o, partition: first.partition }] : [];
      at += n;
      out.push({ rt, parts, req: group[k]!, result: { inserted: n, rejected: 0, offsets, ...version } });
    }
    return { staged: out, until: end };
  }
}

/** An insert's `plain` description, when it is one of objects without an expected version (see PendingInsert). */
function plainInsert(source: string, rows: unknown, options: InsertOptions): Pick<PendingInsert, 'plain'> {
  try {
    if (!Array.isArray(rows) || options === null || typeof options !== 'object' || options.expectedVersion !== undefined) return {};
    const partition = options.partition ?? '';
    return typeof partition === 'string' ? { plain: { source, rows: rows as readonly object[], partition } } : {};
  } catch {
    // An options object whose getters throw: its own insert says so (prepareInsert).
    return {};
  }
}

/** Whether rows [from, to) of a key column name one stream. */
function oneStream(col: Data, type: SqlType, from: number, to: number): boolean {
  const id = streamId(readValue(col, from, type));
  for (let i = from + 1; i < to; i++) if (streamId(readValue(col, i, type)) !== id) return false;
  return true;
}

/** The index of a source's event-time column (its WATERMARK column), or null without one. */
function eventTimeColumn(def: SourceDef): number | null {
  const wm = def.watermark;
  return wm ? def.columns.findIndex((c) => c.name === wm.column) : null;
}

/**
 * Refuses an append whose stream is not at the expected version (code CONFLICT), or whose
 * check means nothing: rows of several streams (code ARGUMENT).
 */
function checkExpectedVersion(log: EventLog, keys: readonly Value[], expected: { readonly version: number; readonly span?: Span }): void {
  const at = expected.span ? { span: expected.span } : {};
  const key = log.key;
  if (!key) throw new SluiceError('ARGUMENT', noStreams(log.source), at);
  if (keys.length > 1) {
    throw new SluiceError('ARGUMENT', `an expected version checks one stream, but the events name ${keys.length} values of ${key.name} (${keys.slice(0, 3).map(keyText).join(', ')}${keys.length > 3 ? ', …' : ''})`, at);
  }
  if (keys.length === 0) return;
  const actual = log.streamVersion(keys[0]!);
  if (actual !== expected.version) {
    throw new SluiceError(
      'CONFLICT',
      `expected version ${expected.version} of stream ${key.name} = ${keyText(keys[0]!)} in '${log.source}', but it is at version ${actual}`,
      at,
    );
  }
}

function noStreams(source: string): string {
  return `source '${source}' has no streams: declare its key with WITH (key = 'column')`;
}

function keyText(v: Value): string {
  return typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v);
}
