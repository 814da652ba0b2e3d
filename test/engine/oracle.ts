/**
 * Shared helpers for the executor's property tests (SPEC 3): random event streams, a
 * reference watermark and window computation, a DuckDB oracle that runs the same query as
 * batch SQL, sluice runs fed in batches of any size, and multiset comparison of rows.
 *
 * The source every test uses:
 *   s (k VARCHAR, x INT, b BIGINT, d DOUBLE, v VARCHAR, ts TIMESTAMP, WATERMARK FOR ts AS ts - delay)
 * In DuckDB the same rows live in table `t` with `ts` as epoch milliseconds (BIGINT), so
 * window arithmetic is plain integer arithmetic and results compare as numbers.
 */
import fc from 'fast-check';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Engine, type Change, type Row } from '../../src/index.js';

/** 2024-01-01T00:00:00Z. */
export const T0 = Date.UTC(2024, 0, 1);

export interface Ev {
  readonly k: string | null;
  readonly x: number | null;
  readonly b: number | null;
  readonly d: number | null;
  readonly v: string | null;
  /** Event time, epoch ms. */
  readonly ts: number;
}

export const sourceSql = (delayMs: number, name = 's'): string =>
  `CREATE SOURCE ${name} (k VARCHAR, x INT, b BIGINT, d DOUBLE, v VARCHAR, ts TIMESTAMP,
     WATERMARK FOR ts AS ts - INTERVAL '${delayMs}' MILLISECOND)`;

const SCALE = Number(process.env['SLUICE_PROPERTY_SCALE'] ?? 1);

/**
 * How many runs a property gets: `n` scaled by SLUICE_PROPERTY_SCALE (default 1), e.g.
 * `SLUICE_PROPERTY_SCALE=20 npx vitest run test/engine --testTimeout=0` for a long hunt.
 */
export function runs(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

// A run costs up to a second or two (engines, DuckDB), so shrinking a failure can take long:
// after 40 s (times the scale) fast-check stops and reports the smallest failure so far
// rather than letting the test time out without one.
fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: 40_000 * SCALE });

// ---------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------

const nullable = <T>(a: fc.Arbitrary<T>, freq = 5): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq });

export interface StreamOptions {
  /** The watermark delay of the source, ms. */
  readonly delayMs: number;
  /** Event times fall in [T0, T0 + spanMs]. */
  readonly spanMs?: number;
  readonly maxLength?: number;
  readonly minLength?: number;
  /** Let about this share of rows arrive much later than the delay allows (so some are late). */
  readonly lateShare?: number;
  /** NULL keys too (a NULL group / partition). */
  readonly nullKeys?: boolean;
}

/** Event times: whole seconds often (windows and gaps meet exactly), any millisecond otherwise. */
const timeArb = (spanMs: number): fc.Arbitrary<number> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: Math.floor(spanMs / 1000) }),
      fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 499, 999) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 999 }) }),
    )
    .map(([s, ms]) => T0 + Math.min(spanMs, s * 1000 + ms));

export const eventArb = (spanMs: number, nullKeys = false): fc.Arbitrary<Ev> =>
  fc.record({
    k: nullKeys ? nullable(fc.constantFrom('a', 'b', 'c'), 6) : fc.constantFrom('a', 'b', 'c'),
    x: nullable(fc.integer({ min: -50, max: 50 })),
    b: nullable(fc.tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 999_999 })).map(([hi, lo]) => hi * 1_000_000 + lo)),
    d: nullable(fc.integer({ min: -100_000, max: 100_000 }).map((n) => n / 100)),
    v: nullable(fc.constantFrom('apple', 'Apple', 'banana', 'é', '', 'zz', 'ab c')),
    ts: timeArb(spanMs),
  });

/**
 * A stream in arrival order. Each row arrives at `ts + u`, u in [0, delay]: then every row's
 * time is at least the largest time before it minus the delay (if row j comes first,
 * ts_j + u_j <= ts_i + u_i, so ts_j <= ts_i + delay), so no row is late for any window.
 * With `lateShare`, that share of rows get u up to 8 delays, and some of them are late.
 */
export function streamArb(o: StreamOptions): fc.Arbitrary<Ev[]> {
  const span = o.spanMs ?? 120_000;
  const late = o.lateShare ?? 0;
  const uArb =
    late > 0
      ? fc.oneof(
          { weight: Math.round((1 - late) * 100), arbitrary: fc.integer({ min: 0, max: o.delayMs }) },
          { weight: Math.round(late * 100), arbitrary: fc.integer({ min: o.delayMs, max: 8 * o.delayMs }) },
        )
      : fc.integer({ min: 0, max: o.delayMs });
  return fc
    .array(fc.tuple(eventArb(span, o.nullKeys), uArb), { minLength: o.minLength ?? 1, maxLength: o.maxLength ?? 80, size: 'max' })
    .map((rows) =>
      rows
        .map(([e, u], i) => ({ e, key: e.ts + u, i }))
        .sort((a, b) => a.key - b.key || a.i - b.i)
        .map((r) => r.e),
    );
}

/** Cuts n rows into consecutive batches of random sizes. */
export const cutsArb = (maxBatch = 12): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max: maxBatch }), { minLength: 1, maxLength: 40 });

export function cut<T>(rows: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; at < rows.length; i++) {
    const n = sizes.length > 0 ? sizes[i % sizes.length]! : rows.length;
    out.push(rows.slice(at, at + n));
    at += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Reference semantics (SPEC 2.4, 2.5), row by row
// ---------------------------------------------------------------------------------------

/** The watermark each row arrives under: the largest event time before it minus the delay. */
export function watermarksBefore(events: readonly Ev[], delayMs: number): number[] {
  let max = -Infinity;
  return events.map((e) => {
    const wm = max - delayMs;
    if (e.ts > max) max = e.ts;
    return wm;
  });
}

export type WindowKind = 'TUMBLE' | 'HOP' | 'CUMULATE';

export interface WindowSpec {
  readonly kind: WindowKind;
  /** TUMBLE and HOP: the window size; CUMULATE: the maximum size. */
  readonly size: number;
  /** HOP: the slide; CUMULATE: the step. */
  readonly slide?: number;
  readonly offset?: number;
}

const mod = (a: number, b: number): number => ((a % b) + b) % b;

/** Every window [start, end) of a row at `ts`. */
export function windowsOf(w: WindowSpec, ts: number): [number, number][] {
  const off = w.offset ?? 0;
  if (w.kind === 'TUMBLE') {
    const s = ts - mod(ts - off, w.size);
    return [[s, s + w.size]];
  }
  const slide = w.slide!;
  if (w.kind === 'HOP') {
    const out: [number, number][] = [];
    for (let s = ts - mod(ts - off, slide); s > ts - w.size; s -= slide) out.unshift([s, s + w.size]);
    return out;
  }
  const p = ts - mod(ts - off, w.size);
  const out: [number, number][] = [];
  for (let e = p + slide; e <= p + w.size; e += slide) if (e > ts) out.push([p, e]);
  return out;
}

/** SQL text of a window TVF call over source `s`. */
export function tvfSql(w: WindowSpec, source = 's', time = 'ts'): string {
  const ms = (n: number) => `INTERVAL '${n}' MILLISECOND`;
  const off = w.offset ? `, ${ms(w.offset)}` : '';
  if (w.kind === 'TUMBLE') return `TUMBLE(${source}, ${time}, ${ms(w.size)}${off})`;
  return `${w.kind}(${source}, ${time}, ${ms(w.slide!)}, ${ms(w.size)}${off})`;
}

/**
 * DuckDB SQL: the rows of table `t` repeated once per window, with window_start and
 * window_end (epoch ms) — time_bucket / generate_series written as integer arithmetic.
 */
export function oracleWindowed(w: WindowSpec, table = 't'): string {
  const off = w.offset ?? 0;
  const start = (size: number) => `(ts - ((((ts - ${off}) % ${size}) + ${size}) % ${size}))`;
  if (w.kind === 'TUMBLE') return `(SELECT *, ${start(w.size)} AS window_start, ${start(w.size)} + ${w.size} AS window_end FROM ${table})`;
  const slide = w.slide!;
  if (w.kind === 'HOP') {
    const back = (Math.floor(w.size / slide) + 1) * slide;
    return `(SELECT * EXCLUDE (o_ws), o_ws AS window_start, o_ws + ${w.size} AS window_end FROM (
      SELECT *, unnest(generate_series(${start(slide)} - ${back}, ${start(slide)}, ${slide})) AS o_ws FROM ${table})
      WHERE o_ws <= ts AND ts < o_ws + ${w.size})`;
  }
  return `(SELECT * EXCLUDE (o_p, o_we), o_p AS window_start, o_we AS window_end FROM (
    SELECT *, unnest(generate_series(o_p + ${slide}, o_p + ${w.size}, ${slide})) AS o_we FROM (SELECT *, ${start(w.size)} AS o_p FROM ${table}))
    WHERE o_we > ts)`;
}

/**
 * DuckDB SQL: the rows of table `t` with the session they fall in (gaps-and-islands): a row
 * starts a new session when it is `gap` or more after the previous row of its partition.
 * Adds session_start, session_end (epoch ms) and sid.
 */
export function oracleSessions(gap: number, partition: string | null, table = 't'): string {
  const part = partition ? `PARTITION BY ${partition} ` : '';
  const pcols = partition ? `${partition}, ` : '';
  // Both window passes order by (ts, o_rn): with ties in ts alone, DuckDB may order the two
  // passes differently and hand rows of one session two ids.
  return `(SELECT *, MIN(ts) OVER (PARTITION BY ${pcols}sid) AS session_start, MAX(ts) OVER (PARTITION BY ${pcols}sid) + ${gap} AS session_end FROM (
    SELECT *, SUM(brk) OVER (${part}ORDER BY ts, o_rn ROWS UNBOUNDED PRECEDING) AS sid FROM (
      SELECT *, CASE WHEN ts - lag(ts) OVER (${part}ORDER BY ts, o_rn) < ${gap} THEN 0 ELSE 1 END AS brk FROM (
        SELECT *, row_number() OVER () AS o_rn FROM ${table}))))`;
}

/**
 * Which rows a SESSION window drops as late (SPEC 2.5, session-aggregate.ts): a row first
 * merges with the sessions it comes closer than `gap` to, and is late when the merged session
 * has closed: one of those sessions had closed, or it touches none and its own
 * [ts, ts + gap) had closed.
 */
export function sessionLate(events: readonly Ev[], wms: readonly number[], gap: number, partition: (e: Ev) => unknown): boolean[] {
  const sessions = new Map<unknown, { start: number; last: number }[]>();
  return events.map((e, i) => {
    const wm = wms[i]!;
    const list = sessions.get(partition(e)) ?? [];
    sessions.set(partition(e), list);
    const touching = list.filter((s) => s.start - gap < e.ts && e.ts < s.last + gap);
    if (touching.length === 0 ? e.ts + gap <= wm : touching.some((s) => s.last + gap <= wm)) return true;
    const merged = { start: e.ts, last: e.ts };
    for (const s of touching) {
      merged.start = Math.min(merged.start, s.start);
      merged.last = Math.max(merged.last, s.last);
      list.splice(list.indexOf(s), 1);
    }
    list.push(merged);
    return false;
  });
}

// ---------------------------------------------------------------------------------------
// The DuckDB oracle
// ---------------------------------------------------------------------------------------

const lit = (v: string | number | null, type: 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DOUBLE'): string => {
  if (v === null) return 'NULL';
  if (type === 'VARCHAR') return `'${String(v).replaceAll("'", "''")}'`;
  if (type === 'DOUBLE') return `'${v}'::DOUBLE`;
  return String(v);
};

export class Oracle {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async create(): Promise<Oracle> {
    const instance = await DuckDBInstance.create(':memory:');
    return new Oracle(instance, await instance.connect());
  }

  /** (Re)creates table `name` with the events (plus `off`, the arrival position). */
  async load(events: readonly Ev[], name = 't'): Promise<void> {
    await this.conn.run(`CREATE OR REPLACE TABLE ${name} (k VARCHAR, x INTEGER, b BIGINT, d DOUBLE, v VARCHAR, ts BIGINT, off BIGINT)`);
    if (events.length === 0) return;
    const values = events.map(
      (e, i) => `(${lit(e.k, 'VARCHAR')}, ${lit(e.x, 'INTEGER')}, ${lit(e.b, 'BIGINT')}, ${lit(e.d, 'DOUBLE')}, ${lit(e.v, 'VARCHAR')}, ${e.ts}, ${i})`,
    );
    await this.conn.run(`INSERT INTO ${name} VALUES ${values.join(', ')}`);
  }

  /** (Re)creates table `name` (off BIGINT, window_start BIGINT, window_end BIGINT): which row counts in which window. */
  async loadPairs(pairs: readonly (readonly [number, number, number])[], name: string): Promise<void> {
    await this.conn.run(`CREATE OR REPLACE TABLE ${name} (off BIGINT, window_start BIGINT, window_end BIGINT)`);
    if (pairs.length > 0) await this.conn.run(`INSERT INTO ${name} VALUES ${pairs.map((p) => `(${p.join(', ')})`).join(', ')}`);
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  /** The rows of a query, values normalized (see {@link normalize}). */
  async rows(sql: string): Promise<unknown[][]> {
    const r = await this.conn.runAndReadAll(sql);
    return r.getRowsJS().map((row) => row.map(normalize));
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

// ---------------------------------------------------------------------------------------
// Running sluice
// ---------------------------------------------------------------------------------------

export interface ViewSpec {
  readonly name: string;
  /** The query after `CREATE MATERIALIZED VIEW name AS`. */
  readonly sql: string;
}

export interface SluiceRun {
  readonly engine: Engine;
  /** Each view's rows (values normalized) after the end of the stream. */
  readonly rows: Map<string, unknown[][]>;
}

/**
 * Opens an in-memory engine with source `s`, creates the views, inserts the events in
 * batches of the given sizes and ends the stream. With `viewsAfter`, that many events are
 * inserted before the views exist (the views catch up by replaying the event log). `setup`
 * runs once `s` exists (another source, say). The caller closes the engine.
 */
export async function runSluice(
  events: readonly Ev[],
  views: readonly ViewSpec[],
  o: { delayMs: number; batches: readonly number[]; end?: boolean; viewsAfter?: number; setup?: (engine: Engine) => Promise<void> },
): Promise<SluiceRun> {
  const engine = await Engine.open();
  try {
    await engine.execute(sourceSql(o.delayMs));
    if (o.setup) await o.setup(engine);
    const before = Math.min(o.viewsAfter ?? 0, events.length);
    for (const batch of cut(events.slice(0, before), o.batches)) await engine.insert('s', batch);
    for (const v of views) await engine.execute(`CREATE MATERIALIZED VIEW ${v.name} AS ${v.sql}`);
    for (const batch of cut(events.slice(before), o.batches)) await engine.insert('s', batch);
    if (o.end !== false) await engine.endOfStream('s');
    return { engine, rows: await readViews(engine, views.map((v) => v.name)) };
  } catch (e) {
    await engine.close();
    throw e;
  }
}

/**
 * The contents of several views, read by one pull query (`SELECT * FROM v` for each view,
 * glued with UNION ALL BY NAME, each view's columns renamed apart): every pull query writes
 * a checkpoint of every view first, so one query instead of one per view keeps tests fast.
 */
export async function readViews(engine: Engine, names: readonly string[]): Promise<Map<string, unknown[][]>> {
  const catalog = engine.describeCatalog().views;
  const columns = names.map((name) => catalog.find((v) => v.name === name)!.columns.map((c) => c.name));
  const q = (id: string) => `"${id.replaceAll('"', '""')}"`;
  const sql = names
    .map((name, i) => `SELECT ${i} AS sluice_view, ${columns[i]!.map((c) => `${q(c)} AS ${q(`${name}.${c}`)}`).join(', ')} FROM ${q(name)}`)
    .join(' UNION ALL BY NAME ');
  const out = new Map<string, unknown[][]>(names.map((n) => [n, []]));
  for (const r of await engine.query(sql)) {
    const i = r['sluice_view'] as number;
    out.get(names[i]!)!.push(columns[i]!.map((c) => normalize(r[`${names[i]}.${c}`])));
  }
  return out;
}

/** A row's values in column order, normalized. */
export const rowValues = (r: Row): unknown[] => Object.values(r).map(normalize);

/** Timestamps as epoch ms, bigints as numbers (every BIGINT here is a safe integer). */
export function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/** The late-event records of a view, in a canonical order, without recorded_at. */
export async function lateEvents(engine: Engine, view?: string): Promise<Row[]> {
  const where = view === undefined ? '' : `WHERE "view" = '${view}'`;
  const rows = await engine.query(
    `SELECT source, "offset", epoch_ms(event_time) AS event_time, epoch_ms(watermark) AS watermark, "view", "row"
     FROM sluice_late_events ${where} ORDER BY "view", "offset", "row"`,
  );
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normalize(v)])));
}

// ---------------------------------------------------------------------------------------
// Comparing results
// ---------------------------------------------------------------------------------------

const sortKey = (row: readonly unknown[]): string =>
  JSON.stringify(
    row.map((v) => (typeof v === 'number' ? (Math.abs(v) >= 1e9 ? String(v) : (Math.round(v * 1e6) / 1e6 + 0).toFixed(6)) : v)),
  );

const close = (a: unknown, b: unknown): boolean => {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
};

/** Sorts rows canonically (numbers rounded for ordering only). */
export const sortRows = (rows: readonly (readonly unknown[])[]): unknown[][] =>
  rows.map((r) => [...r]).sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));

/**
 * Throws unless the two multisets of rows are equal (numbers within a relative 1e-9, for
 * DOUBLE sums and averages computed in another order). The message shows both sides.
 */
export function assertSameRows(actual: readonly (readonly unknown[])[], expected: readonly (readonly unknown[])[], label: string): void {
  const a = sortRows(actual);
  const e = sortRows(expected);
  const same = a.length === e.length && a.every((row, i) => row.length === e[i]!.length && row.every((v, j) => close(v, e[i]![j])));
  if (!same) {
    const show = (rows: unknown[][]) => rows.map((r) => '  ' + JSON.stringify(r)).join('\n');
    throw new Error(`${label}: sluice and the oracle differ\n sluice (${a.length} rows):\n${show(a)}\n oracle (${e.length} rows):\n${show(e)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Changelogs
// ---------------------------------------------------------------------------------------

/** A multiset of rows folded from a changelog: +I/+U add a copy, -U/-D remove one. */
export class Fold {
  private readonly counts = new Map<string, { row: unknown[]; n: number }>();

  apply(c: Change): void {
    const row = rowValues(c.row);
    const key = JSON.stringify(row);
    const cur = this.counts.get(key) ?? { row, n: 0 };
    cur.n += c.op === '+I' || c.op === '+U' ? 1 : -1;
    if (cur.n < 0) throw new Error(`changelog retracts a row that is not in the view: ${c.op} ${key}`);
    if (cur.n === 0) this.counts.delete(key);
    else this.counts.set(key, cur);
  }

  rows(): unknown[][] {
    const out: unknown[][] = [];
    for (const { row, n } of this.counts.values()) for (let i = 0; i < n; i++) out.push(row);
    return out;
  }
}
