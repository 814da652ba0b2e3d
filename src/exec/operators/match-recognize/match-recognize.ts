/**
 * MATCH_RECOGNIZE (ONE ROW PER MATCH) on a stream. Rows wait per partition until the
 * watermark passes them, then enter the matcher in event-time order (ties: the other ORDER BY
 * keys, then arrival), so the matches do not depend on arrival order; a row below the
 * watermark on arrival is late (dropped and recorded, SPEC 2.5).
 *
 * Matching follows the SQL standard: attempts start at each row in turn; an attempt runs the
 * pattern's NFA with threads in preference order and ends when no thread is left (or none
 * can take another row: the end of input, or the watermark past the start plus WITHIN); its
 * match is the preferred one found. After a match the next attempt starts where AFTER MATCH
 * SKIP says, after a failure at the next row. Only one attempt runs per partition, so the
 * state is the rows from its start on (plus what PREV looks back at), freed as attempts end.
 *
 * DEFINE conditions that read only the tested row and PREV are evaluated columnar over every
 * row the watermark releases; the others per step over all threads at once; measures over
 * all matches a watermark completes.
 */
import type { Data } from 'apache-arrow';
import { SluiceError } from '../../../errors.js';
import type { MatchRecognizeNode } from '../../../plan/match-recognize-node.js';
import type { Value } from '../../../types.js';
import { arrowSchema, ColumnBuilder, columnsOf, makeRecordBatch, readValue, rowWatermark, type ChangeBatch } from '../../batch.js';
import type { Emitter, LateRecord, Operator, OperatorContext, StateDelta } from '../../operator.js';
import { compareValues, partitionKey } from '../ordered-rows.js';
import { closure, compileNfa, FINAL, type Hist, type Nfa, type Thread } from './nfa.js';
import { NavEvaluator, navValue, type NavContext } from './navigation.js';
import { lateRecord } from '../../window/late-record.js';

interface Row {
  readonly ts: number;
  readonly seq: number;
  readonly values: Value[];
  /** Bit v: the row-local DEFINE of variable v holds (undefined variables always hold). */
  ok: number;
}

interface Attempt {
  readonly start: number;
  threads: Thread[];
  best: Hist | null;
}

interface Partition {
  readonly key: string;
  readonly keyValues: Value[];
  pending: Row[];
  /** Released rows from index `base` on (indices count from the partition's first row). */
  rows: Row[];
  base: number;
  /** The next row to feed to the attempt (or to start one at). */
  next: number;
  attempt: Attempt | null;
  matchNumber: number;
}

/** A partition as a checkpoint stores it: rows as [seq, ts, values]; the attempt by its start (rebuilt on restore). */
interface SavedPartition {
  readonly keyValues: Value[];
  readonly pending: [number, number, Value[]][];
  readonly rows: [number, number, Value[]][];
  readonly base: number;
  readonly next: number;
  readonly start: number | null;
  readonly matchNumber: number;
}

/** Threads one partition may hold at once: beyond it a pattern is exploding, not matching. */
const MAX_THREADS = 100_000;

/**
 * The physical operator of a MatchRecognize plan node (see the file comment). Its output is
 * append-only: `partition columns…, measures…`, one row per match.
 */
export class MatchRecognizeOperator implements Operator {
  private readonly partitions = new Map<string, Partition>();
  private readonly nfa: Nfa;
  private readonly defines: (NavEvaluator | null)[];
  private readonly measures: NavEvaluator[];
  /** Whether threads in one state are interchangeable (no DEFINE reads the match). */
  private readonly dedupe: boolean;
  /** Rows PREV looks back at, kept before an attempt's start. */
  private readonly lookback: number;
  private readonly timeCol: number;
  private readonly rowCompare: (a: Row, b: Row) => number;
  private readonly mark: Int32Array;
  private readonly seen: Int32Array;
  private epoch = 0;
  private seq = 0;
  private wm = -Infinity;
  /** The watermark last sent downstream. */
  private outWm = -Infinity;
  /** Whether the output has an event-time column (MATCH_ROWTIME()), so the watermark must hold for open matches. */
  private readonly rowtimeOut: boolean;
  /** Partitions changed or dropped since the last checkpoint (checkpoints write only those). */
  private readonly dirty = new Set<string>();
  private readonly dropped = new Set<string>();
  /** Partitions with rows waiting for the watermark, and with an attempt in progress: a watermark visits only these. */
  private readonly waiting = new Set<Partition>();
  private readonly open = new Set<Partition>();
  /** Output being built: partition columns, then the measures' navigation columns (in `measures`). */
  private keyBuilders: ColumnBuilder[];
  private outCount = 0;
  private readonly arrow;

  constructor(
    private readonly out: Emitter,
    private readonly node: MatchRecognizeNode,
    private readonly ctx: OperatorContext,
    params: readonly Value[] = [],
  ) {
    // Each row keeps its row-local DEFINE results as bits (the binder allows 30 variables).
    if (node.variables.length > 30) throw new SluiceError('INTERNAL', 'MATCH_RECOGNIZE with more than 30 pattern variables');
    this.nfa = compileNfa(node.pattern);
    this.mark = new Int32Array(this.nfa.states.length);
    this.seen = new Int32Array(this.nfa.states.length);
    this.defines = node.defines.map((d) => (d ? new NavEvaluator(d, true, node.variables, params) : null));
    this.measures = node.measures.map((m) => new NavEvaluator(m, false, node.variables, params));
    this.dedupe = this.defines.every((d) => d === null || d.rowLocal);
    let lookback = 0;
    for (const d of node.defines) for (const n of d?.navs ?? []) if (n.kind === 'prev') lookback = Math.max(lookback, n.offset);
    this.lookback = lookback;
    this.timeCol = node.orderBy[0]!.column;
    const ties = node.orderBy.slice(1);
    this.rowCompare = (a, b) => {
      if (a.ts !== b.ts) return a.ts - b.ts;
      for (const k of ties) {
        const c = compareValues(a.values[k.column]!, b.values[k.column]!, k);
        if (c !== 0) return c;
      }
      return a.seq - b.seq;
    };
    this.keyBuilders = node.partitionBy.map((i) => new ColumnBuilder(node.input.schema[i]!.type, 64));
    this.arrow = arrowSchema(node.schema);
    this.rowtimeOut = node.measures.some((m) => m.timeAttr);
  }

  process(batch: ChangeBatch): void {
    const cols = columnsOf(batch);
    const schema = this.node.input.schema;
    const late: LateRecord[] = [];
    for (let i = 0; i < batch.length; i++) {
      const ts = readValue(cols[this.timeCol]!, i, 'TIMESTAMP');
      if (ts === null) continue;
      const values = schema.map((c, j) => readValue(cols[j]!, i, c.type));
      const wm = rowWatermark(batch, i);
      if ((ts as number) < wm) {
        late.push(lateRecord(batch, i, schema, this.timeCol, wm));
        continue;
      }
      const keyValues = this.node.partitionBy.map((k) => values[k]!);
      const p = this.partition(keyValues, true);
      p.pending.push({ ts: ts as number, seq: this.seq++, values, ok: 0 });
      this.waiting.add(p);
    }
    if (late.length > 0) this.ctx.recordLate(late);
  }

  private partition(keyValues: Value[], touch: boolean): Partition {
    const key = partitionKey(keyValues);
    if (touch) {
      this.dirty.add(key);
      this.dropped.delete(key);
    }
    let p = this.partitions.get(key);
    if (!p) {
      p = { key, keyValues, pending: [], rows: [], base: 0, next: 0, attempt: null, matchNumber: 0 };
      this.partitions.set(key, p);
    }
    return p;
  }

  onWatermark(wm: number): void {
    this.wm = wm;
    const released: { p: Partition; from: number }[] = [];
    for (const p of this.waiting) {
      const ready = p.pending.filter((r) => r.ts < wm);
      if (ready.length === 0) continue;
      p.pending = p.pending.filter((r) => r.ts >= wm);
      if (p.pending.length === 0) this.waiting.delete(p);
      ready.sort(this.rowCompare);
      released.push({ p, from: p.base + p.rows.length });
      this.dirty.add(p.key);
      for (const r of ready) p.rows.push(r);
    }
    this.testRowLocal(released);
    // Besides partitions with new rows, the watermark ends attempts past WITHIN, or all at the end.
    const touched = new Set(released.map((x) => x.p));
    if (this.node.withinMs !== null || wm === Infinity) for (const p of this.open) touched.add(p);
    for (const p of touched) {
      const [attempt, next] = [p.attempt, p.next];
      this.run(p);
      this.trim(p);
      if (p.attempt !== null) this.open.add(p);
      else this.open.delete(p);
      if (p.rows.length === 0 && p.pending.length === 0 && p.attempt === null && this.forgettable(p)) {
        this.partitions.delete(p.key);
        this.dirty.delete(p.key);
        this.dropped.add(p.key);
      } else if (p.attempt !== attempt || p.next !== next) this.dirty.add(p.key);
    }
    this.flush();
    const held = this.heldWatermark(wm);
    if (held > this.outWm) {
      this.outWm = held;
      this.out.watermark(held);
    }
  }

  /**
   * The output watermark. With MATCH_ROWTIME() in the output, a match still open may end on a
   * row as old as its first: the watermark stays below the first row of every open attempt.
   */
  private heldWatermark(wm: number): number {
    if (!this.rowtimeOut) return wm;
    let held = wm;
    for (const p of this.open) held = Math.min(held, p.rows[p.attempt!.start - p.base]!.ts);
    return held;
  }

  /** A partition with no rows left may go unless MATCH_NUMBER or PREV needs its history. */
  private forgettable(p: Partition): boolean {
    return this.lookback === 0 && (p.matchNumber === 0 || !this.node.measures.some((m) => m.navs.some((n) => n.kind === 'matchNumber')));
  }

  /** Evaluates the row-local DEFINE conditions over every released row at once. */
  private testRowLocal(released: readonly { p: Partition; from: number }[]): void {
    const c: NavContext = { store: released[0]?.p ?? { rows: [], base: 0 }, hist: null, row: 0, variable: 0, matchNumber: 0 };
    let ok = 0;
    this.defines.forEach((d, v) => {
      if (d === null) ok |= 1 << v;
    });
    for (const { p, from } of released) for (let r = from; r < p.base + p.rows.length; r++) p.rows[r - p.base]!.ok = ok;
    this.defines.forEach((d, v) => {
      if (d === null || !d.rowLocal) return;
      for (const { p, from } of released) {
        c.store = p;
        for (let r = from; r < p.base + p.rows.length; r++) {
          c.row = r;
          c.variable = v;
          d.add(c);
        }
      }
      const flags = d.test();
      let i = 0;
      for (const { p, from } of released) for (let r = from; r < p.base + p.rows.length; r++) if (flags[i++] === 1) p.rows[r - p.base]!.ok |= 1 << v;
    });
  }

  /**
   * Feeds the partition's released rows to its attempts. An attempt that no later row can
   * extend (end of input, or the watermark past its start plus WITHIN) ends now.
   */
  private run(p: Partition): void {
    const end = p.base + p.rows.length;
    for (;;) {
      if (p.attempt === null) {
        if (p.next >= end) return;
        p.attempt = this.startAttempt(p.next);
      }
      const a = p.attempt;
      while (a.threads.length > 0 && p.next < end) this.step(p, a, p.next++);
      if (a.threads.length > 0) {
        const startTs = p.rows[a.start - p.base]!.ts;
        const closed = this.wm === Infinity || (this.node.withinMs !== null && this.wm > startTs + this.node.withinMs);
        if (!closed) return;
        a.threads = [];
      }
      this.resolve(p, a);
    }
  }

  private startAttempt(start: number): Attempt {
    const threads: Thread[] = [];
    const e = ++this.epoch;
    closure(this.nfa, this.nfa.start, null, threads, this.mark, e, this.dedupe ? this.seen : null, e);
    return { start, threads, best: null };
  }

  /** Offers row `r` to every thread of the attempt, in preference order (a Pike VM step). */
  private step(p: Partition, a: Attempt, r: number): void {
    const row = p.rows[r - p.base]!;
    const threads = a.threads;
    const within = this.node.withinMs;
    if (within !== null && row.ts - p.rows[a.start - p.base]!.ts > within) {
      a.threads = [];
      return;
    }
    const pass = this.testThreads(p, threads, r, row);
    const next: Thread[] = [];
    const seenEpoch = ++this.epoch;
    for (let i = 0; i < threads.length; i++) {
      if (pass[i] !== 1) continue;
      const t = threads[i]!;
      const s = this.nfa.states[t.state]!;
      if (s.kind !== 'var') continue;
      const hist: Hist = { prev: t.hist, row: r, v: s.v };
      const before = next.length;
      closure(this.nfa, s.next, hist, next, this.mark, ++this.epoch, this.dedupe ? this.seen : null, seenEpoch);
      const fin = next.findIndex((x, k) => k >= before && x.state === FINAL);
      if (fin >= 0) {
        // Accepting cuts every thread it is preferred to; the preferred ones go on.
        a.best = hist;
        next.length = fin;
        break;
      }
    }
    if (next.length > MAX_THREADS) {
      throw new SluiceError('EXECUTION', `MATCH_RECOGNIZE: a partial match holds more than ${MAX_THREADS} alternatives; the PATTERN or its DEFINE conditions are too ambiguous`);
    }
    a.threads = next;
  }

  /** Whether each thread's variable accepts row `r`: row-local results, then the others columnar. */
  private testThreads(p: Partition, threads: readonly Thread[], r: number, row: Row): Uint8Array {
    const pass = new Uint8Array(threads.length);
    let dynamic = false;
    for (let i = 0; i < threads.length; i++) {
      const s = this.nfa.states[threads[i]!.state]!;
      if (s.kind !== 'var') continue;
      const d = this.defines[s.v];
      if (d === null || d === undefined || d.rowLocal) pass[i] = (row.ok >> s.v) & 1;
      else dynamic = true;
    }
    if (!dynamic) return pass;
    const c: NavContext = { store: p, hist: null, row: r, variable: 0, matchNumber: p.matchNumber + 1 };
    this.defines.forEach((d, v) => {
      if (d === null || d.rowLocal) return;
      const idx: number[] = [];
      for (let i = 0; i < threads.length; i++) {
        const s = this.nfa.states[threads[i]!.state]!;
        if (s.kind !== 'var' || s.v !== v) continue;
        c.hist = threads[i]!.hist;
        c.variable = v;
        d.add(c);
        idx.push(i);
      }
      if (idx.length === 0) return;
      const flags = d.test();
      idx.forEach((i, k) => (pass[i] = flags[k]!));
    });
    return pass;
  }

  /** Ends an attempt: emits its match, and picks where the next attempt starts. */
  private resolve(p: Partition, a: Attempt): void {
    p.attempt = null;
    const m = a.best;
    if (m === null) {
      p.next = a.start + 1;
      return;
    }
    p.matchNumber++;
    this.emit(p, m);
    const skip = this.node.skip;
    let resume: number;
    switch (skip.kind) {
      case 'PAST_LAST_ROW':
        resume = m.row + 1;
        break;
      case 'TO_NEXT_ROW':
        resume = a.start + 1;
        break;
      case 'TO_FIRST':
      case 'TO_LAST': {
        resume = -1;
        for (let h: Hist | null = m; h !== null; h = h.prev) {
          if (h.v !== skip.variable) continue;
          resume = h.row;
          if (skip.kind === 'TO_LAST') break;
        }
        // No row of the variable, or back at the match's start (an endless loop): the next row.
        if (resume <= a.start) resume = a.start + 1;
      }
    }
    p.next = resume;
  }

  private emit(p: Partition, m: Hist): void {
    p.keyValues.forEach((v, j) => this.keyBuilders[j]!.append(v));
    const c: NavContext = { store: p, hist: m, row: -1, variable: -1, matchNumber: p.matchNumber };
    for (const e of this.measures) e.add(c);
    this.outCount++;
  }

  private flush(): void {
    const n = this.outCount;
    if (n === 0) return;
    const cols: Data[] = [...this.keyBuilders.map((b) => b.finish()), ...this.measures.map((e) => e.evaluate())];
    this.keyBuilders = this.node.partitionBy.map((i) => new ColumnBuilder(this.node.input.schema[i]!.type, 64));
    this.outCount = 0;
    this.out.push({ data: makeRecordBatch(this.arrow, cols, n), length: n, ops: null, wm: null, wmConst: this.outWm, origin: null });
  }

  /** Frees rows before the attempt's start, less PREV's look-back. */
  private trim(p: Partition): void {
    const from = (p.attempt ? p.attempt.start : p.next) - this.lookback;
    const drop = Math.min(from - p.base, p.rows.length);
    if (drop <= 0 || (drop < 1024 && drop < p.rows.length / 2 && p.rows.length - drop > 0)) return;
    p.rows = p.rows.slice(drop);
    p.base += drop;
  }

  private save(p: Partition): SavedPartition {
    return {
      keyValues: p.keyValues,
      pending: p.pending.map((r) => [r.seq, r.ts, r.values]),
      rows: p.rows.map((r) => [r.seq, r.ts, r.values]),
      base: p.base,
      next: p.next,
      start: p.attempt ? p.attempt.start : null,
      matchNumber: p.matchNumber,
    };
  }

  private load(parts: readonly SavedPartition[], meta: { seq: number; wm: number | null; outWm?: number | null }): void {
    this.partitions.clear();
    this.dirty.clear();
    this.dropped.clear();
    this.waiting.clear();
    this.open.clear();
    this.seq = meta.seq;
    this.wm = meta.wm ?? -Infinity;
    this.outWm = meta.outWm ?? -Infinity;
    const released: { p: Partition; from: number }[] = [];
    for (const x of parts) {
      const p = this.partition(x.keyValues, false);
      p.pending = x.pending.map(([seq, ts, values]) => ({ seq, ts, values, ok: 0 }));
      p.rows = x.rows.map(([seq, ts, values]) => ({ seq, ts, values, ok: 0 }));
      p.base = x.base;
      p.matchNumber = x.matchNumber;
      p.next = x.next;
      if (p.pending.length > 0) this.waiting.add(p);
      released.push({ p, from: p.base });
    }
    this.testRowLocal(released);
    // The attempt in progress is rebuilt by feeding its rows again: it ended on none of them.
    parts.forEach((x, i) => {
      const p = released[i]!.p;
      if (x.start === null) return;
      const a = this.startAttempt(x.start);
      for (let r = x.start; r < x.next && a.threads.length > 0; r++) this.step(p, a, r);
      p.attempt = a;
      this.open.add(p);
    });
  }

  private meta(): { seq: number; wm: number | null; outWm: number | null } {
    const finite = (x: number) => (Number.isFinite(x) ? x : null);
    return { seq: this.seq, wm: finite(this.wm), outWm: finite(this.outWm) };
  }

  checkpointDelta(): StateDelta {
    const puts: [string, unknown][] = [['#meta', this.meta()]];
    for (const key of this.dirty) {
      const p = this.partitions.get(key);
      if (p) puts.push([key, this.save(p)]);
    }
    const deletes = [...this.dropped];
    this.dirty.clear();
    this.dropped.clear();
    return { full: false, puts, deletes };
  }

  restoreEntries(entries: ReadonlyMap<string, unknown>): void {
    const parts: SavedPartition[] = [];
    for (const [k, v] of entries) if (k !== '#meta') parts.push(v as SavedPartition);
    this.load(parts, (entries.get('#meta') as { seq: number; wm: number | null } | undefined) ?? { seq: 0, wm: null });
  }

  snapshot(): unknown {
    return { parts: [...this.partitions.values()].map((p) => this.save(p)), ...this.meta() };
  }

  restore(state: unknown): void {
    const s = state as { parts: SavedPartition[]; seq: number; wm: number | null };
    this.load(s.parts, s);
  }

  stateSize(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.pending.length + p.rows.length;
    return n;
  }

  close(): void {}
}
