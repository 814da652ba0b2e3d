/**
 * Point lookups: a pull query that reads a GROUP BY view's row by its whole key
 * (`SELECT n, total FROM per_key WHERE k = ?`) is answered from the aggregate's in-memory
 * state, without DuckDB: no flush of the view's table, no checkpoint, no round trip, so the
 * cost of read-your-writes follows the lookup, not the view. The answer is what DuckDB would
 * read once the view's table caught up (the differential test holds both to it). Anything
 * else, or a value that does not name a key exactly, goes to DuckDB as before.
 */
import type { Expr, Ident, Select, Statement } from '../../grammar/ast.js';
import { columnsOf, readValue, type ChangeBatch } from '../exec/batch.js';
import type { Emitter } from '../exec/operator.js';
import { FilterOperator } from '../exec/operators/filter.js';
import { GroupAggregateOperator } from '../exec/operators/group-aggregate.js';
import { ProjectOperator } from '../exec/operators/project.js';
import type { AggregateNode, FilterNode, LogicalPlan, ProjectNode } from '../plan/logical-plan.js';
import type { SqlType, Value } from '../types.js';
import type { EngineState } from './engine-state.js';
import { toApiValue, type Row } from './rows.js';

/** Where a key's value comes from: a `?` parameter or a literal of the text. */
type KeyArg = { readonly param: number } | { readonly literal: number | string };

/** A pull query compiled to a point lookup on one view's aggregate. */
export interface PointLookup {
  readonly view: string;
  /** The view's plan it was compiled against: a rebuilt or replaced view compiles again. */
  readonly plan: LogicalPlan;
  /** The aggregate's operator id in the view's pipeline. */
  readonly aggregateId: string;
  /** Per aggregate key (in its order): where the value comes from, and the key's type. */
  readonly keys: readonly { readonly arg: KeyArg; readonly type: SqlType }[];
  /** Takes the group's row as the aggregate emits it; returns the view's row, or null when a HAVING-like filter drops it. */
  readonly above: (row: ChangeBatch) => ChangeBatch | null;
  /** The result's columns: view column index and name. */
  readonly output: readonly { readonly index: number; readonly name: string; readonly type: SqlType }[];
  /** The `?` parameters of the text: another count goes to DuckDB, which says what is wrong. */
  readonly params: number;
}

/** Key types whose API values compare as DuckDB compares them (others go to DuckDB). */
const EXACT_TYPES = new Set<SqlType>(['BIGINT', 'INT', 'DOUBLE', 'VARCHAR', 'BOOLEAN']);

/** The point lookup a statement is, on the views running now; null when it is not one. */
export function compilePointLookup(statement: Statement, s: EngineState): PointLookup | null {
  if (statement.kind !== 'QueryStatement') return null;
  const q = statement.query;
  if (q.with.length > 0 || q.orderBy.length > 0 || q.limit !== undefined || q.offset !== undefined || q.emit !== undefined) return null;
  const body = q.body;
  if (body.kind !== 'Select' || body.distinct || body.groupBy.length > 0 || body.having !== undefined || body.where === undefined) return null;
  const from = body.from;
  if (from?.kind !== 'TableRef' || from.asOf !== undefined || from.systemTime !== undefined) return null;
  const rt = s.views.get(from.name.name) ?? s.views.get(from.name.name.toLowerCase());
  const plan = rt?.pipeline?.plan;
  if (!rt || !plan || s.catalog.source(from.name.name) !== undefined) return null;
  const schema = rt.def.schema;
  const qualifiers = new Set([(from.alias ?? from.name).name.toLowerCase()]);
  const column = (name: Ident, qualifier: Ident | undefined): number => {
    if (qualifier !== undefined && !qualifiers.has(qualifier.name.toLowerCase())) return -1;
    const lower = name.name.toLowerCase();
    const at = schema.findIndex((c) => c.name.toLowerCase() === lower);
    return at >= 0 && schema.findIndex((c, i) => i > at && c.name.toLowerCase() === lower) < 0 ? at : -1;
  };

  const output: { index: number; name: string; type: SqlType }[] = [];
  for (const item of body.items) {
    if (item.kind === 'StarItem') {
      if (item.qualifier !== undefined && !qualifiers.has(item.qualifier.name.toLowerCase())) return null;
      schema.forEach((c, index) => output.push({ index, name: c.name, type: c.type }));
      continue;
    }
    if (item.expr.kind !== 'ColumnRef') return null;
    const index = column(item.expr.name, item.expr.qualifier);
    if (index < 0) return null;
    output.push({ index, name: item.alias?.name ?? schema[index]!.name, type: schema[index]!.type });
  }

  const pinned = new Map<number, KeyArg>();
  for (const term of conjuncts(body.where)) {
    if (term.kind !== 'Binary' || term.op !== '=') return null;
    const [ref, value] = term.left.kind === 'ColumnRef' ? [term.left, term.right] : [term.right, term.left];
    if (ref.kind !== 'ColumnRef') return null;
    const index = column(ref.name, ref.qualifier);
    const arg = keyArg(value);
    if (index < 0 || arg === null || pinned.has(index)) return null;
    pinned.set(index, arg);
  }

  // Down from the view's output to the aggregate, through projections of plain columns and filters.
  const chain: (ProjectNode | FilterNode)[] = [];
  let node = plan;
  let at = new Map(pinned);
  while (node.kind === 'Project' || node.kind === 'Filter') {
    if (node.kind === 'Project') {
      const next = new Map<number, KeyArg>();
      for (const [i, arg] of at) {
        const e = node.exprs[i]!;
        if (e.kind !== 'Column') return null;
        next.set(e.index, arg);
      }
      at = next;
    }
    chain.push(node);
    node = node.input;
  }
  if (node.kind !== 'Aggregate' || node.keys.length === 0 || at.size !== node.keys.length) return null;
  // A group state_ttl dropped still has its row in the view: only the table answers.
  if (node.idleTtlMs !== undefined) return null;
  const agg: AggregateNode = node;
  const keys: { arg: KeyArg; type: SqlType }[] = [];
  for (let k = 0; k < agg.keys.length; k++) {
    const arg = at.get(k);
    const type = agg.input.schema[agg.keys[k]!]!.type;
    if (arg === undefined || !EXACT_TYPES.has(type)) return null;
    keys.push({ arg, type });
  }
  const params = keys.filter((k) => 'param' in k.arg).length;
  return { view: rt.def.name, plan, aggregateId: '0' + '.0'.repeat(chain.length), keys, above: statelessAbove(chain), output, params };
}

/**
 * Answers a compiled lookup with `params`: the rows (none or one), or null when it cannot be
 * answered here (the view changed, or a value is not exactly a key's type).
 */
export function runPointLookup(l: PointLookup, s: EngineState, params: readonly unknown[]): Row[] | null {
  const rt = s.views.get(l.view);
  const pipeline = rt?.pipeline;
  if (!pipeline || pipeline.plan !== l.plan || params.length !== l.params) return null;
  const op = pipeline.operators.find((o) => o.id === l.aggregateId)?.op;
  if (!(op instanceof GroupAggregateOperator)) return null;
  const key: Value[] = [];
  for (const { arg, type } of l.keys) {
    const v = 'param' in arg ? params[arg.param] : arg.literal;
    const exact = exactKey(v, type);
    if (exact === undefined) return null;
    key.push(exact);
  }
  const own = op.currentRow(key);
  const row = own === null ? null : l.above(own);
  if (row === null || row.length === 0) return [];
  const cols = columnsOf(row);
  const out: Row = {};
  for (const c of l.output) out[c.name] = toApiValue(readValue(cols[c.index]!, 0, c.type), c.type);
  return [out];
}

/** `value` as a key of `type` when it compares equal to exactly the stored keys DuckDB would match, else undefined. */
function exactKey(v: unknown, type: SqlType): Value | undefined {
  switch (type) {
    case 'VARCHAR':
      return typeof v === 'string' ? v : undefined;
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : undefined;
    case 'DOUBLE':
      // -0 and NaN hash apart from the values DuckDB takes them as equal to.
      return typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0) ? v : undefined;
    case 'INT':
      // Outside 32 bits it names no INT key (and would wrap in the key table).
      return typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? v : undefined;
    default:
      return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
  }
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'Binary' && e.op === 'AND' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

function keyArg(e: Expr): KeyArg | null {
  if (e.kind === 'Param') return { param: e.index };
  if (e.kind === 'NumberLit') return { literal: e.value };
  if (e.kind === 'StringLit') return { literal: e.value };
  return null;
}

/** The stateless operators above the aggregate, run on one row: the view's row or null. */
function statelessAbove(chain: readonly (ProjectNode | FilterNode)[]): (row: ChangeBatch) => ChangeBatch | null {
  let result: ChangeBatch | null = null;
  let out: Emitter = { push: (b) => void (result = b), watermark: () => undefined };
  // Built from the top down, each operator pushing into the one above it.
  for (const node of chain) {
    const op = node.kind === 'Project' ? new ProjectOperator(out, node.exprs, node.schema, []) : new FilterOperator(out, node.predicate, []);
    out = { push: (b) => op.process(b), watermark: () => undefined };
  }
  const entry = out;
  return (row) => {
    result = chain.length === 0 ? row : null;
    if (chain.length > 0) entry.push(row);
    return result;
  };
}
