/**
 * Code generation for bound expressions: one fused JavaScript loop per expression tree.
 *
 * Every subexpression becomes a value and a null flag, each a JS expression over locals:
 * typed-array reads for columns, literals for constants, temporaries for computed values.
 * Null flags known statically (a column without nulls in this batch shape, a constant) are
 * the strings 'false'/'true', so null handling disappears from the code where it cannot
 * matter. Cheap operations compute unconditionally (a wrong value under a NULL flag is never
 * read); expensive ones and the lazy constructs (CASE, AND/OR, COALESCE) sit in `if` blocks.
 *
 * Strings travel as byte ranges (buffer, start, end) of a column or constant whenever
 * possible, and are decoded to JS strings only for functions that need them.
 */
import type { BoundExpr, CallExpr, CaseExpr, ScalarFn } from '../../plan/expr.js';
import type { SqlType } from '../../types.js';
import { isIntegral, isNumeric, MS_PER_DAY } from '../../types.js';
import { dateTruncFn, extractFieldFn, truncUnitMs } from '../../plan/functions.js';
import { isMoreFn, isStrict, type MoreFn } from '../../plan/more-functions.js';
import { SluiceError } from '../../errors.js';
import { isDecimal, MAX_UNSCALED, pow10, precisionOf, scaleOf, scaleOrZero, type DecimalType } from '../../decimal.js';
import { likeShape } from './like.js';
import type { RuntimeName } from './runtime.js';

type ValKind = 'num' | 'bool' | 'ref' | 'str';

/** A generated value: JS expressions for the value and its null flag. */
export interface Val {
  readonly kind: ValKind;
  /** num, bool, str: the value. */
  readonly v: string;
  /** ref: the byte buffer and range. */
  readonly buf: string;
  readonly s: string;
  readonly e: string;
  readonly nul: string;
  /** ref: an expression already holding the decoded string (constants, parameters). */
  readonly str?: string;
  /** ref: the bytes when known at compile time (literals). */
  readonly bytes?: Uint8Array;
  /** num: the number when known at compile time. */
  readonly num?: number;
}

function val(kind: ValKind, v: string, nul: string, extra: Partial<Val> = {}): Val {
  return { kind, v, buf: 'E', s: '0', e: '0', nul, ...extra };
}

function refVal(buf: string, s: string, e: string, nul: string, extra: Partial<Val> = {}): Val {
  return { kind: 'ref', v: "''", buf, s, e, nul, ...extra };
}

function kindOfType(t: SqlType): ValKind {
  return t === 'BOOLEAN' ? 'bool' : t === 'VARCHAR' ? 'ref' : 'num';
}

function nullVal(t: SqlType): Val {
  const k = kindOfType(t);
  return k === 'ref' ? refVal('E', '0', '0', 'true', { str: "''" }) : val(k, k === 'bool' ? 'false' : '0', 'true');
}

/** A number as JS source (NaN, ±Infinity and -0 included). */
function numLit(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '(-Infinity)';
  if (Object.is(x, -0)) return '(-0)';
  return x < 0 ? `(${x})` : String(x);
}

const SIMPLE = /^[A-Za-z_$][\w$]*$|^\(?-?[\d.e+]+\)?$|^true$|^false$/;

const encoder = new TextEncoder();

const CMP_OP: Record<string, string> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };
const FLIP: Record<string, string> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

/** The pieces of a generated loop, assembled into a function by {@link buildFunction}. */
export interface Emitted {
  readonly pre: readonly string[];
  readonly decls: readonly string[];
  readonly body: readonly string[];
  readonly consts: readonly unknown[];
}

/**
 * Emits the statements computing one expression per row `i`. `nullable(j)` says whether
 * input column j may hold NULLs in the batches this code will run on.
 */
export class ExprGen {
  private lines: string[] = [];
  private readonly pre: string[] = [];
  private readonly decls: string[] = [];
  private readonly consts: unknown[] = [];
  private tmp = 0;
  private readonly cols = new Set<number>();
  private readonly params = new Set<number>();
  private readonly helpers = new Set<string>();

  constructor(private readonly nullable: (column: number) => boolean) {}

  /** Generates the tree; returns its value (statements are in the body). */
  root(e: BoundExpr): Val {
    return this.gen(e);
  }

  emit(line: string): void {
    this.lines.push(line);
  }

  finish(): Emitted {
    return { pre: this.pre, decls: this.decls, body: this.lines, consts: this.consts };
  }

  // ---- plumbing -------------------------------------------------------------------------

  private temp(init: string): string {
    const name = `t${this.tmp++}`;
    this.decls.push(`let ${name} = ${init};`);
    return name;
  }

  private konst(value: unknown): string {
    const k = this.consts.length;
    this.consts.push(value);
    this.pre.push(`const k${k} = K[${k}];`);
    return `k${k}`;
  }

  private h(name: RuntimeName): string {
    if (!this.helpers.has(name)) {
      this.helpers.add(name);
      this.pre.push(`const h_${name} = H.${name};`);
    }
    return `h_${name}`;
  }

  private capture(fn: () => Val): { lines: string[]; val: Val } {
    const saved = this.lines;
    this.lines = [];
    const v = fn();
    const lines = this.lines;
    this.lines = saved;
    return { lines, val: v };
  }

  private into(lines: string[], fn: () => void): void {
    const saved = this.lines;
    this.lines = lines;
    fn();
    this.lines = saved;
  }

  /** A simple expression (identifier or literal) holding `code`, assigning a temp when needed. */
  private simple(code: string, init = '0'): string {
    if (SIMPLE.test(code)) return code;
    const t = this.temp(init);
    this.emit(`${t} = ${code};`);
    return t;
  }

  /** The OR of null flags, folded when some are static. */
  private anyNull(...flags: string[]): string {
    const live = flags.filter((f) => f !== 'false');
    if (live.includes('true')) return 'true';
    if (live.length === 0) return 'false';
    if (live.length === 1) return live[0]!;
    const t = this.temp('false');
    this.emit(`${t} = ${live.join(' || ')};`);
    return t;
  }

  /** Emits `stmt` only for rows where `nul` is false. */
  private guard(nul: string, stmt: string): void {
    if (nul === 'true') return;
    this.emit(nul === 'false' ? stmt : `if (!(${nul})) { ${stmt} }`);
  }

  /** The value as a JS string expression (decoding a byte range when needed). */
  private asStr(x: Val): string {
    if (x.kind === 'str') return x.v;
    if (x.kind !== 'ref') throw new SluiceError('INTERNAL', `expected a string value, got ${x.kind}`);
    if (x.str !== undefined) return x.str;
    const t = this.temp("''");
    this.guard(x.nul, `${t} = ${this.h('decode')}(${x.buf}, ${x.s}, ${x.e});`);
    return t;
  }

  /** A byte-range value with simple start/end expressions (they are read several times). */
  private simpleRef(x: Val): Val {
    return { ...x, s: this.simple(x.s), e: this.simple(x.e) };
  }

  // ---- leaves ---------------------------------------------------------------------------

  private gen(e: BoundExpr): Val {
    switch (e.kind) {
      case 'Literal':
        return this.literal(e.value, e.type);
      case 'Column':
        return this.column(e.index, e.type);
      case 'Param':
        return this.param(e.index, e.type);
      case 'Cast':
        return this.cast(this.gen(e.expr), e.expr.type, e.type);
      case 'Case':
        return this.caseExpr(e);
      case 'Call':
        return this.call(e);
    }
  }

  private literal(value: unknown, type: SqlType): Val {
    if (value === null || type === 'NULL') return nullVal(type);
    switch (kindOfType(type)) {
      case 'bool':
        return val('bool', value === true ? 'true' : 'false', 'false');
      case 'num':
        return val('num', numLit(value as number), 'false', { num: value as number });
      default: {
        const s = String(value);
        const bytes = encoder.encode(s);
        return refVal(this.konst(bytes), '0', String(bytes.length), 'false', { str: JSON.stringify(s), bytes });
      }
    }
  }

  private column(j: number, type: SqlType): Val {
    if (type === 'NULL') return nullVal(type);
    if (!this.cols.has(j)) {
      this.cols.add(j);
      this.pre.push(`const c${j} = cols[${j}], a${j} = c${j}.values;`);
      if (type === 'VARCHAR') this.pre.push(`const o${j} = c${j}.valueOffsets;`);
      if (this.nullable(j)) this.pre.push(`const m${j} = c${j}.nullBitmap;`);
    }
    const nul = this.nullable(j) ? `(((m${j}[i >> 3] >> (i & 7)) & 1) === 0)` : 'false';
    switch (kindOfType(type)) {
      case 'bool':
        return val('bool', `(((a${j}[i >> 3] >> (i & 7)) & 1) === 1)`, nul);
      case 'num':
        return val('num', `a${j}[i]`, nul);
      default:
        return refVal(`a${j}`, `o${j}[i]`, `o${j}[i + 1]`, nul);
    }
  }

  private param(p: number, type: SqlType): Val {
    if (type === 'NULL') return nullVal(type);
    const name = `p${p}`;
    if (!this.params.has(p)) {
      this.params.add(p);
      this.pre.push(`const ${name} = params[${p}], ${name}n = ${name} === null || ${name} === undefined;`);
      switch (kindOfType(type)) {
        case 'bool':
          this.pre.push(`const ${name}v = ${name} === true;`);
          break;
        case 'num':
          // Number(): a bigint or Date given for a BIGINT or TIMESTAMP parameter still works.
          if (isDecimal(type)) this.pre.push(`const ${name}v = ${name}n ? 0 : H.decimalParam(${name}, '${type}');`);
          else this.pre.push(`const ${name}v = ${name}n ? 0 : Number(${name});`);
          break;
        default:
          this.pre.push(`const ${name}s = ${name}n ? '' : String(${name}), ${name}b = H.encode(${name}s);`);
      }
    }
    if (type === 'VARCHAR') return refVal(`${name}b`, '0', `${name}b.length`, `${name}n`, { str: `${name}s` });
    return val(kindOfType(type), `${name}v`, `${name}n`);
  }

  // ---- casts ----------------------------------------------------------------------------

  private cast(x: Val, from: SqlType, to: SqlType): Val {
    if (from === to) return x;
    if (from === 'NULL' || x.nul === 'true') return nullVal(to);
    if (to === 'VARCHAR') return this.castToText(x, from);
    if (isDecimal(to) && (isDecimal(from) || from === 'INT' || from === 'BIGINT')) return this.rescale(x, scaleOrZero(from), to, from);
    if (isDecimal(from) && to === 'DOUBLE') return val('num', scaleOf(from) === 0 ? x.v : `(${x.v} / ${pow10(scaleOf(from))})`, x.nul);
    if (isDecimal(from) && (to === 'INT' || to === 'BIGINT')) {
      // Half away from zero, as DuckDB casts a DECIMAL to an integer.
      const t = this.temp('0');
      this.emit(`${t} = ${this.h('divRound')}(${x.v}, ${pow10(scaleOf(from))});`);
      return val('num', t, to === 'INT' ? this.anyNull(x.nul, `!(${t} >= -2147483648 && ${t} <= 2147483647)`) : x.nul);
    }
    if (isDecimal(to) || isDecimal(from)) {
      if (from === 'VARCHAR' || from === 'DOUBLE' || to === 'BOOLEAN' || from === 'BOOLEAN') return this.slowCast(x, from, to);
      throw new SluiceError('INTERNAL', `cannot compile CAST from ${from} to ${to}`);
    }
    if (from === 'VARCHAR') return this.slowCast(x, from, to);
    if (from === 'BOOLEAN' && isNumeric(to)) return val('num', `(${x.v} ? 1 : 0)`, x.nul);
      const nul = this.temp('false');
      const out = this.temp(to === 'BOOLEAN' ? 'false' : '0');
    if (isNumeric(from) && to === 'BOOLEAN') return val('bool', `(${x.v} !== 0)`, x.nul);
    if (isNumeric(from) && isNumeric(to)) {
      if (to === 'DOUBLE' || (to === 'BIGINT' && from === 'INT')) return x;
      const t = this.temp('0');
      if (from === 'DOUBLE') {
        const a = this.simple(x.v);
        // Half to even, as DuckDB casts (2.5 -> 2, 3.5 -> 4).
        this.emit(`${t} = ${a} - Math.floor(${a}) === 0.5 ? 2 * Math.round(${a} / 2) + 0 : Math.round(${a}) + 0;`);
      } else this.emit(`${t} = ${x.v};`);
      // Same bounds as castValue: INT's range, and ±2^63 for BIGINT (which also drops NaN and ±inf).
      const range =
        to === 'INT' ? `!(${t} >= -2147483648 && ${t} <= 2147483647)` : `!(${t} > -9223372036854775808 && ${t} < 9223372036854775808)`;
      return val('num', t, this.anyNull(x.nul, range));
    }
    if (from === 'TIMESTAMP' && to === 'DATE') return val('num', `Math.floor(${x.v} / ${MS_PER_DAY})`, x.nul);
    if (from === 'DATE' && to === 'TIMESTAMP') return val('num', `(${x.v} * ${MS_PER_DAY})`, x.nul);
    throw new SluiceError('INTERNAL', `cannot compile CAST from ${from} to ${to}`);
  }

  /** A cast through castValue per row (text parsing and the rare conversions); null when it gives null. */
  private slowCast(x: Val, from: SqlType, to: SqlType): Val {
    const t = this.temp('null');
    const nul = this.temp('false');
    const zero = to === 'BOOLEAN' ? 'false' : '0';
    const out = this.temp(zero);
    const arg = from === 'VARCHAR' ? this.asStr(x) : x.v;
    const call = `${t} = ${this.h('cast')}(${arg}, '${from}', '${to}'); ${nul} = ${t} === null; ${out} = ${nul} ? ${zero} : ${t};`;
    if (x.nul === 'false') this.emit(call);
    else this.emit(`if (${x.nul}) { ${nul} = true; } else { ${call} }`);
    return val(kindOfType(to), out, nul);
  }

  /**
   * An exact number (unscaled at `from` digits) to DECIMAL `to`: a multiplication by a
   * constant power of ten, or a rounding division, then the range check (the type's digits
   * and 2^53), which throws OVERFLOW.
   */
  private rescale(x: Val, from: number, to: DecimalType, fromType: SqlType): Val {
    const s = scaleOf(to);
    const bound = Math.min(pow10(precisionOf(to)) - 1, MAX_UNSCALED);
    let code: string;
    if (s === from) code = x.v;
    else if (s > from) code = `${x.v} * ${pow10(s - from)}`;
    else code = `${this.h('divRound')}(${x.v}, ${pow10(from - s)})`;
    const t = this.simple(code);
    // Widening casts the binder inserts always fit: skip the check when the source's digits cannot exceed the target's.
    const wide = fromType === 'INT' ? 10 : fromType === 'BIGINT' ? 16 : isDecimal(fromType) ? precisionOf(fromType) - from : 99;
    // Rounding down a scale can carry into one more digit (99.95 → 100.0).
    if (wide + s + (s < from ? 1 : 0) <= Math.min(precisionOf(to), 15)) return val('num', t, x.nul);
    // Same scale into 16+ digits: the bound is 2^53, which every BIGINT and DECIMAL value already keeps.
    if (s === from && precisionOf(to) >= 16) return val('num', t, x.nul);
    this.guard(x.nul, `if (!(${t} <= ${bound} && ${t} >= -${bound})) ${this.h('decimalOverflow')}(${t}, '${fromType}', '${to}');`);
    return val('num', t, x.nul);
  }

  /** A DECIMAL arithmetic result `t` checked to stay exact (within 2^53 unscaled). */
  private checked(t: string, nul: string, type: DecimalType, op: string): void {
    this.guard(nul, `if (!(${t} <= ${MAX_UNSCALED} && ${t} >= -${MAX_UNSCALED})) ${this.h('decimalOverflow')}(${t}, '${op}', '${type}');`);
  }

  private castToText(x: Val, from: SqlType): Val {
    if (x.kind === 'ref' || x.kind === 'str') return x;
    let code: string;
    if (isDecimal(from)) {
      const t = this.temp("''");
      this.guard(x.nul, `${t} = ${this.h('formatDecimal')}(${x.v}, ${scaleOf(from)});`);
      return val('str', t, x.nul);
    }
    switch (from) {
      case 'BOOLEAN':
        return val('str', `(${x.v} ? 'true' : 'false')`, x.nul);
      case 'INT':
      case 'BIGINT':
        code = `'' + ${x.v}`;
        break;
      case 'DOUBLE':
        code = `${this.h('formatDouble')}(${x.v})`;
        break;
      case 'TIMESTAMP':
        code = `${this.h('formatTimestamp')}(${x.v})`;
        break;
      case 'DATE':
        code = `${this.h('formatDate')}(${x.v})`;
        break;
      case 'INTERVAL':
        code = `${this.h('formatInterval')}(${x.v})`;
        break;
      default:
        throw new SluiceError('INTERNAL', `cannot compile CAST from ${from} to VARCHAR`);
    }
    const t = this.temp("''");
    if (from === 'TIMESTAMP' || from === 'DATE') {
      // Event times repeat from row to row (many events per millisecond, sorted streams):
      // format a value once and reuse the text while it repeats. Not for DOUBLE, where -0
      // and 0 compare equal but print differently.
      const last = this.temp('NaN');
      this.guard(x.nul, `if (${x.v} !== ${last}) { ${last} = ${x.v}; ${t} = ${code}; }`);
    } else this.guard(x.nul, `${t} = ${code};`);
    return val('str', t, x.nul);
  }

  // ---- CASE and COALESCE ----------------------------------------------------------------

  /**
   * The result variables of a lazy construct (CASE, COALESCE): `out` appends to a branch's
   * lines the copy of its value into them. Strings stay byte ranges unless a branch computed a
   * JS string, then every branch is decoded.
   */
  private resultSlots(type: SqlType, branches: readonly Val[]): { out: (lines: string[], x: Val, nul: string) => void; result: (nul: string) => Val } {
    let kind = kindOfType(type);
    if (kind === 'ref' && branches.some((b) => b.kind === 'str' && b.nul !== 'true')) kind = 'str';
    if (kind === 'ref') {
      const b = this.temp('E');
      const s = this.temp('0');
      const e = this.temp('0');
      return {
        out: (lines, x, nul) => lines.push(`${b} = ${x.buf}; ${s} = ${x.s}; ${e} = ${x.e}; ${nul}`),
        result: (nul) => refVal(b, s, e, nul),
      };
    }
    const r = this.temp(kind === 'bool' ? 'false' : kind === 'str' ? "''" : '0');
    return {
      out: (lines, x, nul) => {
        if (kind === 'str') this.into(lines, () => this.emit(`${r} = ${this.asStr(x)}; ${nul}`));
        else lines.push(`${r} = ${x.v}; ${nul}`);
      },
      result: (nul) => val(kind, r, nul),
    };
  }

  private caseExpr(c: CaseExpr): Val {
    const conds = c.whens.map((w) => this.capture(() => this.gen(w.when)));
    const thens = c.whens.map((w) => this.capture(() => this.gen(w.then)));
    const otherwise = this.capture(() => (c.else === null ? nullVal(c.type) : this.gen(c.else)));
    const slots = this.resultSlots(c.type, [...thens.map((t) => t.val), otherwise.val]);
    const rn = this.temp('false');
    const setNull = (x: Val): string => `${rn} = ${x.nul};`;
    for (const t of thens) slots.out(t.lines, t.val, setNull(t.val));
    slots.out(otherwise.lines, otherwise.val, setNull(otherwise.val));
    // Nest from the last WHEN outwards: each condition runs only when the previous failed.
    let tail = otherwise.lines;
    for (let k = c.whens.length - 1; k >= 0; k--) {
      const cond = conds[k]!;
      const test = cond.val.nul === 'false' ? cond.val.v : `!(${cond.val.nul}) && ${cond.val.v}`;
      tail = [...cond.lines, `if (${test}) {`, ...thens[k]!.lines, '} else {', ...tail, '}'];
    }
    for (const l of tail) this.emit(l);
    return slots.result(rn);
  }

  private coalesce(e: CallExpr): Val {
    const parts: { lines: string[]; val: Val }[] = [];
    for (const a of e.args) {
      const p = this.capture(() => this.gen(a));
      if (p.val.nul === 'true') continue;
      parts.push(p);
      if (p.val.nul === 'false') break;
    }
    if (parts.length === 0) return nullVal(e.type);
    const slots = this.resultSlots(e.type, parts.map((p) => p.val));
    const rn = this.temp('false');
    const last = parts[parts.length - 1]!;
    slots.out(last.lines, last.val, `${rn} = ${last.val.nul};`);
    let tail = last.lines;
    for (let k = parts.length - 2; k >= 0; k--) {
      const p = parts[k]!;
      const chosen: string[] = [];
      slots.out(chosen, p.val, `${rn} = false;`);
      tail = [...p.lines, `if (!(${p.val.nul})) {`, ...chosen, '} else {', ...tail, '}'];
    }
    for (const l of tail) this.emit(l);
    return slots.result(rn);
  }

  // ---- calls ----------------------------------------------------------------------------

  private call(e: CallExpr): Val {
    switch (e.fn) {
      case 'and':
      case 'or':
        return this.logic(e.fn, e.args);
      case 'coalesce':
        return this.coalesce(e);
      default:
        break;
    }
    const args = e.args.map((a) => this.gen(a));
    const types = e.args.map((a) => a.type);
    return this.strict(e, e.fn, args, types);
  }

  /** Functions that compute from all their operands (NULL in, NULL out unless noted). */
  private strict(e: CallExpr, fn: ScalarFn, args: readonly Val[], types: readonly SqlType[]): Val {
    const [a, b] = args as [Val, Val];
    switch (fn) {
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'mod':
        return this.arith(fn, a, b, e.type);
      case 'neg': {
        if (a.nul === 'true') return nullVal(e.type);
        const t = this.simple(e.type === 'DOUBLE' ? `-${a.v}` : `0 - ${a.v}`);
        return val('num', t, e.type === 'INT' ? this.anyNull(a.nul, `${t} === 2147483648`) : a.nul);
      }
      case 'eq':
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        const nul = this.anyNull(a.nul, b.nul);
        if (nul === 'true') return nullVal('BOOLEAN');
        return val('bool', this.simple(this.compare(fn, a, b, types[0]!), 'false'), nul);
      }
      case 'is_distinct':
      case 'is_not_distinct': {
        const same = a.nul === 'true' || b.nul === 'true' ? 'false' : this.compare('eq', a, b, types[0]!);
        const code =
          a.nul === 'false' && b.nul === 'false'
            ? same
            : `((${a.nul}) ? (${b.nul}) : (!(${b.nul}) && ${same}))`;
        return val('bool', this.simple(fn === 'is_distinct' ? `!(${code})` : code, 'false'), 'false');
      }
      case 'not':
        return val('bool', `!(${a.v})`, a.nul);
      case 'is_null':
        return val('bool', a.nul, 'false');
      case 'is_not_null':
        return val('bool', a.nul === 'true' ? 'false' : a.nul === 'false' ? 'true' : `!(${a.nul})`, 'false');
      case 'in':
        return this.inList(a, args.slice(1), e.args.slice(1), types[0]!);
      case 'like':
        return this.like(a, b);
      case 'nullif': {
        if (a.nul === 'true') return nullVal(e.type);
        const hit = b.nul === 'true' ? 'false' : this.compare('eq', a, b, types[0]!);
        const nul = this.anyNull(a.nul, b.nul === 'false' ? hit : `(!(${b.nul}) && ${hit})`);
        return { ...a, nul };
      }
      case 'concat_op': {
        const nul = this.anyNull(...args.map((x) => x.nul));
        if (nul === 'true') return nullVal('VARCHAR');
        const t = this.temp("''");
        const parts = args.map((x) => this.asStr(x));
        this.guard(nul, `${t} = ${parts.join(' + ')};`);
        return val('str', t, nul);
      }
      case 'concat': {
        const t = this.temp("''");
        const parts = args
          .filter((x) => x.nul !== 'true')
          .map((x) => (x.nul === 'false' ? this.asStr(x) : `((${x.nul}) ? '' : ${this.asStr(x)})`));
        this.emit(`${t} = ${parts.length === 0 ? "''" : parts.join(' + ')};`);
        return val('str', t, 'false');
      }
      case 'lower':
      case 'upper':
      case 'trim':
      case 'ltrim':
      case 'rtrim':
        return this.textCall(fn, args, e.type);
      case 'substring':
        return this.textCall('substr', args, e.type);
      case 'length': {
        if (a.nul === 'true') return nullVal(e.type);
        const t = this.temp('0');
        const code = a.kind === 'ref' ? `${this.h('utf8Length')}(${a.buf}, ${a.s}, ${a.e})` : `${this.h('cpLength')}(${a.v})`;
        this.guard(a.nul, `${t} = ${code};`);
        return val('num', t, a.nul);
      }
      case 'abs': {
        const t = this.simple(`Math.abs(${a.v})`);
        return val('num', t, e.type === 'INT' ? this.anyNull(a.nul, `${t} === 2147483648`) : a.nul);
      }
      case 'floor':
      case 'ceil':
        if (isDecimal(e.type)) {
          const from = scaleOrZero(types[0]!);
          if (from === 0) return a;
          const t = this.temp('0');
          this.guard(a.nul, `${t} = ${this.h(fn === 'floor' ? 'divFloor' : 'divCeil')}(${a.v}, ${pow10(from)});`);
          return val('num', t, a.nul);
        }
        return isIntegral(e.type) ? a : val('num', this.simple(`Math.${fn}(${a.v})`), a.nul);
      case 'round':
        if (isDecimal(e.type)) {
          const nul = this.anyNull(a.nul, args[1]?.nul ?? 'false');
          if (nul === 'true') return nullVal(e.type);
          const t = this.temp('0');
          const digits = args[1] === undefined ? '0' : args[1].v;
          this.guard(nul, `${t} = ${this.h('roundDecimal')}(${a.v}, ${scaleOrZero(types[0]!)}, ${digits}, ${scaleOf(e.type)});`);
          return val('num', t, nul);
        }
        return this.round(a, args[1], e.type);
      case 'extract':
        return this.extract(a, b, types[1]!);
      case 'date_trunc':
        return this.dateTrunc(a, b);
      case 'split_part':
        if (a.kind === 'ref' && b.bytes !== undefined && args[2]!.num !== undefined) return this.splitPart(a, b.bytes, args[2]!.num);
        return this.rowFunction(fn, args, e.type);
      default:
        if (isMoreFn(fn)) return this.rowFunction(fn, args, e.type);
        throw new SluiceError('INTERNAL', `cannot compile function ${fn}`);
    }
  }

  private arith(fn: 'add' | 'sub' | 'mul' | 'div' | 'mod', a: Val, b: Val, type: SqlType): Val {
    let nul = this.anyNull(a.nul, b.nul);
    if (nul === 'true') return nullVal(type);
    const op = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' }[fn];
    if (isDecimal(type)) {
      // Unscaled integers: the binder has brought + - % operands to the result's scale, and
      // the scales of a product add up, so each is one float operation, exact until 2^53.
      if (fn === 'mod') {
        if (b.num === 0) return nullVal(type);
        if (b.num === undefined) nul = this.anyNull(nul, `${b.v} === 0`);
        return val('num', this.simple(`(${a.v} % ${b.v}) + 0`), nul);
      }
      const t = this.simple(`${a.v} ${op} ${b.v}`);
      this.checked(t, nul, type, op);
      return val('num', t, nul);
    }
    const integral = isIntegral(type);
    let code = `${a.v} ${op} ${b.v}`;
    // -0 is not an integer value: `x + 0` turns it into 0 where a product or remainder makes it.
    if (integral && fn === 'mul') code = `(${code}) + 0`;
    if (integral && fn === 'mod') {
      // A double remainder is a libm call; when both sides fit 32 bits an integer one is
      // several times faster (`| 0` also turns -0 into 0).
      const x = this.simple(a.v);
      const y = this.simple(b.v);
      const yInt = b.num !== undefined && (b.num | 0) === b.num;
      const test = yInt ? `${x} === (${x} | 0)` : `${x} === (${x} | 0) && ${y} === (${y} | 0)`;
      code = `(${test}) ? ((${x} | 0) % ${yInt ? y : `(${y} | 0)`}) | 0 : (${x} % ${y}) + 0`;
    }
    if (fn === 'div' || fn === 'mod') {
      if (b.num !== undefined) {
        if (b.num === 0) return nullVal(type);
      } else nul = this.anyNull(nul, `${b.v} === 0`);
    }
    const t = this.simple(code);
    if (type === 'INT') nul = this.anyNull(nul, `(${t} | 0) !== ${t}`);
    return val('num', t, nul);
  }

  /** A JS boolean expression comparing two non-null values of one SQL type. */
  private compare(op: string, a: Val, b: Val, type: SqlType): string {
    if (type === 'VARCHAR') return this.compareText(op, a, b);
    if (type === 'BOOLEAN') return op === 'eq' || op === 'ne' ? `(${a.v} ${CMP_OP[op]} ${b.v})` : `((${a.v} ? 1 : 0) ${CMP_OP[op]} (${b.v} ? 1 : 0))`;
    const x = this.simple(a.v);
    const y = this.simple(b.v);
    const sym = CMP_OP[op]!;
    if (type !== 'DOUBLE') return `(${x} ${sym} ${y})`;
    // DOUBLE follows DuckDB: NaN equals NaN and is greater than every other number.
    const xConst = a.num !== undefined && a.num === a.num;
    const yConst = b.num !== undefined && b.num === b.num;
    if (op === 'eq' || op === 'ne') {
      if (xConst || yConst) return `(${x} ${sym} ${y})`;
      const eq = `(${x} === ${y} || (${x} !== ${x} && ${y} !== ${y}))`;
      return op === 'eq' ? eq : `!${eq}`;
    }
    switch (op) {
      case 'lt':
        if (yConst) return `(${x} < ${y})`;
        return xConst ? `(${x} < ${y} || ${y} !== ${y})` : `(${x} < ${y} || (${y} !== ${y} && ${x} === ${x}))`;
      case 'le':
        return yConst ? `(${x} <= ${y})` : `(${x} <= ${y} || ${y} !== ${y})`;
      case 'gt':
        if (xConst) return `(${x} > ${y})`;
        return yConst ? `(${x} > ${y} || ${x} !== ${x})` : `(${x} > ${y} || (${x} !== ${x} && ${y} === ${y}))`;
      default:
        return xConst ? `(${x} >= ${y})` : `(${x} >= ${y} || ${x} !== ${x})`;
    }
  }

  private compareText(op: string, a: Val, b: Val): string {
    if (a.kind === 'ref' && b.kind === 'ref') {
      if (a.bytes !== undefined && b.bytes === undefined) return this.compareText(FLIP[op]!, b, a);
      const x = this.simpleRef(a);
      if (b.bytes !== undefined && (op === 'eq' || op === 'ne')) {
        const eq = this.equalsConstant(x, b.bytes);
        return op === 'eq' ? eq : `!${eq}`;
      }
      const y = this.simpleRef(b);
      if (op === 'eq' || op === 'ne') {
        const eq = `${this.h('eqRef')}(${x.buf}, ${x.s}, ${x.e}, ${y.buf}, ${y.s}, ${y.e})`;
        return op === 'eq' ? eq : `!${eq}`;
      }
      return `(${this.h('cmpRef')}(${x.buf}, ${x.s}, ${x.e}, ${y.buf}, ${y.s}, ${y.e}) ${CMP_OP[op]} 0)`;
    }
    const x = this.asStr(a);
    const y = this.asStr(b);
    if (op === 'eq' || op === 'ne') return `(${x} ${CMP_OP[op]} ${y})`;
    return `(${this.h('cmpStr')}(${x}, ${y}) ${CMP_OP[op]} 0)`;
  }

  /** Byte equality of a range with constant bytes: inline for short constants. */
  private equalsConstant(x: Val, bytes: Uint8Array): string {
    const len = `${x.e} - ${x.s} === ${bytes.length}`;
    if (bytes.length <= 12) {
      const parts = [len];
      bytes.forEach((c, k) => parts.push(`${x.buf}[${x.s}${k === 0 ? '' : ` + ${k}`}] === ${c}`));
      return `(${parts.join(' && ')})`;
    }
    return `(${len} && ${this.h('startsWith')}(${x.buf}, ${x.s}, ${x.e}, ${this.konst(bytes)}))`;
  }

  private logic(fn: 'and' | 'or', exprs: readonly BoundExpr[]): Val {
    // AND: the first FALSE decides (even beside NULLs); OR: the first TRUE. Later operands
    // are evaluated only when still needed.
    const decisive = fn === 'and' ? 'false' : 'true';
    const r = this.temp(fn === 'and' ? 'true' : 'false');
    const rn = this.temp('false');
    this.emit(`${r} = ${fn === 'and' ? 'true' : 'false'}; ${rn} = false;`);
    const build = (k: number): string[] => {
      if (k === exprs.length) return [];
      const { lines, val: x } = this.capture(() => this.gen(exprs[k]!));
      if (x.nul === 'true') return [...lines, `${rn} = true;`, ...build(k + 1)];
      const hit = fn === 'and' ? `!(${x.v})` : x.v;
      const test = x.nul === 'false' ? hit : `!(${x.nul}) && ${hit}`;
      const onMiss = x.nul === 'false' ? [] : [`if (${x.nul}) ${rn} = true;`];
      return [...lines, `if (${test}) { ${r} = ${decisive}; ${rn} = false; } else {`, ...onMiss, ...build(k + 1), '}'];
    };
    for (const l of build(0)) this.emit(l);
    return val('bool', r, rn);
  }

  private inList(a: Val, items: readonly Val[], exprs: readonly BoundExpr[], type: SqlType): Val {
    if (a.nul === 'true') return nullVal('BOOLEAN');
    const found = this.temp('false');
    let sawNull: string;
    if (exprs.every((x) => x.kind === 'Literal')) {
      const values = exprs.map((x) => (x as { value: unknown }).value).filter((v) => v !== null);
      sawNull = values.length < exprs.length ? `!${found}` : 'false';
      this.emit(`${found} = ${this.constantMembership(a, values, type)};`);
    } else {
      const nulls = this.temp('false');
      this.emit(`${found} = false; ${nulls} = false;`);
      for (const it of items) {
        if (it.nul === 'true') {
          this.emit(`${nulls} = true;`);
          continue;
        }
        const cmp = this.capture(() => val('bool', this.compare('eq', a, it, type), 'false'));
        const test = [...cmp.lines, `if (${cmp.val.v}) ${found} = true;`];
        if (it.nul === 'false') this.emit(`if (!${found}) { ${test.join(' ')} }`);
        else this.emit(`if (${it.nul}) ${nulls} = true; else if (!${found}) { ${test.join(' ')} }`);
      }
      sawNull = `(!${found} && ${nulls})`;
    }
    return val('bool', found, this.anyNull(a.nul, sawNull));
  }

  /** A JS expression testing membership of `a` in a constant list (a Set for long lists). */
  private constantMembership(a: Val, values: readonly unknown[], type: SqlType): string {
    if (values.length === 0) return 'false';
    if (type === 'VARCHAR') {
      const strings = values.map(String);
      if (a.kind === 'ref' && strings.length <= 8) {
        const x = this.simpleRef(a);
        return `(${strings.map((s) => this.equalsConstant(x, encoder.encode(s))).join(' || ')})`;
      }
      const s = this.asStr(a);
      if (strings.length <= 8) return `(${strings.map((v) => `${s} === ${JSON.stringify(v)}`).join(' || ')})`;
      return `${this.konst(new Set(strings))}.has(${s})`;
    }
    if (type === 'BOOLEAN') {
      const t = values.includes(true);
      const f = values.includes(false);
      return t && f ? 'true' : t ? `(${a.v} === true)` : `(${a.v} === false)`;
    }
    const x = this.simple(a.v);
    const nums = values as number[];
    if (nums.length <= 8 && nums.every((v) => v === v)) return `(${nums.map((v) => `${x} === ${numLit(v)}`).join(' || ')})`;
    return `${this.konst(new Set(nums))}.has(${x})`;
  }

  private like(a: Val, p: Val): Val {
    const nul = this.anyNull(a.nul, p.nul);
    if (nul === 'true') return nullVal('BOOLEAN');
    const t = this.temp('false');
    if (p.bytes === undefined) {
      this.guard(nul, `${t} = ${this.h('likeStr')}(${this.asStr(a)}, ${this.asStr(p)});`);
      return val('bool', t, nul);
    }
    const pattern = new TextDecoder().decode(p.bytes);
    const shape = likeShape(pattern);
    if (shape.kind === 'any') return val('bool', 'true', nul);
    if (a.kind === 'str') {
      const s = a.v;
      const lit = shape.kind === 'general' ? '' : JSON.stringify(shape.literal);
      const code = {
        exact: `${s} === ${lit}`,
        prefix: `${s}.startsWith(${lit})`,
        suffix: `${s}.endsWith(${lit})`,
        contains: `${s}.includes(${lit})`,
        general: `${this.h('likeStr')}(${s}, ${JSON.stringify(pattern)})`,
      }[shape.kind];
      this.guard(nul, `${t} = ${code};`);
      return val('bool', t, nul);
    }
    const x = this.simpleRef(a);
    let code: string;
    if (shape.kind === 'general') {
      const pb = this.konst(p.bytes);
      code = `${this.h('likeBytes')}(${x.buf}, ${x.s}, ${x.e}, ${pb}, 0, ${p.bytes.length})`;
    } else {
      const lit = encoder.encode(shape.literal);
      if (shape.kind === 'exact') code = this.equalsConstant(x, lit);
      else {
        const helper = shape.kind === 'prefix' ? 'startsWith' : shape.kind === 'suffix' ? 'endsWith' : 'contains';
        code = `${this.h(helper)}(${x.buf}, ${x.s}, ${x.e}, ${this.konst(lit)})`;
      }
    }
    this.guard(nul, `${t} = ${code};`);
    return val('bool', t, nul);
  }

  /** A function of the wider library, evaluated per row on JS values. */
  private rowFunction(fn: MoreFn, args: readonly Val[], type: SqlType): Val {
    const nul = isStrict(fn) ? this.anyNull(...args.map((x) => x.nul)) : 'false';
    if (nul === 'true') return nullVal(type);
    const parts = args.map((x) => {
      const v = x.kind === 'ref' || x.kind === 'str' ? this.asStr(x) : x.v;
      return x.nul === 'false' ? v : `((${x.nul}) ? null : ${v})`;
    });
    const r = this.temp('null');
    this.guard(nul, `${r} = ${this.h('more')}('${fn}', [${parts.join(', ')}]);`);
    const kind = kindOfType(type);
    const t = this.temp(kind === 'bool' ? 'false' : kind === 'num' ? '0' : "''");
    this.emit(`${t} = ${r} === null ? ${kind === 'bool' ? 'false' : kind === 'num' ? '0' : "''"} : ${r};`);
    return val(kind === 'ref' ? 'str' : kind, t, this.anyNull(nul, `${r} === null`));
  }

  /** SPLIT_PART of bytes by a constant delimiter and part: a range of the input, nothing decoded. */
  private splitPart(a: Val, delimiter: Uint8Array, part: number): Val {
    if (a.nul === 'true') return nullVal('VARCHAR');
    const x = this.simpleRef(a);
    const s = this.temp('0');
    const e = this.temp('0');
    this.guard(a.nul, `${s} = ${this.h('splitPartStart')}(${x.buf}, ${x.s}, ${x.e}, ${this.konst(delimiter)}, ${numLit(part)}); ${e} = ${this.h('splitPartEnd')}();`);
    return refVal(x.buf, s, e, a.nul);
  }

  private textCall(helper: 'lower' | 'upper' | 'trim' | 'ltrim' | 'rtrim' | 'substr', args: readonly Val[], type: SqlType): Val {
    const nul = this.anyNull(...args.map((x) => x.nul));
    if (nul === 'true') return nullVal(type);
    const t = this.temp("''");
    const parts = args.map((x, k) => (k === 0 || helper !== 'substr' ? this.asStr(x) : x.v));
    const call = `${t} = ${this.h(helper)}(${parts.join(', ')});`;
    if (args.slice(1).every((x) => x.num !== undefined || x.bytes !== undefined)) {
      // A pure function of its first argument alone: repeated inputs (a timestamp's text,
      // a low-cardinality column) reuse the last result.
      const last = this.temp('null');
      this.guard(nul, `if (${parts[0]} !== ${last}) { ${last} = ${parts[0]}; ${call} }`);
    } else this.guard(nul, call);
    return val('str', t, nul);
  }

  private round(a: Val, digits: Val | undefined, type: SqlType): Val {
    const integral = isIntegral(type);
    if (digits === undefined || (digits.num === 0 && digits.nul === 'false')) {
      if (integral) return a;
      const x = this.simple(a.v);
      return val('num', this.simple(`(${x} < 0 ? -Math.round(-${x}) : Math.round(${x}))`), a.nul);
    }
    const nul = this.anyNull(a.nul, digits.nul);
    if (nul === 'true') return nullVal(type);
    const t = this.temp('0');
    this.emit(`${t} = ${this.h('roundDigits')}(${a.v}, ${digits.v}, ${integral});`);
    return val('num', t, type === 'INT' ? this.anyNull(nul, `(${t} | 0) !== ${t}`) : nul);
  }

  private extract(field: Val, x: Val, argType: SqlType): Val {
    const nul = this.anyNull(field.nul, x.nul);
    if (nul === 'true') return nullVal('DOUBLE');
    const t = this.temp('0');
    if (field.bytes !== undefined) {
      const name = new TextDecoder().decode(field.bytes);
      const f = extractFieldFn(name, argType);
      if (f === undefined) return nullVal('DOUBLE');
      this.emit(`${t} = ${name.toLowerCase() === 'epoch' ? `${x.v} / 1000` : `${this.konst(f)}(${x.v})`};`);
      return val('num', t, nul);
    }
    const r = this.temp('null');
    const n2 = this.temp('false');
    this.emit(`${r} = ${this.h('extract')}(${this.asStr(field)}, ${x.v}, '${argType}'); ${n2} = ${r} === null; ${t} = ${n2} ? 0 : ${r};`);
    return val('num', t, this.anyNull(nul, n2));
  }

  private dateTrunc(unit: Val, x: Val): Val {
    const nul = this.anyNull(unit.nul, x.nul);
    if (nul === 'true') return nullVal('TIMESTAMP');
    const t = this.temp('0');
    if (unit.bytes !== undefined) {
      const name = new TextDecoder().decode(unit.bytes);
      const f = dateTruncFn(name);
      if (f === undefined) return nullVal('TIMESTAMP');
      const width = truncUnitMs(name);
      const v = this.simple(x.v);
      if (width !== undefined) this.emit(`${t} = ${v} - (((${v} % ${width}) + ${width}) % ${width});`);
      else this.emit(`${t} = ${this.konst(f)}(${v});`);
      return val('num', t, nul);
    }
    const r = this.temp('null');
    const n2 = this.temp('false');
    this.emit(`${r} = ${this.h('dateTrunc')}(${this.asStr(unit)}, ${x.v}); ${n2} = ${r} === null; ${t} = ${n2} ? 0 : ${r};`);
    return val('num', t, this.anyNull(nul, n2));
  }
}

