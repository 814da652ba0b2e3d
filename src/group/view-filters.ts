/**
 * What a group query needs of a view, so members send only that: for a query over one view
 * whose WHERE pins columns to values (`SELECT * FROM totals WHERE customer = ?`, the usual
 * read-model lookup), each member exports only the rows with those values instead of the
 * view's whole contents. The filter is a prefilter: the asking member still runs the whole
 * query over what arrives, so it only has to keep every row the query can return. It keeps
 * them exactly because the members' DuckDB compares the same column with the same literal
 * text, or the same parameter value bound the same way.
 */
import { parse } from '../../grammar/index.js';
import type { Expr, Query } from '../../grammar/ast.js';

/** `column = value`: the value is a literal's SQL text, or the query's parameter `param` (from 0). */
export type ColumnFilter = { readonly column: string } & ({ readonly literal: string } | { readonly param: number });

/** The filters of each view (lower-case name) the query reads. */
export type ViewFilters = Readonly<Record<string, readonly ColumnFilter[]>>;

/** The equalities `sql` pins on the one view in `views` it reads; empty when it is not such a query (or sluice cannot parse it). */
export function viewFilters(sql: string, views: readonly string[]): ViewFilters {
  let q: Query;
  try {
    const script = parse(sql);
    const s = script.statements[0];
    if (script.statements.length !== 1 || s?.kind !== 'QueryStatement') return {};
    q = s.query;
  } catch {
    return {};
  }
  const body = q.body;
  if (q.with.length > 0 || body.kind !== 'Select' || body.from?.kind !== 'TableRef' || body.where === undefined) return {};
  const from = body.from;
  const view = from.name.name.toLowerCase();
  if (from.asOf !== undefined || from.systemTime !== undefined || !views.includes(view)) return {};
  const names = new Set([view, from.alias?.name.toLowerCase()].filter((n) => n !== undefined));
  const out: ColumnFilter[] = [];
  for (const c of conjuncts(body.where)) {
    if (c.kind !== 'Binary' || c.op !== '=') continue;
    for (const [col, val] of [
      [c.left, c.right],
      [c.right, c.left],
    ] as const) {
      if (col.kind !== 'ColumnRef' || (col.qualifier !== undefined && !names.has(col.qualifier.name.toLowerCase()))) continue;
      const value = valueOf(val, sql);
      if (value !== null) {
        out.push({ column: col.name.name, ...value });
        break;
      }
    }
  }
  return out.length === 0 ? {} : { [view]: out };
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'Binary' && e.op === 'AND' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

function valueOf(e: Expr, sql: string): { literal: string } | { param: number } | null {
  switch (e.kind) {
    case 'Param':
      return { param: e.index };
    case 'NumberLit':
    case 'StringLit':
    case 'BoolLit':
      return { literal: sql.slice(e.span.start, e.span.end) };
    default:
      return null;
  }
}

/**
 * The WHERE clause of a view's filters as DuckDB SQL with `?` parameters, and their values,
 * for the columns the view has (a name that is not one — an alias of the SELECT list, say —
 * filters nothing); null when none applies.
 */
export function filterClause(
  filters: readonly ColumnFilter[],
  columns: readonly string[],
  params: readonly unknown[],
  quote: (name: string) => string,
): { where: string; params: unknown[] } | null {
  const terms: string[] = [];
  const values: unknown[] = [];
  for (const f of filters) {
    const column = columns.find((c) => c.toLowerCase() === f.column.toLowerCase());
    if (column === undefined) continue;
    if ('literal' in f) terms.push(`${quote(column)} = ${f.literal}`);
    else {
      if (f.param >= params.length) continue;
      terms.push(`${quote(column)} = ?`);
      values.push(params[f.param]);
    }
  }
  return terms.length === 0 ? null : { where: terms.join(' AND '), params: values };
}

/** A query parameter as it crosses NATS in JSON, keeping what DuckDB binds it as (a Date a TIMESTAMP, a bigint a HUGEINT). */
export type WireParam = string | number | boolean | null | { readonly date: number } | { readonly bigint: string };

/** The parameters as JSON values, or undefined for one that has no JSON form here (its filters are then left out). */
export function toWire(params: readonly unknown[]): (WireParam | undefined)[] {
  return params.map((v) => {
    if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean') return v ?? null;
    if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
    if (typeof v === 'bigint') return { bigint: String(v) };
    if (v instanceof Date && Number.isFinite(v.getTime())) return { date: v.getTime() };
    return undefined;
  });
}

export function fromWire(params: readonly (WireParam | undefined)[]): unknown[] {
  return params.map((v) => (v !== null && typeof v === 'object' ? ('date' in v ? new Date(v.date) : BigInt(v.bigint)) : v));
}

/** The filters whose parameters made it onto the wire. */
export function wireable(filters: ViewFilters, wire: readonly (WireParam | undefined)[]): ViewFilters {
  const out: Record<string, ColumnFilter[]> = {};
  for (const [view, fs] of Object.entries(filters)) {
    const kept = fs.filter((f) => !('param' in f) || wire[f.param] !== undefined);
    if (kept.length > 0) out[view] = kept;
  }
  return out;
}
