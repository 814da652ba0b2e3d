/**
 * A tiny binder for tests: builds BoundExprs over a fixed schema, typing calls with
 * resolveFunction and inserting the casts it asks for, as the real binder does.
 */
import type { BoundExpr } from '../../../src/plan/expr.js';
import type { Schema, SqlType, Value } from '../../../src/types.js';
import { commonTypeOf, parseTimestamp, resolveFunction } from '../../../src/plan/functions.js';

/** The schema of the differential tests. */
export const SCHEMA: Schema = [
  { name: 'i', type: 'INT' },
  { name: 'b', type: 'BIGINT' },
  { name: 'd', type: 'DOUBLE' },
  { name: 's', type: 'VARCHAR' },
  { name: 'f', type: 'BOOLEAN' },
  { name: 't', type: 'TIMESTAMP' },
];

export const C = {
  i: { kind: 'Column', index: 0, name: 'i', type: 'INT' },
  b: { kind: 'Column', index: 1, name: 'b', type: 'BIGINT' },
  d: { kind: 'Column', index: 2, name: 'd', type: 'DOUBLE' },
  s: { kind: 'Column', index: 3, name: 's', type: 'VARCHAR' },
  f: { kind: 'Column', index: 4, name: 'f', type: 'BOOLEAN' },
  t: { kind: 'Column', index: 5, name: 't', type: 'TIMESTAMP' },
} as const satisfies Record<string, BoundExpr>;

/** A literal; the type defaults from the JS value (integers INT, other numbers DOUBLE). */
export function L(value: Value, type?: SqlType): BoundExpr {
  const t: SqlType =
    type ??
    (value === null
      ? 'NULL'
      : typeof value === 'string'
        ? 'VARCHAR'
        : typeof value === 'boolean'
          ? 'BOOLEAN'
          : Number.isInteger(value) && Math.abs(value) < 2 ** 31
            ? 'INT'
            : 'DOUBLE');
  return { kind: 'Literal', value, type: t };
}

export function ts(text: string): BoundExpr {
  const v = parseTimestamp(text);
  if (v === null) throw new Error(`bad timestamp ${text}`);
  return { kind: 'Literal', value: v, type: 'TIMESTAMP' };
}

export function interval(ms: number): BoundExpr {
  return { kind: 'Literal', value: ms, type: 'INTERVAL' };
}

export function param(index: number, type: SqlType): BoundExpr {
  return { kind: 'Param', index, type };
}

export function cast(e: BoundExpr, type: SqlType): BoundExpr {
  return e.type === type ? e : { kind: 'Cast', expr: e, type };
}

/** A call typed by resolveFunction (operator names as ScalarFn, functions upper case). */
export function fn(name: string, ...args: BoundExpr[]): BoundExpr {
  const r = resolveFunction(name, args.map((a) => a.type));
  if (r === undefined) throw new Error(`unknown function ${name}`);
  if (typeof r === 'string') throw new Error(r);
  return { kind: 'Call', fn: r.fn, args: args.map((a, k) => cast(a, r.argTypes[k]!)), type: r.type };
}

/** Searched CASE; branches are cast to their common type. */
export function caseWhen(whens: readonly [BoundExpr, BoundExpr][], otherwise: BoundExpr | null = null): BoundExpr {
  const types = whens.map((w) => w[1].type);
  if (otherwise) types.push(otherwise.type);
  const t = commonTypeOf(types);
  if (t === undefined) throw new Error('CASE branches have no common type');
  return {
    kind: 'Case',
    whens: whens.map(([w, th]) => ({ when: cast(w, 'BOOLEAN'), then: cast(th, t) })),
    else: otherwise === null ? null : cast(otherwise, t),
    type: t,
  };
}
