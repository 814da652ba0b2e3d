/**
 * Helpers for the grammar tests: strip spans from an AST so whole trees can be compared,
 * and build expected nodes tersely. Optional fields left out of a builder's overrides are
 * `undefined`, which `toEqual` treats like a missing key.
 */
import { parseStatement } from '../../grammar/index.js';
import type * as A from '../../grammar/ast.js';

const SPAN_KEYS = new Set(['span', 'nameSpan', 'fnSpan']);

/** A deep copy of `value` without any `span`, `nameSpan` or `fnSpan`. */
export function strip<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => strip(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!SPAN_KEYS.has(k)) out[k] = strip(v);
    return out as T;
  }
  return value;
}

/** The span-stripped AST of one statement. */
export function stmt(sql: string): A.Statement {
  return strip(parseStatement(sql));
}

/** The span-stripped query of one query statement. */
export function query(sql: string): A.Query {
  const s = stmt(sql);
  if (s.kind !== 'QueryStatement') throw new Error(`not a query: ${s.kind}`);
  return s.query;
}

/** The span-stripped FROM item of a one-block query. */
export function fromOf(sql: string): A.FromItem | undefined {
  const body = query(sql).body;
  if (body.kind !== 'Select') throw new Error('not a SELECT block');
  return body.from;
}

/** The span-stripped first select-item expression of a one-block query. */
export function firstExpr(sql: string): A.Expr {
  const body = query(sql).body;
  if (body.kind !== 'Select' || body.items[0]?.kind !== 'ExprItem') throw new Error('no expression item');
  return body.items[0].expr;
}

// Builders of span-less nodes -------------------------------------------------------------

export const id = (name: string, quoted = false) => ({ name, quoted });
export const col = (a: string, b?: string) =>
  b === undefined ? { kind: 'ColumnRef', qualifier: undefined, name: id(a) } : { kind: 'ColumnRef', qualifier: id(a), name: id(b) };
export const num = (value: number, text = String(value)) => ({
  kind: 'NumberLit',
  value,
  text,
  isInteger: /^\d+$/.test(text),
});
export const str = (value: string) => ({ kind: 'StringLit', value });
export const bool = (value: boolean) => ({ kind: 'BoolLit', value });
export const nul = () => ({ kind: 'NullLit' });
export const param = (index: number) => ({ kind: 'Param', index });
export const bin = (op: A.BinaryOp, left: unknown, right: unknown) => ({ kind: 'Binary', op, left, right });
export const unary = (op: '-' | '+' | 'NOT', operand: unknown) => ({ kind: 'Unary', op, operand });
export const interval = (ms: number, text: string) => ({ kind: 'IntervalLit', ms, text });
export const type = (name: A.TypeName['name'], params: number[] = []) => ({ kind: 'TypeName', name, params });
export const fn = (name: string, args: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  kind: 'FuncCall',
  name,
  args,
  distinct: false,
  star: false,
  over: undefined,
  ...extra,
});
export const item = (expr: unknown, alias?: string) => ({ kind: 'ExprItem', expr, alias: alias === undefined ? undefined : id(alias) });
export const star = (qualifier?: string) => ({ kind: 'StarItem', qualifier: qualifier === undefined ? undefined : id(qualifier) });
export const table = (name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'TableRef',
  name: id(name),
  alias: undefined,
  asOf: undefined,
  ...extra,
});
export const select = (extra: Record<string, unknown>) => ({
  kind: 'Select',
  distinct: false,
  items: [],
  from: undefined,
  where: undefined,
  groupBy: [],
  having: undefined,
  ...extra,
});
export const q = (body: unknown, extra: Record<string, unknown> = {}) => ({
  kind: 'Query',
  with: [],
  body,
  orderBy: [],
  limit: undefined,
  emit: undefined,
  ...extra,
});
export const join = (joinType: A.JoinType, left: unknown, right: unknown, extra: Record<string, unknown> = {}) => ({
  kind: 'Join',
  joinType,
  left,
  right,
  on: undefined,
  using: [],
  ...extra,
});
export const orderItem = (expr: unknown, desc = false, nulls?: 'FIRST' | 'LAST') => ({ kind: 'OrderItem', expr, desc, nulls });
