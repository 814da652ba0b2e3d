/** Prints bound expressions as SQL-like text for EXPLAIN and messages. */
import { formatDecimal, isDecimal, scaleOf } from '../decimal.js';
import { formatTimestamp, formatDate } from './functions.js';
import type { BoundExpr, ScalarFn } from './expr.js';
import type { Schema, Value, SqlType } from '../types.js';

const INFIX: Partial<Record<ScalarFn, string>> = {
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  mod: '%',
  eq: '=',
  ne: '<>',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  and: 'AND',
  or: 'OR',
  concat_op: '||',
  like: 'LIKE',
  is_distinct: 'IS DISTINCT FROM',
  is_not_distinct: 'IS NOT DISTINCT FROM',
};

/** A duration in the largest unit that divides it: 10s, 5m, 1h, 250ms. */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [n, u] of units) if (ms !== 0 && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

export function formatLiteral(v: Value, type: SqlType): string {
  if (v === null) return 'NULL';
  switch (type) {
    case 'VARCHAR':
      return `'${String(v).replace(/'/g, "''")}'`;
    case 'TIMESTAMP':
      return `TIMESTAMP '${formatTimestamp(v as number)}'`;
    case 'DATE':
      return `DATE '${formatDate(v as number)}'`;
    case 'INTERVAL':
      return `INTERVAL '${formatDuration(v as number)}'`;
    case 'BOOLEAN':
      return v ? 'TRUE' : 'FALSE';
    default:
      return isDecimal(type) ? formatDecimal(v as number, scaleOf(type)) : String(v);
  }
}

export function formatExpr(e: BoundExpr, input: Schema): string {
  switch (e.kind) {
    case 'Column': {
      const name = input[e.index]?.name ?? `#${e.index}`;
      return e.qualifier !== undefined ? `${e.qualifier}.${name}` : name;
    }
    case 'Literal':
      return formatLiteral(e.value, e.type);
    case 'Param':
      return `?${e.index + 1}`;
    case 'Cast':
      return `CAST(${formatExpr(e.expr, input)} AS ${e.type})`;
    case 'Case':
      return `CASE ${e.whens.map((w) => `WHEN ${formatExpr(w.when, input)} THEN ${formatExpr(w.then, input)}`).join(' ')}${
        e.else ? ` ELSE ${formatExpr(e.else, input)}` : ''
      } END`;
    case 'Call': {
      const a = e.args.map((x) => formatExpr(x, input));
      const infix = INFIX[e.fn];
      if (infix && a.length === 2) return `(${a[0]} ${infix} ${a[1]})`;
      switch (e.fn) {
        case 'not':
          return `(NOT ${a[0]})`;
        case 'neg':
          return `(- ${a[0]})`;
        case 'is_null':
          return `(${a[0]} IS NULL)`;
        case 'is_not_null':
          return `(${a[0]} IS NOT NULL)`;
        case 'in':
          return `(${a[0]} IN (${a.slice(1).join(', ')}))`;
        default:
          return `${e.fn.toUpperCase()}(${a.join(', ')})`;
      }
    }
  }
}
