/**
 * A random query generator for the differential fuzz test (differential-fuzz.test.ts): from a
 * tape of random numbers it builds a query in sluice's dialect over sources `s` and `s2`
 * (oracle.ts's schema) together with the same query as DuckDB batch SQL over tables `t` and
 * `t2`. Shapes: projections and filters with expressions, GROUP BY with aggregates and HAVING,
 * TUMBLE/HOP/CUMULATE aggregates (both emit modes), DISTINCT, joins (INNER, LEFT, RIGHT, FULL)
 * of sources, subqueries and views, ROW_NUMBER Top-N, OVER aggregates, UNION ALL and the other
 * set operations, subqueries in FROM and materialized views under the query.
 *
 * Every choice reads the next number of the tape and an exhausted tape reads 0, and option 0
 * is always the simplest, so fast-check shrinking the tape (shorter, smaller numbers) shrinks
 * the query. Only what the README documents is generated; where sluice differs from DuckDB on
 * purpose the oracle spells out sluice's semantics (`x / 0` is NULL: NULLIF; SUM of integers is
 * BIGINT; rows tied on every ORDER BY key keep their arrival order: the oracle orders by
 * `off`, the arrival position, after the query's keys).
 */
import { oracleWindowed, type WindowSpec } from './oracle.js';

type Ty = 'int' | 'dbl' | 'str' | 'bool' | 'ts';

interface Col {
  /** The name as an expression reads it (`x`, `l.x`). */
  readonly ref: string;
  /** The output name (`x`). */
  readonly name: string;
  readonly ty: Ty;
}

/** A FROM item: its text in sluice and in DuckDB, and what the queries above may assume of it. */
interface Rel {
  readonly from: string;
  readonly ofrom: string;
  readonly cols: readonly Col[];
  /** Inserts only (a source, a filter or projection of one, an EMIT ON WINDOW CLOSE aggregate). */
  readonly appendOnly: boolean;
  /** Has column `ts`, its event time. */
  readonly time: boolean;
  /** The oracle's side has column `off`, the arrival position of each row (one source's rows, filtered or projected). */
  readonly off: boolean;
  /** No two rows are equal (GROUP BY and DISTINCT outputs): ordering by every column is a total order. */
  readonly unique: boolean;
  /** ` EMIT ON WINDOW CLOSE`, kept out of `from`: only a view's outermost query may say it. */
  readonly emit?: string;
}

/** A generated query: materialized views it reads (created first, in order), itself, and its DuckDB twin. */
export interface FuzzQuery {
  readonly setup: readonly { readonly name: string; readonly sql: string }[];
  readonly sql: string;
  readonly oracle: string;
}

const SOURCE_COLS: readonly Col[] = [
  { ref: 'k', name: 'k', ty: 'str' },
  { ref: 'x', name: 'x', ty: 'int' },
  { ref: 'b', name: 'b', ty: 'int' },
  { ref: 'd', name: 'd', ty: 'dbl' },
  { ref: 'v', name: 'v', ty: 'str' },
  { ref: 'ts', name: 'ts', ty: 'ts' },
];

const source = (name: 's' | 's2'): Rel => ({
  from: name,
  ofrom: name === 's' ? 't' : 't2',
  cols: SOURCE_COLS,
  appendOnly: true,
  time: true,
  off: true,
  unique: false,
});

/** An expression in both dialects. */
interface E {
  readonly s: string;
  readonly o: string;
}

/** A query as a FROM item. */
const sub = (q: Rel): Rel => ({ ...q, from: `(${q.from})`, ofrom: `(${q.ofrom})`, appendOnly: q.appendOnly && !q.emit, emit: '' });

const same = (t: string): E => ({ s: t, o: t });
// `f` is called once (it may make random choices), with placeholders filled in per side.
const A = '\u0001';
const B = '\u0002';
const fill = (t: string, a: string, b: string): string => t.replace(A, () => a).replace(B, () => b);
const wrap = (f: (a: string, b: string) => string, a: E, b: E): E => {
  const t = f(A, B);
  return { s: fill(t, a.s, b.s), o: fill(t, a.o, b.o) };
};
const map1 = (f: (a: string) => string, a: E): E => wrap((x) => f(x), a, same(''));

export class QueryGen {
  private at = 0;
  private names = 0;
  private readonly setup: { name: string; sql: string }[] = [];

  constructor(
    private readonly tape: readonly number[],
    /** Prefix of this query's view and column names (unique within a run). */
    private readonly prefix: string,
  ) {}

  /** A number in [0, n): the tape's next, 0 once it is used up. */
  private pick(n: number): number {
    const v = this.at < this.tape.length ? this.tape[this.at]! : 0;
    this.at++;
    return v % n;
  }

  private oneOf<T>(xs: readonly T[]): T {
    return xs[this.pick(xs.length)]!;
  }

  /** True with chance about 1/n (false on an exhausted tape). */
  private chance(n: number): boolean {
    return this.pick(n) === n - 1;
  }

  private fresh(stem: string): string {
    return `${stem}${this.names++}`;
  }

  // -------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------

  private colOf(cols: readonly Col[], ty: Ty): Col | null {
    const c = cols.filter((c) => c.ty === ty);
    return c.length === 0 ? null : this.oneOf(c);
  }

  expr(ty: Exclude<Ty, 'ts'>, cols: readonly Col[], depth: number): E {
    switch (ty) {
      case 'int':
        return this.intExpr(cols, depth);
      case 'dbl':
        return this.dblExpr(cols, depth);
      case 'str':
        return this.strExpr(cols, depth);
      case 'bool':
        return this.boolExpr(cols, depth);
    }
  }

  private leaf(ty: Exclude<Ty, 'ts'>, cols: readonly Col[], literal: () => string): E {
    const c = this.colOf(cols, ty);
    return same(c && !this.chance(6) ? c.ref : literal());
  }

  private intLit = (): string => String(this.oneOf([1, 0, 2, 3, -1, 5, 10, -7, 42, 50]));
  private strLit = (): string => `'${this.oneOf(['a', 'apple', '', 'Apple', 'zz', 'b', 'ab c', 'é'])}'`;

  private intExpr(cols: readonly Col[], depth: number): E {
    if (depth <= 0) return this.leaf('int', cols, this.intLit);
    const d = depth - 1;
    const i = () => this.intExpr(cols, d);
    switch (this.pick(16)) {
      case 0:
      case 1:
        return this.leaf('int', cols, this.intLit);
      case 2:
        return wrap((a, b) => `(${a} + ${b})`, i(), i());
      case 3:
        return wrap((a, b) => `(${a} - ${b})`, i(), i());
      case 4:
        return map1((a) => `(${a} * ${this.oneOf([2, -1, 3, 0, -2])})`, i());
      case 5:
        return map1((a) => `ABS(${a})`, i());
      case 6:
        return this.caseExpr('int', cols, d);
      case 7:
        return wrap((a, b) => `COALESCE(${a}, ${b})`, i(), i());
      case 8:
        return map1((a) => `LENGTH(${a})`, this.strExpr(cols, d));
      case 9:
        return map1((a) => `NULLIF(${a}, ${this.intLit()})`, i());
      case 10:
        return map1((a) => `(${a} % ${this.oneOf([2, 3, 7, -3])})`, i());
      case 11:
        return wrap((a, b) => `${this.oneOf(['GREATEST', 'LEAST'])}(${a}, ${b})`, i(), i());
      case 12:
        return map1((a) => `STRPOS(${a}, '${this.oneOf(['a', 'p', 'z'])}')`, this.strExpr(cols, d));
      case 13:
        // Of a leaf, to BIGINT: a product would overflow (DuckDB raises on that).
        return map1((a) => `CAST(${a} AS BIGINT)`, this.dblExpr(cols, 0));
      case 14:
        return map1((a) => `SIGN(${a})`, i());
      default:
        return wrap((a, b) => `(${a} % NULLIF(${b}, 0))`, i(), i());
    }
  }

  private dblExpr(cols: readonly Col[], depth: number): E {
    const lit = () => `CAST(${this.oneOf(['1.5', '0', '-2.25', '100', '0.1'])} AS DOUBLE)`;
    if (depth <= 0) return this.leaf('dbl', cols, lit);
    const d = depth - 1;
    const f = () => this.dblExpr(cols, d);
    const num = () => (this.chance(2) ? this.intExpr(cols, d) : f());
    switch (this.pick(14)) {
      case 0:
      case 1:
        return this.leaf('dbl', cols, lit);
      case 2:
        return wrap((a, b) => `(${a} + ${b})`, f(), num());
      case 3:
        return wrap((a, b) => `(${a} - ${b})`, num(), f());
      case 4:
        return wrap((a, b) => `(${a} * ${b})`, f(), num());
      case 5: {
        // sluice: x / 0 is NULL (README, Decisions).
        const a = num();
        const b = num();
        return { s: `(${a.s} / ${b.s})`, o: `(${a.o} / NULLIF(${b.o}, 0))` };
      }
      case 6:
        return map1((a) => `ABS(${a})`, f());
      case 7:
        return map1((a) => (this.chance(2) ? `ROUND(${a}, ${this.oneOf([1, 0, 2])})` : `ROUND(${a})`), f());
      case 8:
        return map1((a) => `${this.oneOf(['FLOOR', 'CEIL'])}(${a})`, f());
      case 9:
        return this.caseExpr('dbl', cols, d);
      case 10:
        return wrap((a, b) => `COALESCE(${a}, ${b})`, f(), num());
      case 11:
        return map1((a) => `CAST(${a} AS DOUBLE)`, this.intExpr(cols, d));
      case 12:
        return map1((a) => `SQRT(ABS(${a}))`, f());
      default:
        return map1((a) => `NULLIF(${a}, 0)`, f());
    }
  }

  private strExpr(cols: readonly Col[], depth: number): E {
    if (depth <= 0) return this.leaf('str', cols, this.strLit);
    const d = depth - 1;
    const s = () => this.strExpr(cols, d);
    const n = () => this.oneOf([1, 2, 0, 3, -1]);
    switch (this.pick(18)) {
      case 0:
      case 1:
        return this.leaf('str', cols, this.strLit);
      case 2:
        return map1((a) => `UPPER(${a})`, s());
      case 3:
        return map1((a) => `LOWER(${a})`, s());
      case 4:
        return wrap((a, b) => `(${a} || ${b})`, s(), s());
      case 5:
        return wrap((a, b) => `CONCAT(${a}, ${b})`, s(), s());
      case 6:
        return map1((a) => `SUBSTRING(${a}, ${this.oneOf([1, 2, 3])}, ${this.oneOf([1, 2, 3])})`, s());
      case 7:
        return map1((a) => `TRIM(${a})`, s());
      case 8:
        return map1((a) => `REPLACE(${a}, '${this.oneOf(['p', 'a', 'é'])}', '${this.oneOf(['P', '', 'xy'])}')`, s());
      case 9:
        return map1((a) => `${this.oneOf(['LEFT', 'RIGHT'])}(${a}, ${n()})`, s());
      case 10:
        return map1((a) => `REVERSE(${a})`, s());
      case 11:
        return this.caseExpr('str', cols, d);
      case 12:
        return wrap((a, b) => `COALESCE(${a}, ${b})`, s(), s());
      case 13:
        return map1((a) => `CAST(${a} AS VARCHAR)`, this.pick(3) === 0 ? this.dblExpr(cols, d) : this.intExpr(cols, d));
      case 14:
        return map1((a) => `${this.oneOf(['LPAD', 'RPAD'])}(${a}, ${this.oneOf([4, 1, 6])}, '*')`, s());
      case 15:
        return map1((a) => `NULLIF(${a}, ${this.strLit()})`, s());
      case 16:
        return map1((a) => `SPLIT_PART(${a}, '${this.oneOf(['p', 'a', ' '])}', ${this.oneOf([1, 2])})`, s());
      default: {
        const c = this.boolExpr(cols, d);
        const a = s();
        const b = s();
        return { s: `IF(${c.s}, ${a.s}, ${b.s})`, o: `IF(${c.o}, ${a.o}, ${b.o})` };
      }
    }
  }

  private caseExpr(ty: 'int' | 'dbl' | 'str', cols: readonly Col[], d: number): E {
    const c = this.boolExpr(cols, d);
    const a = this.expr(ty, cols, d);
    if (this.chance(3)) return { s: `CASE WHEN ${c.s} THEN ${a.s} END`, o: `CASE WHEN ${c.o} THEN ${a.o} END` };
    const b = this.expr(ty, cols, d);
    return { s: `CASE WHEN ${c.s} THEN ${a.s} ELSE ${b.s} END`, o: `CASE WHEN ${c.o} THEN ${a.o} ELSE ${b.o} END` };
  }

  private boolExpr(cols: readonly Col[], depth: number): E {
    const d = Math.max(0, depth - 1);
    const cmp = () => this.oneOf(['=', '<>', '<', '<=', '>', '>=']);
    const num = () => (this.chance(3) ? this.dblExpr(cols, d) : this.intExpr(cols, d));
    switch (depth <= 0 ? this.pick(3) : this.pick(13)) {
      case 0: {
        const op = cmp();
        return wrap((a, b) => `${a} ${op} ${b}`, num(), this.intExpr([], 0));
      }
      case 1: {
        const op = cmp();
        return wrap((a, b) => `${a} ${op} ${b}`, this.strExpr(cols, d), this.strExpr(cols, 0));
      }
      case 2: {
        const t = this.oneOf(['int', 'str', 'dbl'] as const);
        const not = this.chance(2) ? ' NOT' : '';
        return map1((a) => `${a} IS${not} NULL`, this.expr(t, cols, d));
      }
      case 3:
        return wrap((a, b) => `(${a} AND ${b})`, this.boolExpr(cols, d), this.boolExpr(cols, d));
      case 4:
        return wrap((a, b) => `(${a} OR ${b})`, this.boolExpr(cols, d), this.boolExpr(cols, d));
      case 5:
        return map1((a) => `NOT (${a})`, this.boolExpr(cols, d));
      case 6: {
        const op = cmp();
        return wrap((a, b) => `${a} ${op} ${b}`, num(), num());
      }
      case 7: {
        const lo = this.oneOf([-10, 0, 5]);
        return map1((a) => `${a} ${this.chance(3) ? 'NOT ' : ''}BETWEEN ${lo} AND ${lo + this.oneOf([10, 30, 0])}`, num());
      }
      case 8:
        return this.chance(2)
          ? map1((a) => `${a} ${this.chance(3) ? 'NOT ' : ''}IN (${this.strLit()}, ${this.strLit()}, ${this.strLit()})`, this.strExpr(cols, d))
          : map1((a) => `${a} ${this.chance(3) ? 'NOT ' : ''}IN (${this.intLit()}, ${this.intLit()}, NULL)`, this.intExpr(cols, d));
      case 9:
        return map1((a) => `${a} ${this.chance(3) ? 'NOT ' : ''}LIKE '${this.oneOf(['a%', '%p%', '_b%', '%', 'A%', '%e'])}'`, this.strExpr(cols, d));
      case 10:
        return map1((a) => `${this.oneOf(['STARTS_WITH', 'CONTAINS', 'ENDS_WITH'])}(${a}, '${this.oneOf(['a', 'p', 'e', ''])}')`, this.strExpr(cols, d));
      case 11: {
        const c = this.colOf(cols, 'bool');
        return c ? same(c.ref) : this.boolExpr(cols, 0);
      }
      default: {
        const op = cmp();
        return wrap((a, b) => `${a} ${op} ${b}`, this.strExpr(cols, d), this.strExpr(cols, d));
      }
    }
  }

  private anyExpr(cols: readonly Col[], depth: number): [E, Exclude<Ty, 'ts'>] {
    // Mostly a type the input has a column of, so that expressions read columns.
    const has = (['int', 'str', 'dbl', 'bool'] as const).filter((t) => cols.some((c) => c.ty === t));
    const ty = has.length > 0 && this.pick(4) !== 3 ? this.oneOf(has) : this.oneOf(['int', 'str', 'dbl', 'bool'] as const);
    return [this.expr(ty, cols, depth), ty];
  }

  // -------------------------------------------------------------------------------------
  // Aggregates
  // -------------------------------------------------------------------------------------

  /** An aggregate call over the input's columns, its DuckDB twin and result type. */
  private aggregate(cols: readonly Col[]): [E, Exclude<Ty, 'ts'>] {
    const filter = (e: E): E => {
      if (!this.chance(5)) return e;
      const c = this.boolExpr(cols, 1);
      return { s: `${e.s} FILTER (WHERE ${c.s})`, o: `${e.o} FILTER (WHERE ${c.o})` };
    };
    const arg = (ty: Exclude<Ty, 'ts'>) => this.expr(ty, cols, this.pick(3));
    switch (this.pick(9)) {
      case 0:
        return [filter(same('COUNT(*)')), 'int'];
      case 1:
        return [filter(map1((a) => `COUNT(${a})`, this.anyExpr(cols, this.pick(2))[0])), 'int'];
      case 2:
        return [filter(map1((a) => `COUNT(DISTINCT ${a})`, this.anyExpr(cols, this.pick(2))[0])), 'int'];
      case 3: {
        const e = filter(map1((a) => `SUM(${a})`, arg('int')));
        // SUM of integers is BIGINT in sluice (DuckDB: HUGEINT).
        return [{ s: e.s, o: `(${e.o})::BIGINT` }, 'int'];
      }
      case 4:
        return [filter(map1((a) => `SUM(${a})`, arg('dbl'))), 'dbl'];
      case 5:
        return [filter(map1((a) => `AVG(${a})`, arg(this.oneOf(['int', 'dbl'])))), 'dbl'];
      default: {
        const ty = this.oneOf(['int', 'str', 'dbl'] as const);
        return [filter(map1((a) => `${this.oneOf(['MIN', 'MAX'])}(${a})`, arg(ty))), ty];
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Relations
  // -------------------------------------------------------------------------------------

  /** A FROM item: mostly a source, else a subquery or a materialized view of one. */
  private input(depth: number, need: { time?: boolean; appendOnly?: boolean; off?: boolean; unique?: boolean } = {}): Rel {
    const fits = (r: Rel) =>
      (!need.time || r.time) && (!need.appendOnly || r.appendOnly) && (!need.off || r.off) && (!need.unique || r.unique);
    const choice = depth <= 0 ? 0 : this.pick(6);
    if (choice >= 3) {
      const q = this.query(depth - 1, need);
      if (fits(q)) {
        if (choice === 5) {
          const name = this.fresh(`${this.prefix}v`);
          this.setup.push({ name, sql: q.from + (q.emit ?? '') });
          return { ...q, from: name, ofrom: `(${q.ofrom})`, emit: '' };
        }
        return sub(q);
      }
    }
    if (need.unique) return sub(this.distinct(source(this.pick(3) === 2 ? 's2' : 's'), 0));
    return source(choice === 2 ? 's2' : 's');
  }

  /**
   * A query (its `from` and `ofrom` are full SELECT texts here; `input` parenthesizes them)
   * meeting `need` when it can.
   */
  query(depth: number, need: { time?: boolean; appendOnly?: boolean; off?: boolean; unique?: boolean } = {}): Rel {
    if (need.time || need.off) return this.project(this.input(depth, need), true);
    if (need.unique) return this.pick(2) === 0 ? this.distinct(this.input(depth), depth) : this.groupBy(this.input(depth), depth);
    if (need.appendOnly) return this.project(this.input(depth, need), this.chance(2));
    switch (this.pick(12)) {
      case 0:
        return this.project(this.input(depth), this.chance(2));
      case 1:
        return this.groupBy(this.input(depth), depth);
      case 2: {
        if (this.chance(3)) {
          const j = this.join(depth);
          if (j.time) return this.windowAgg(sub(j));
        }
        return this.windowAgg(this.input(depth, { time: true, appendOnly: true }));
      }
      case 3:
        return this.distinct(this.input(depth), depth);
      case 4:
        return this.join(depth);
      case 5:
        return this.topN(depth);
      case 6:
        return this.over(depth);
      case 7:
        return this.setOp(depth);
      case 8:
        return this.groupBy(sub(this.join(depth)), depth);
      case 10:
      case 11:
        // Aggregates over changelogs (a GROUP BY or DISTINCT below): retractions must be exact.
        return this.groupBy(this.input(Math.max(depth, 1), { unique: true }), depth);
      default:
        return this.project(this.input(depth), this.chance(2));
    }
  }

  private items(cols: readonly Col[], n: number, depth: number): { sel: E; out: Col[] } {
    const s: string[] = [];
    const o: string[] = [];
    const out: Col[] = [];
    for (let i = 0; i < n; i++) {
      const plain = cols.filter((c) => c.ty !== 'ts');
      if (plain.length > 0 && this.pick(3) === 0) {
        const c = this.oneOf(plain);
        const name = this.fresh('c');
        s.push(`${c.ref} AS ${name}`);
        o.push(`${c.ref} AS ${name}`);
        out.push({ ref: name, name, ty: c.ty });
        continue;
      }
      const [e, ty] = this.anyExpr(cols, depth);
      const name = this.fresh('c');
      s.push(`${e.s} AS ${name}`);
      o.push(`${e.o} AS ${name}`);
      out.push({ ref: name, name, ty });
    }
    return { sel: { s: s.join(', '), o: o.join(', ') }, out };
  }

  private where(cols: readonly Col[]): E {
    if (this.pick(2) === 0) return same('');
    return map1((c) => ` WHERE ${c}`, this.boolExpr(cols, 1 + this.pick(3)));
  }

  /** SELECT [ts,] exprs FROM input [WHERE …]; keeps `ts` and the oracle's `off` when asked and there. */
  private project(r: Rel, keepTime: boolean): Rel {
    const { sel, out } = this.items(r.cols, 1 + this.pick(3), this.pick(4));
    let w = this.where(r.cols);
    let semi = false;
    if (this.chance(5)) {
      // x [NOT] IN (SELECT …): a semi or anti join (a mark join under OR).
      const c = this.colOf(r.cols, 'int') ?? this.colOf(r.cols, 'str');
      if (c) {
        const src = source(this.pick(2) === 0 ? 's2' : 's');
        const inner = this.colOf(src.cols, c.ty)!;
        const f = this.boolExpr(src.cols, 1);
        const not = this.chance(3) ? 'NOT ' : '';
        const joiner = w.s === '' ? ' WHERE ' : this.pick(3) === 0 ? ' OR ' : ' AND ';
        semi = true;
        w = {
          s: `${w.s}${joiner}${c.ref} ${not}IN (SELECT ${inner.ref} FROM ${src.from} WHERE ${f.s})`,
          o: `${w.o}${joiner}${c.ref} ${not}IN (SELECT ${inner.ref} FROM ${src.ofrom} WHERE ${f.o})`,
        };
      }
    }
    const time = keepTime && r.time;
    const tsS = time ? 'ts, ' : '';
    const offO = r.off ? ', off' : '';
    return {
      from: `SELECT ${tsS}${sel.s} FROM ${r.from}${w.s}`,
      ofrom: `SELECT ${tsS}${sel.o}${offO} FROM ${r.ofrom}${w.o}`,
      cols: time ? [{ ref: 'ts', name: 'ts', ty: 'ts' }, ...out] : out,
      // A semi join releases a row when its match comes (out of arrival order), an anti join retracts it.
      appendOnly: r.appendOnly && !semi,
      time,
      off: r.off && !semi,
      unique: false,
    };
  }

  private distinct(r: Rel, depth: number): Rel {
    const { sel, out } = this.items(r.cols, 1 + this.pick(3), Math.min(depth, this.pick(3)));
    const w = this.where(r.cols);
    return {
      from: `SELECT DISTINCT ${sel.s} FROM ${r.from}${w.s}`,
      ofrom: `SELECT DISTINCT ${sel.o} FROM ${r.ofrom}${w.o}`,
      cols: out,
      appendOnly: false,
      time: false,
      off: false,
      unique: true,
    };
  }

  /** Keys and aggregates of a GROUP BY (keys first). */
  private groupParts(cols: readonly Col[]): { keys: E[]; keyCols: Col[]; aggs: E[]; aggCols: Col[]; having: E } {
    const nKeys = this.pick(3);
    const keys: E[] = [];
    const keyCols: Col[] = [];
    for (let i = 0; i < nKeys; i++) {
      const plain = cols.filter((c) => c.ty !== 'ts');
      const [e, ty] = this.pick(2) === 0 && plain.length > 0 ? ((c) => [same(c.ref), c.ty as Exclude<Ty, 'ts'>] as const)(this.oneOf(plain)) : this.anyExpr(cols, 1);
      // `GROUP BY 5` would name a position: a bare integer key takes a column instead.
      if (/^-?\d+$/.test(e.s) && plain.length > 0) {
        keys.push(same(plain[0]!.ref));
        keyCols.push({ ref: '', name: this.fresh('g'), ty: plain[0]!.ty as Exclude<Ty, 'ts'> });
        continue;
      }
      keys.push(e);
      keyCols.push({ ref: '', name: this.fresh('g'), ty });
    }
    const aggs: E[] = [];
    const aggCols: Col[] = [];
    for (let i = 0, n = 1 + this.pick(3); i < n; i++) {
      const [e, ty] = this.aggregate(cols);
      aggs.push(e);
      aggCols.push({ ref: '', name: this.fresh('a'), ty });
    }
    let having = same('');
    if (this.chance(3)) {
      const [e, ty] = this.aggregate(cols);
      const op = this.oneOf(['>', '<', '>=', '<>']);
      const lit = ty === 'str' ? this.strLit() : this.intLit();
      having = { s: ` HAVING ${e.s} ${op} ${lit}`, o: ` HAVING ${e.o} ${op} ${lit}` };
    }
    return { keys, keyCols, aggs, aggCols, having };
  }

  private groupBy(r: Rel, _depth: number): Rel {
    const { keys, keyCols, aggs, aggCols, having } = this.groupParts(r.cols);
    const w = this.where(r.cols);
    const sel = (side: 's' | 'o') => [...keys.map((k, i) => `${k[side]} AS ${keyCols[i]!.name}`), ...aggs.map((a, i) => `${a[side]} AS ${aggCols[i]!.name}`)].join(', ');
    // GROUP BY the expressions or by their positions, both documented.
    // GROUP BY the expressions, their positions or their aliases, all documented.
    const form = this.pick(3);
    const names = (side: 's' | 'o') => (form === 1 ? keys.map((_, i) => i + 1) : form === 2 ? keyCols.map((c) => c.name) : keys.map((k) => k[side]));
    const by = (side: 's' | 'o') => (keys.length === 0 ? '' : ` GROUP BY ${names(side).join(', ')}`);
    return {
      from: `SELECT ${sel('s')} FROM ${r.from}${w.s}${by('s')}${having.s}`,
      ofrom: `SELECT ${sel('o')} FROM ${r.ofrom}${w.o}${by('o')}${having.o}`,
      cols: [...keyCols, ...aggCols].map((c) => ({ ...c, ref: c.name })),
      appendOnly: false,
      time: false,
      off: false,
      unique: true,
    };
  }

  private windowAgg(r: Rel): Rel {
    const S = 1000;
    let w: WindowSpec;
    switch (this.pick(3)) {
      case 0:
        w = { kind: 'TUMBLE', size: this.oneOf([10 * S, 5 * S, 2500, 1000]), offset: this.chance(3) ? this.oneOf([S, 300]) : 0 };
        break;
      case 1: {
        const slide = this.oneOf([5 * S, 2 * S, 3 * S]);
        w = { kind: 'HOP', size: slide * this.oneOf([2, 3]) + (this.chance(3) ? S : 0), slide, offset: this.chance(4) ? 700 : 0 };
        break;
      }
      default: {
        const step = this.oneOf([5 * S, 2 * S]);
        w = { kind: 'CUMULATE', size: step * this.oneOf([3, 2, 4]), slide: step };
      }
    }
    const ms = (n: number) => `INTERVAL '${n}' MILLISECOND`;
    const off = w.offset ? `, ${ms(w.offset)}` : '';
    const tvf = w.kind === 'TUMBLE' ? `TUMBLE(${r.from}, ts, ${ms(w.size)}${off})` : `${w.kind}(${r.from}, ts, ${ms(w.slide!)}, ${ms(w.size)}${off})`;
    const { keys, keyCols, aggs, aggCols, having } = this.groupParts(r.cols);
    const where = this.where(r.cols);
    const withTime = this.chance(3);
    const close = this.pick(2) === 1 ? ' EMIT ON WINDOW CLOSE' : '';
    const ws = this.fresh('ws');
    const we = this.fresh('we');
    const sel = (side: 's' | 'o') =>
      [
        `window_start AS ${ws}`,
        `window_end AS ${we}`,
        ...(withTime ? [side === 's' ? 'window_time AS ts' : 'window_end - 1 AS ts'] : []),
        ...keys.map((k, i) => `${k[side]} AS ${keyCols[i]!.name}`),
        ...aggs.map((a, i) => `${a[side]} AS ${aggCols[i]!.name}`),
      ].join(', ');
    const by = (side: 's' | 'o') => ['window_start', 'window_end', ...(withTime ? [side === 's' ? 'window_time' : 'window_end - 1'] : []), ...keys.map((k) => k[side])].join(', ');
    return {
      from: `SELECT ${sel('s')} FROM ${tvf}${where.s} GROUP BY ${by('s')}${having.s}`,
      emit: close,
      ofrom: `SELECT ${sel('o')} FROM ${oracleWindowed(w, r.ofrom)}${where.o} GROUP BY ${by('o')}${having.o}`,
      cols: [
        { ref: ws, name: ws, ty: 'ts' },
        { ref: we, name: we, ty: 'ts' },
        ...(withTime ? [{ ref: 'ts', name: 'ts', ty: 'ts' as const }] : []),
        ...[...keyCols, ...aggCols].map((c) => ({ ...c, ref: c.name })),
      ],
      appendOnly: close !== '',
      time: withTime,
      off: false,
      unique: true,
    };
  }

  private join(depth: number): Rel {
    const side = (): Rel => {
      const c = this.pick(5);
      if (c === 1) return source('s2');
      if (c >= 2 && depth > 0) {
        const q = this.pick(3) === 0 ? this.groupBy(this.input(0), 0) : this.project(this.input(0), this.pick(2) === 0);
        if (c === 4) {
          const name = this.fresh(`${this.prefix}v`);
          this.setup.push({ name, sql: q.from });
          return { ...q, from: name, ofrom: `(${q.ofrom})` };
        }
        return sub(q);
      }
      return source('s');
    };
    const l = side();
    // Sometimes the same input on both sides: a self-join of one view or of one subquery text (a shared subplan).
    const r = this.chance(4) ? l : side();
    const lc = l.cols.filter((c) => c.ty !== 'ts').map((c) => ({ ...c, ref: `l.${c.name}` }));
    const rc = r.cols.filter((c) => c.ty !== 'ts').map((c) => ({ ...c, ref: `r.${c.name}` }));
    const conds: E[] = [];
    for (let i = 0, n = 1 + (this.chance(4) ? 1 : 0); i < n; i++) {
      const ty = this.oneOf(['str', 'int', 'dbl'] as const);
      const a = this.colOf(lc, ty);
      const b = this.colOf(rc, ty);
      if (a && b && (ty === 'str' || ty === 'int') && this.chance(3)) {
        // A computed key on either side (computed below the join).
        const ea = this.expr(ty, [a], 1);
        const eb = this.expr(ty, [b], 1);
        conds.push({ s: `${ea.s} = ${eb.s}`, o: `${ea.o} = ${eb.o}` });
      } else if (a && b) conds.push(same(`${a.ref} = ${b.ref}`));
      else if (this.colOf(lc, 'str') && this.colOf(rc, 'str')) conds.push(same(`${this.colOf(lc, 'str')!.ref} = ${this.colOf(rc, 'str')!.ref}`));
    }
    if (conds.length === 0 || this.chance(4)) conds.push(this.boolExpr([...lc, ...rc], 1));
    // An interval join: the condition bounds each side's time by the other's (state is freed).
    const bounded = l.time && r.time && this.pick(2) === 1;
    if (bounded) {
      const a = this.oneOf([2, 5, 0, 10]);
      const b = this.oneOf([3, 1, 7]);
      const sec = (n: number) => `INTERVAL '${n}' SECOND`;
      switch (this.pick(3)) {
        case 0:
          conds.push({ s: `l.ts BETWEEN r.ts AND r.ts + ${sec(b)}`, o: `l.ts BETWEEN r.ts AND r.ts + ${b * 1000}` });
          break;
        case 1:
          conds.push({ s: `r.ts BETWEEN l.ts - ${sec(a)} AND l.ts + ${sec(b)}`, o: `r.ts BETWEEN l.ts - ${a * 1000} AND l.ts + ${b * 1000}` });
          break;
        default:
          conds.push({ s: `r.ts <= l.ts AND l.ts < r.ts + ${sec(b)}`, o: `r.ts <= l.ts AND l.ts < r.ts + ${b * 1000}` });
      }
    }
    const kind = this.oneOf(['JOIN', 'LEFT JOIN', 'JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN']);
    const on = { s: conds.map((c) => c.s).join(' AND '), o: conds.map((c) => c.o).join(' AND ') };
    const all = [...lc, ...rc];
    const { sel, out } = this.items(all, 1 + this.pick(4), this.pick(2));
    const w = this.where(all);
    const appendOnly = bounded && l.appendOnly && r.appendOnly;
    // An inner interval join of append-only inputs is append-only, and l.ts an event time of its output.
    const time = appendOnly && kind === 'JOIN' && this.pick(2) === 0;
    // Outer interval joins may pad once, when final (README: saga timeouts).
    const emit = appendOnly && kind !== 'JOIN' && this.pick(2) === 0 ? ' EMIT ON WINDOW CLOSE' : '';
    const ts = time ? 'l.ts AS ts, ' : '';
    return {
      from: `SELECT ${ts}${sel.s} FROM ${l.from} AS l ${kind} ${r.from} AS r ON ${on.s}${w.s}`,
      ofrom: `SELECT ${ts}${sel.o} FROM ${l.ofrom} AS l ${kind} ${r.ofrom} AS r ON ${on.o}${w.o}`,
      cols: time ? [{ ref: 'ts', name: 'ts', ty: 'ts' }, ...out] : out,
      appendOnly: time || emit !== '',
      time,
      off: false,
      unique: false,
      emit,
    };
  }

  private topN(depth: number): Rel {
    const r = this.pick(3) === 0 ? this.input(depth, { unique: true }) : this.input(depth, { off: true });
    const plain = r.cols.filter((c) => c.ty !== 'ts');
    const part = plain.length > 0 && this.pick(4) !== 0 ? [this.oneOf(plain).ref] : [];
    const keys: string[] = [];
    for (let i = 0, n = 1 + this.pick(2); i < n; i++) {
      const c = this.oneOf(r.cols);
      keys.push(`${c.ref}${this.chance(2) ? ' DESC' : ''}${this.chance(4) ? ' NULLS FIRST' : ''}`);
    }
    const bound = this.oneOf(['rn <= 1', 'rn <= 3', 'rn = 1', 'rn < 3', 'rn BETWEEN 2 AND 4', 'rn <= 2']);
    const limit1 = bound === 'rn <= 1' || bound === 'rn = 1';
    // RANK and DENSE_RANK: peers share a rank, so no tie order is needed (Top-N with ties).
    const fn = this.oneOf(['ROW_NUMBER', 'ROW_NUMBER', 'RANK', 'DENSE_RANK']);
    // Ties: arrival order (README: OVER), except the deduplication keeping the last row, where the later arrival wins.
    const dedupLast = limit1 && part.length > 0 && keys.length === 1 && keys[0] === 'ts DESC' && r.appendOnly;
    let order = keys.join(', ');
    let oorder = order;
    if (fn !== 'ROW_NUMBER') {
      // no tie-breakers
    } else if (r.off) oorder += dedupLast ? ', off DESC' : ', off';
    else {
      const rest = r.cols.map((c) => c.ref).join(', ');
      order += `, ${rest}`;
      oorder += `, ${rest}`;
    }
    const outCols = r.cols.filter(() => this.pick(3) !== 0);
    const cols = outCols.length > 0 ? outCols : [r.cols[0]!];
    const withRn = this.pick(2) === 0;
    const list = [...cols.map((c) => c.ref), ...(withRn ? ['rn'] : [])].join(', ');
    const p = part.length > 0 ? `PARTITION BY ${part.join(', ')} ` : '';
    const q = this.fresh('q');
    return {
      from: `SELECT ${list} FROM (SELECT ${r.cols.map((c) => c.ref).join(', ')}, ${fn}() OVER (${p}ORDER BY ${order}) AS rn FROM ${r.from}) AS ${q} WHERE ${bound}`,
      ofrom: `SELECT ${list} FROM (SELECT *, ${fn}() OVER (${p}ORDER BY ${oorder}) AS rn FROM ${r.ofrom}) AS ${q} WHERE ${bound}`,
      cols: [...cols, ...(withRn ? [{ ref: 'rn', name: 'rn', ty: 'int' as const }] : [])],
      appendOnly: false,
      time: false,
      off: false,
      unique: false,
    };
  }

  private over(depth: number): Rel {
    const byTime = this.pick(3) !== 0;
    const r = byTime ? this.input(depth, { off: true, time: true, appendOnly: true }) : this.input(depth, { unique: true });
    const plain = r.cols.filter((c) => c.ty !== 'ts');
    const part = plain.length > 0 && this.pick(3) !== 0 ? `PARTITION BY ${this.oneOf(plain).ref} ` : '';
    let order: string;
    let oorder: string;
    let frame: string;
    let oframe: string;
    if (byTime) {
      order = 'ts';
      const f = this.pick(5);
      frame = ['ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW', 'ROWS BETWEEN 2 PRECEDING AND CURRENT ROW', "RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW", '', 'ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING'][f]!;
      oframe = frame.replace("INTERVAL '5' SECOND", '5000');
      // Rows tied on ts: ROWS frames see them in arrival order; RANGE frames (the default too) take all peers.
      oorder = frame.startsWith('ROWS') ? 'ts, off' : 'ts';
    } else {
      order = r.cols.map((c) => c.ref).join(', ');
      oorder = order;
      frame = this.oneOf(['ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW', 'ROWS BETWEEN 1 PRECEDING AND CURRENT ROW']);
      oframe = frame;
    }
    const [agg, ty] = ((): [E, Ty] => {
      const args = plain.length > 0 ? plain : [{ ref: '1', name: '1', ty: 'int' as const }];
      const num = args.filter((c) => c.ty === 'int' || c.ty === 'dbl');
      if (this.chance(3)) {
        // Navigation: they see rows in order, so ties need the arrival order and a ROWS frame (LAG and LEAD ignore the frame).
        const c = this.oneOf(args);
        if (byTime) oorder = 'ts, off';
        const nav = this.pick(6);
        // IGNORE NULLS in DuckDB's place (inside the parentheses), which sluice takes too.
        const nulls = this.chance(3) ? ' IGNORE NULLS' : '';
        if (nav <= 2) {
          frame = oframe = '';
          const f = this.oneOf(['LAG', 'LEAD']);
          const arg = nav === 0 ? '' : nav === 1 ? ', 2' : `, 1, ${c.ref}`;
          return [same(`${f}(${c.ref}${arg}${nulls})`), c.ty];
        }
        frame = oframe = this.oneOf(['ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW', 'ROWS BETWEEN 2 PRECEDING AND CURRENT ROW', 'ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING']);
        return [same(nav === 3 ? `FIRST_VALUE(${c.ref}${nulls})` : nav === 4 ? `LAST_VALUE(${c.ref}${nulls})` : `NTH_VALUE(${c.ref}, 2${nulls})`), c.ty];
      }
      switch (this.pick(5)) {
        case 0: {
          const c = num.length > 0 ? this.oneOf(num) : null;
          if (!c) return [same('COUNT(*)'), 'int'];
          return [same(`SUM(${c.ref})`), c.ty];
        }
        case 1:
          return [same('COUNT(*)'), 'int'];
        case 2: {
          const c = this.oneOf(args);
          return [same(`${this.oneOf(['MIN', 'MAX'])}(${c.ref})`), c.ty];
        }
        case 3: {
          const c = this.oneOf(args);
          return [same(`COUNT(${c.ref})`), 'int'];
        }
        default: {
          const c = num.length > 0 ? this.oneOf(num) : null;
          return c ? [same(`AVG(${c.ref})`), 'dbl'] : [same('COUNT(*)'), 'int'];
        }
      }
    })();
    const name = this.fresh('w');
    const keep = r.cols.filter(() => this.pick(2) === 0);
    const list = keep.map((c) => c.ref).join(', ');
    const pre = list ? `${list}, ` : '';
    const spec = (o: string, f: string) => `OVER (${part}ORDER BY ${o}${f ? ' ' + f : ''})`;
    // SUM of integers is BIGINT in sluice (DuckDB: HUGEINT).
    const ocall = `${agg.o} ${spec(oorder, oframe)}`;
    return {
      from: `SELECT ${pre}${agg.s} ${spec(order, frame)} AS ${name} FROM ${r.from}`,
      ofrom: `SELECT ${pre}${agg.o.startsWith('SUM') && ty === 'int' ? `(${ocall})::BIGINT` : ocall} AS ${name} FROM ${r.ofrom}`,
      cols: [...keep, { ref: name, name, ty }],
      appendOnly: false,
      time: false,
      off: false,
      unique: false,
    };
  }

  /** UNION ALL (mostly) or another set operation of two projections with the same column types. */
  private setOp(depth: number): Rel {
    const a = this.input(depth);
    const b = this.chance(4) ? a : this.input(depth);
    const n = 1 + this.pick(3);
    const types: Exclude<Ty, 'ts'>[] = [];
    const sa: string[] = [];
    const oa: string[] = [];
    const sb: string[] = [];
    const ob: string[] = [];
    const out: Col[] = [];
    for (let i = 0; i < n; i++) {
      const ty = this.oneOf(['int', 'str', 'dbl'] as const);
      types.push(ty);
      const ea = this.expr(ty, a.cols, this.pick(3));
      const eb = this.expr(ty, b.cols, this.pick(3));
      const name = this.fresh('u');
      sa.push(`${ea.s} AS ${name}`);
      oa.push(`${ea.o} AS ${name}`);
      sb.push(eb.s);
      ob.push(eb.o);
      out.push({ ref: name, name, ty });
    }
    const wa = this.where(a.cols);
    const wb = this.where(b.cols);
    const op = this.oneOf(['UNION ALL', 'UNION ALL', 'UNION ALL', 'UNION', 'INTERSECT', 'EXCEPT', 'EXCEPT ALL', 'INTERSECT ALL']);
    return {
      from: `SELECT ${sa.join(', ')} FROM ${a.from}${wa.s} ${op} SELECT ${sb.join(', ')} FROM ${b.from}${wb.s}`,
      ofrom: `SELECT ${oa.join(', ')} FROM ${a.ofrom}${wa.o} ${op} SELECT ${ob.join(', ')} FROM ${b.ofrom}${wb.o}`,
      cols: out,
      appendOnly: false,
      time: false,
      off: false,
      unique: op === 'UNION' || op === 'INTERSECT' || op === 'EXCEPT',
    };
  }

  /** The whole generated query. */
  build(): FuzzQuery {
    let q = this.query(1 + this.pick(3));
    if (this.chance(6)) {
      // ORDER BY every column: rows that tie are equal, so the multiset kept is DuckDB's whatever the tie order.
      const names = q.cols.map((c) => c.name);
      const order = names.map((n) => `${n}${this.chance(2) ? ' DESC' : ''}`).join(', ');
      const tail = ` ORDER BY ${order} LIMIT ${this.oneOf([3, 1, 10, 0])}${this.chance(2) ? ` OFFSET ${this.oneOf([1, 2, 5])}` : ''}`;
      const z = sub(q);
      q = { ...z, from: `SELECT ${names.join(', ')} FROM ${z.from} AS z${tail}`, ofrom: `SELECT ${names.join(', ')} FROM ${z.ofrom} AS z${tail}` };
    }
    // The oracle's side may carry `off`: select the view's columns by name.
    return { setup: this.setup, sql: q.from + (q.emit ?? ''), oracle: `SELECT ${q.cols.map((c) => c.name).join(', ')} FROM (${q.ofrom})` };
  }
}

/** The query a tape builds; `prefix` keeps its view names apart from the run's other queries'. */
export const generate = (tape: readonly number[], prefix: string): FuzzQuery => new QueryGen(tape, prefix).build();
