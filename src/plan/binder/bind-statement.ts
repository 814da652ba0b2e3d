/** Binds statements: checks every name and type against the catalog and plans queries. */
import type {
  AlterSource,
  QueryStatement,
  CreateSink,
  CreateSource,
  CreateView,
  Insert,
  OptionItem,
  Query,
  Statement,
  WatermarkDef,
} from '../../../grammar/ast.js';
import type { Catalog } from '../../catalog/catalog.js';
import { describeKind } from '../../catalog/catalog.js';
import type { Options, SourceColumn, SourceDef } from '../../catalog/definitions.js';
import { SluiceError, type Span } from '../../errors.js';
import { parseIntervalText } from '../../catalog/interval-text.js';
import { FIXED_SYSTEM_TABLES, logTableName, RESERVED_PREFIX } from '../../catalog/table-names.js';
import { isNumeric, type Schema, type SqlType, type Value } from '../../types.js';
import type { BoundStatement, PullQuery } from '../bound-statement.js';
import { pullQuery, pullQueryParts, selectAll } from './pull-query.js';
import { viewsOf, sourcesOf, walkPlan, type JoinNode, type LogicalPlan } from '../logical-plan.js';
import { optimize } from '../optimizer.js';
import { evaluateConstant, foldExpr } from '../rules/constant-folding.js';
import { bindExpr, coerce, mapTypeName, spanText } from './bind-expr.js';
import { bindQuery } from './bind-query.js';
import { bindAlterColumn } from './bind-alter-column.js';
import { parseStatement } from '../../../grammar/index.js';
import type { BindContext } from './context.js';
import { Scope } from './scope.js';
import { closest } from './suggest.js';
import { viewHistoryOptions } from './view-history-options.js';
import { API_SOURCE_OPTIONS, findKeyColumn } from '../../catalog/stream-key.js';

export interface StatementInput {
  readonly statement: Statement;
  /** The statement's own text (kept in the catalog). */
  readonly text: string;
  /** The text the statement's spans point into (the whole script). */
  readonly sql: string;
  /** Folder that relative paths in options resolve against. */
  readonly baseDir: string;
}

function optionsOf(items: readonly OptionItem[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const o of items) {
    if (Object.hasOwn(out, o.key)) throw new SluiceError('BIND', `option '${o.key}' is given twice`, { span: o.span });
    out[o.key] = o.value;
  }
  return out;
}

export function bindStatement(input: StatementInput, catalog: Catalog): BoundStatement {
  const { statement: s, sql } = input;
  switch (s.kind) {
    case 'CreateSource': {
      checkNotReserved(s.name);
      const def = bindCreateSource(s, input);
      // The event log of a source named `partitions` would be the fixed table sluice_log_partitions.
      if (def.connector === 'none' && FIXED_SYSTEM_TABLES.includes(logTableName(def.name))) {
        throw new SluiceError('CATALOG', `the name '${def.name}' is reserved: its event log would be sluice's table ${logTableName(def.name)}`, { span: s.name.span });
      }
      return { kind: 'CreateSource', def, mode: s, span: s.span };
    }
    case 'CreateView': {
      checkNotReserved(s.name);
      const { def, plan } = bindCreateView(s, input, catalog);
      return { kind: 'CreateView', def, plan, mode: s, span: s.span };
    }
    case 'CreateSink':
      checkNotReserved(s.name);
      return bindCreateSink(s, input, catalog);
    case 'Insert':
      checkNotSystemTable(s.table, 'INSERT into', catalog);
      return bindInsert(s, sql, catalog);
    case 'QueryStatement': {
      const pull = bindPullQuery(s, sql, catalog);
      if (pull !== null) return { kind: 'PullQuery', ...pull };
      return { kind: 'StreamQuery', plan: planQuery(s.query, sql, catalog) };
    }
    case 'Subscribe': {
      const v = catalog.get(s.name.name);
      if (!v || v.kind !== 'view' || !v.materialized) {
        throw new SluiceError('BIND', `SUBSCRIBE needs a materialized view, and '${s.name.name}' ${v ? `is a ${describeKind(v)}` : 'does not exist'}`, {
          span: s.name.span,
        });
      }
      return { kind: 'Subscribe', view: v.name };
    }
    case 'Drop': {
      checkNotSystemTable(s.name, 'DROP', catalog);
      const e = catalog.get(s.name.name);
      if (e) {
        const kind = e.kind === 'view' ? (e.materialized ? 'MATERIALIZED_VIEW' : 'VIEW') : e.kind === 'source' ? 'SOURCE' : 'SINK';
        if (kind !== s.objectKind) {
          throw new SluiceError('CATALOG', `'${e.name}' is a ${describeKind(e)}: use DROP ${kind.replace('_', ' ')}`, { span: s.name.span });
        }
      } else if (!s.ifExists) {
        throw new SluiceError('CATALOG', `${s.objectKind.replace('_', ' ').toLowerCase()} '${s.name.name}' does not exist`, { span: s.name.span });
      }
      return { kind: 'Drop', objectKind: s.objectKind, name: s.name.name, ifExists: s.ifExists, span: s.span };
    }
    case 'AlterSource':
      checkNotSystemTable(s.name, 'ALTER', catalog);
      return bindAlterSource(s, sql, catalog);
    case 'Show':
      return { kind: 'Show', what: s.what, setting: s.setting?.name, span: s.span };
    case 'Describe': {
      const name = s.name.name;
      if (!catalog.get(name) && !catalog.isSystemTable(name)) throw unknownName(name, catalog, s.name.span);
      return { kind: 'Describe', name };
    }
    case 'Explain': {
      const inner = s.statement;
      if (inner.kind === 'QueryStatement') {
        const pull = bindPullQuery(inner, sql, catalog);
        if (pull !== null) return { kind: 'Explain', pull };
        return { kind: 'Explain', plan: planQuery(inner.query, sql, catalog) };
      }
      if (inner.kind === 'CreateView') {
        return { kind: 'Explain', plan: bindCreateView(inner, { ...input, statement: inner }, catalog, true).plan };
      }
      throw new SluiceError('UNSUPPORTED', 'EXPLAIN works on queries and CREATE [MATERIALIZED] VIEW', { span: inner.span });
    }
    case 'Checkpoint':
      return { kind: 'Checkpoint' };
    case 'Set':
      return { kind: 'Set', name: s.name.name, value: s.value, span: s.span };
    case 'Rebuild': {
      const v = catalog.view(s.name.name);
      if (!v || !v.materialized) {
        throw new SluiceError('BIND', `REBUILD needs a materialized view, and '${s.name.name}' ${v ? 'is a plain view' : 'does not exist'}`, {
          span: s.name.span,
        });
      }
      return { kind: 'Rebuild', view: v.name };
    }
    case 'Update':
    case 'Delete': {
      checkNotSystemTable(s.table, s.kind.toUpperCase(), catalog);
      const what = catalog.get(s.table.name);
      const target = what ? `${describeKind(what)} '${what.name}'` : `'${s.table.name}'`;
      throw new SluiceError(
        'IMMUTABLE',
        `${s.kind.toUpperCase()} is not allowed on ${target}: events are immutable; append a correcting event instead`,
        { span: s.span },
      );
    }
  }
}

function unknownName(name: string, catalog: Catalog, span: Span): SluiceError {
  const hint = closest(name, catalog.all().map((e) => e.name));
  return new SluiceError('CATALOG', `'${name}' does not exist${hint ? `: did you mean '${hint}'?` : ''}`, { span });
}

/** Binds and optimizes a streaming query, with the statement-level checks. */
export function planQuery(q: Query, sql: string, catalog: Catalog, stateTtlMs?: number): LogicalPlan {
  const ctx: BindContext = {
    catalog,
    sql,
    ctes: new Map(),
    emit: q.emit?.mode ?? 'CHANGES',
    expanding: new Set(),
    ...(stateTtlMs !== undefined ? { stateTtlMs } : {}),
  };
  const plan = bindQuery(q, ctx).plan;
  if (q.emit?.mode === 'ON_WINDOW_CLOSE') {
    let windowed = false;
    walkPlan(plan, (n) => {
      if (n.kind === 'WindowAggregate') windowed = true;
      if (n.kind === 'Join' && n.joinType !== 'INNER' && n.joinType !== 'CROSS') {
        checkClosingOuterJoin(n, q.emit!.span);
        windowed = true;
      }
    });
    if (!windowed) {
      throw new SluiceError(
        'BIND',
        'EMIT ON WINDOW CLOSE needs a window aggregation (GROUP BY window_start, window_end over TUMBLE, HOP, SESSION or CUMULATE) or an outer interval join',
        { span: q.emit.span },
      );
    }
  }
  return optimize(plan);
}

/**
 * An outer join under EMIT ON WINDOW CLOSE pads an unmatched row once it can match nothing
 * more: each outer side needs a bound from the ON condition on the other side's event time
 * (a state_ttl bound would pad rows batch SQL matches), and both inputs must be append-only.
 */
function checkClosingOuterJoin(j: JoinNode, span: Span): void {
  const form = `EMIT ON WINDOW CLOSE with a ${j.joinType} JOIN`;
  if (!j.left.appendOnly || !j.right.appendOnly) {
    throw new SluiceError('UNSUPPORTED', `${form} needs append-only inputs (streams, not changelogs)`, { span });
  }
  const outer = j.joinType === 'LEFT' ? [0] : j.joinType === 'RIGHT' ? [1] : [0, 1];
  for (const side of outer) {
    if (j.retention[side]!.some((b) => b.ttl !== true)) continue;
    const [mine, other] = side === 0 ? ['left', 'right'] : ['right', 'left'];
    throw new SluiceError(
      'UNSUPPORTED',
      `${form} needs the ON condition to bound the ${other} side's event time by each ${mine} row's ` +
        `(e.g. ${other === 'right' ? 'r.ts BETWEEN l.ts AND l.ts' : 'l.ts BETWEEN r.ts AND r.ts'} + INTERVAL '15' MINUTE), ` +
        `so that an unmatched ${mine} row is final once the ${other} side's watermark passes the bound`,
      { span },
    );
  }
}

/** A pull query reads only materialized views, system tables and AS OF reads (no windows, no EMIT). */
export function isPullQuery(q: Query, catalog: Catalog): boolean {
  return pullQueryParts(q, catalog) !== null;
}

/** The pull query of a SELECT, its AS OF reads planned; null for a streaming query. */
export function bindPullQuery(s: QueryStatement, sql: string, catalog: Catalog): PullQuery | null {
  const parts = pullQueryParts(s.query, catalog);
  if (parts === null) return null;
  return pullQuery(s, sql, parts, catalog, (ref) => planQuery(selectAll(ref), sql, catalog));
}

/**
 * Names starting with sluice_ belong to the engine's own tables (state, logs, audit trails,
 * system tables) in the same DuckDB database: a view of such a name would overwrite one.
 */
function checkNotReserved(name: { readonly name: string; readonly span: Span }): void {
  if (name.name.toLowerCase().startsWith(RESERVED_PREFIX)) {
    throw new SluiceError('CATALOG', `the name '${name.name}' is reserved: names starting with sluice_ are sluice's own tables`, { span: name.span });
  }
}

/**
 * The engine's own tables are read-only to users: their rows are derived (late events, logs
 * of what was appended, checkpoints), and a write would make them disagree with the state.
 */
function checkNotSystemTable(name: { readonly name: string; readonly span: Span }, action: string, catalog: Catalog): void {
  if (catalog.isSystemTable(name.name)) {
    throw new SluiceError('IMMUTABLE', `${action} '${name.name}' is not allowed: system tables are read-only (sluice writes them)`, { span: name.span });
  }
}

function bindCreateSource(s: CreateSource, input: StatementInput): SourceDef {
  const seen = new Set<string>();
  const columns: SourceColumn[] = s.columns.map((c) => {
    if (seen.has(c.name.name)) throw new SluiceError('BIND', `column '${c.name.name}' is declared twice`, { span: c.name.span });
    seen.add(c.name.name);
    return { name: c.name.name, type: mapTypeName(c.type), default: null, sinceVersion: 1 };
  });
  if (columns.length === 0) throw new SluiceError('BIND', `source '${s.name.name}' needs at least one column`, { span: s.name.span });
  const options: Options = optionsOf(s.options);
  const connector = options['connector'];
  if (connector !== undefined && typeof connector !== 'string') {
    throw new SluiceError('BIND', `connector must be a string such as 'file'`, { span: s.options.find((o) => o.key === 'connector')!.span });
  }
  if (connector === undefined) checkApiSourceOptions(s, columns);
  checkRetention(s, connector);
  return {
    kind: 'source',
    name: s.name.name,
    columns,
    watermark: s.watermark ? bindWatermark(s.watermark, columns, input.sql) : null,
    connector: connector ?? 'none',
    options,
    version: 1,
    sql: input.text,
    baseDir: input.baseDir,
  };
}

/** A source fed by INSERT and the API takes only the options the engine itself reads (a connector checks its own). */
function checkApiSourceOptions(s: CreateSource, columns: readonly SourceColumn[]): void {
  for (const o of s.options) {
    if (!API_SOURCE_OPTIONS.includes(o.key)) {
      throw new SluiceError('BIND', `unknown option '${o.key}' for a source without a connector (expected one of: ${API_SOURCE_OPTIONS.join(', ')}, or a connector)`, {
        span: o.span,
      });
    }
    if (o.key === 'key' && (typeof o.value !== 'string' || !findKeyColumn(columns, o.value))) {
      const hint = typeof o.value === 'string' ? closest(o.value, columns.map((c) => c.name)) : undefined;
      throw new SluiceError('BIND', `key '${String(o.value)}' is not a column of source '${s.name.name}'${hint ? `: did you mean '${hint}'?` : ''}`, { span: o.span });
    }
  }
}

/** `retention` moves events of the log out by event time: it needs a log and a watermark. */
function checkRetention(s: CreateSource, connector: unknown): void {
  const o = s.options.find((x) => x.key === 'retention');
  if (!o) return;
  const ms = typeof o.value === 'string' ? parseIntervalText(o.value) : undefined;
  if (ms === undefined || !(ms > 0)) {
    throw new SluiceError('ARGUMENT', `option retention of source '${s.name.name}' must be a positive interval such as '30 days', not '${String(o.value)}'`, { span: o.span });
  }
  if (connector !== undefined) {
    throw new SluiceError('ARGUMENT', `option retention of source '${s.name.name}' needs an event log, but the source reads from its ${String(connector)} connector`, { span: o.span });
  }
  if (!s.watermark) {
    throw new SluiceError('ARGUMENT', `option retention of source '${s.name.name}' counts back from the watermark, but the source declares no WATERMARK`, { span: o.span });
  }
}

function bindWatermark(w: WatermarkDef, columns: readonly SourceColumn[], sql: string): { column: string; delayMs: number } {
  const schema: Schema = columns.map((c) => ({ name: c.name, type: c.type, timeAttr: true }));
  const scope = Scope.of(schema, undefined);
  const col = scope.resolve({ kind: 'ColumnRef', qualifier: undefined, name: w.column, span: w.column.span });
  if (col.type !== 'TIMESTAMP') {
    throw new SluiceError('TYPE', `WATERMARK FOR needs a TIMESTAMP column, but '${col.name}' is ${col.type}`, { span: w.column.span });
  }
  const e = foldExpr(bindExpr(w.expr, { scope, sql, clause: 'a WATERMARK definition' }));
  const bad = () =>
    new SluiceError('UNSUPPORTED', `a watermark must be '${col.name}' or '${col.name} - INTERVAL …' (bounded out-of-orderness)`, {
      span: w.expr.span,
    });
  if (e.kind === 'Column') {
    if (e.index !== col.index) throw bad();
    return { column: col.name, delayMs: 0 };
  }
  if (e.kind === 'Call' && e.fn === 'sub' && e.args[0]!.kind === 'Column' && e.args[0].index === col.index) {
    const d = evaluateConstant(e.args[1]!);
    if (e.args[1]!.type !== 'INTERVAL' || typeof d !== 'number') throw bad();
    if (d < 0) throw new SluiceError('BIND', 'the watermark delay cannot be negative', { span: w.expr.span });
    return { column: col.name, delayMs: d };
  }
  throw bad();
}

/** The view's `WITH (state_ttl = '…')` in ms; the only view option so far. */
function viewStateTtl(s: CreateView): number | undefined {
  let ttl: number | undefined;
  for (const o of s.options) {
    if (!s.materialized) {
      throw new SluiceError('BIND', `view options belong to materialized views: a plain view's query runs inside the query that reads it`, { span: o.span });
    }
    if (o.key === 'primary_key' || o.key === 'retain_history') continue; // see viewHistoryOptions
    if (o.key !== 'state_ttl') {
      throw new SluiceError('BIND', `unknown view option '${o.key}' (expected: state_ttl, primary_key, retain_history)`, { span: o.span });
    }
    const ms = typeof o.value === 'string' ? parseIntervalText(o.value) : undefined;
    if (ms === undefined || !(ms > 0)) {
      throw new SluiceError('TYPE', `state_ttl must be a positive interval such as '1 hour', got ${JSON.stringify(o.value)}`, { span: o.span });
    }
    ttl = ms;
  }
  return ttl;
}

function bindCreateView(s: CreateView, input: StatementInput, catalog: Catalog, explainOnly = false) {
  if (!explainOnly && !s.orReplace) {
    // Report the clash before planning so the message is about the name.
    const old = catalog.get(s.name.name);
    if (old && !s.ifNotExists) throw new SluiceError('CATALOG', `${describeKind(old)} '${old.name}' already exists`, { span: s.name.span });
  }
  const plan = planQuery(s.query, input.sql, catalog, viewStateTtl(s));
  walkPlan(plan, (n) => {
    if (n.kind === 'Scan' && n.until) {
      throw new SluiceError('BIND', 'a view cannot read AS OF a past point: query the view AS OF instead', { span: s.query.span });
    }
  });
  if (s.materialized) {
    const seen = new Set<string>();
    for (const c of plan.schema) {
      if (seen.has(c.name)) {
        throw new SluiceError('BIND', `column name '${c.name}' appears twice in view '${s.name.name}': give one of them an alias`, {
          span: s.query.span,
        });
      }
      seen.add(c.name);
    }
  }
  const dependsOn = [...new Set([...sourcesOf(plan), ...viewsOf(plan), ...plainViewsRead(s.query, catalog)])];
  if (dependsOn.includes(s.name.name)) {
    throw new SluiceError('BIND', `view '${s.name.name}' cannot read itself`, { span: s.name.span });
  }
  return {
    plan,
    def: {
      kind: 'view' as const,
      name: s.name.name,
      materialized: s.materialized,
      query: s.query,
      schema: plan.schema,
      appendOnly: plan.appendOnly,
      uniqueKey: plan.uniqueKey,
      ...viewHistoryOptions(s, plan.schema),
      dependsOn,
      sql: input.text,
      baseDir: input.baseDir,
    },
  };
}

/** Plain views a query names (they are inlined in the plan, but are still dependencies). */
function plainViewsRead(q: Query, catalog: Catalog): string[] {
  const out: string[] = [];
  const text = JSON.stringify(q, (k, v) => (k === 'span' ? undefined : v));
  for (const v of catalog.views()) {
    if (!v.materialized && text.includes(`"name":"${v.name}"`)) out.push(v.name);
  }
  return out;
}

function bindCreateSink(s: CreateSink, input: StatementInput, catalog: Catalog): BoundStatement {
  const from = catalog.get(s.from.name);
  if (!from) throw unknownName(s.from.name, catalog, s.from.span);
  if (from.kind === 'sink') throw new SluiceError('BIND', `a sink reads a source or a view, and '${from.name}' is a sink`, { span: s.from.span });
  const options = optionsOf(s.options);
  const connector = options['connector'];
  if (typeof connector !== 'string') {
    throw new SluiceError('BIND', `CREATE SINK needs WITH (connector = 'file' | 'postgres' | 'blackhole', …)`, { span: s.span });
  }
  return {
    kind: 'CreateSink',
    def: { kind: 'sink', name: s.name.name, from: from.name, connector, options, sql: input.text, baseDir: input.baseDir },
    mode: s,
    span: s.span,
  };
}

function bindInsert(s: Insert, sql: string, catalog: Catalog): BoundStatement {
  const target = catalog.get(s.table.name);
  if (!target) throw unknownName(s.table.name, catalog, s.table.span);
  if (target.kind !== 'source') {
    throw new SluiceError('BIND', `cannot INSERT into ${describeKind(target)} '${target.name}': only sources take events`, { span: s.table.span });
  }
  if (target.connector !== 'none') {
    throw new SluiceError('BIND', `cannot INSERT into source '${target.name}': it reads from its ${target.connector} connector`, {
      span: s.table.span,
    });
  }
  const positions = s.columns.length
    ? s.columns.map((c) => {
        const i = target.columns.findIndex((x) => x.name === c.name);
        if (i < 0) {
          const hint = closest(c.name, target.columns.map((x) => x.name));
          throw new SluiceError('BIND', `column '${c.name}' not found in ${target.name}${hint ? `: did you mean '${hint}'?` : ''}`, { span: c.span });
        }
        return i;
      })
    : target.columns.map((_, i) => i);
  const empty = new Scope([]);
  const rows = s.rows.map((r) => {
    if (r.length !== positions.length) {
      throw new SluiceError('BIND', `INSERT row has ${r.length} values but ${positions.length} columns are expected`, {
        span: r[0]?.span ?? s.span,
      });
    }
    const row: Value[] = target.columns.map((c) => c.default);
    r.forEach((e, i) => {
      const col = target.columns[positions[i]!]!;
      const b = bindExpr(e, { scope: empty, sql, clause: 'VALUES' });
      let v: Value | undefined;
      try {
        v = evaluateConstant(coerce(b, col.type));
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'OVERFLOW') throw new SluiceError('OVERFLOW', `column '${col.name}': ${err.message}`, { span: e.span });
        v = undefined;
      }
      if (v === undefined) throw new SluiceError('BIND', 'INSERT values must be constants', { span: e.span });
      if (v === null && b.type !== 'NULL' && b.type !== col.type) {
        throw new SluiceError('TYPE', `value for column '${col.name}' cannot be read as ${col.type}`, { span: e.span });
      }
      if (b.type !== 'NULL' && b.type !== col.type && !compatible(b.type, col.type)) {
        throw new SluiceError('TYPE', `column '${col.name}' is ${col.type}, got ${b.type}`, { span: e.span });
      }
      row[positions[i]!] = v;
    });
    return row;
  });
  return { kind: 'Insert', source: target.name, rows, ...(s.expectedVersion ? { expectedVersion: s.expectedVersion } : {}) };
}

function compatible(from: SqlType, to: SqlType): boolean {
  if (isNumeric(from) && isNumeric(to)) return true;
  if (from === 'VARCHAR') return true; // parsed: '2024-01-01 00:00:00' for a TIMESTAMP
  if (from === 'DATE' && to === 'TIMESTAMP') return true;
  return false;
}

function bindAlterSource(s: AlterSource, sql: string, catalog: Catalog): BoundStatement {
  const src = catalog.source(s.name.name);
  if (!src) {
    const e = catalog.get(s.name.name);
    if (e) throw new SluiceError('BIND', `ALTER SOURCE needs a source, and '${e.name}' is a ${describeKind(e)}`, { span: s.name.span });
    throw unknownName(s.name.name, catalog, s.name.span);
  }
  if (s.change) {
    const r = bindAlterColumn(src, s.change, catalog, (view, scratch) => {
      const statement = parseStatement(view.sql);
      const b = bindStatement({ statement, text: view.sql, sql: view.sql, baseDir: view.baseDir }, scratch);
      return b.kind === 'CreateView' ? b.def.schema : [];
    });
    const column = r.def.columns.find((c) => c.name === (r.change.kind === 'rename' ? r.change.to : r.change.column)) ?? src.columns.find((c) => c.name === r.change.column)!;
    return { kind: 'AlterSource', source: src.name, column, def: r.def, change: r.change, replan: r.replan };
  }
  const added = s.column!;
  const name = added.name.name;
  if (src.columns.some((c) => c.name === name)) {
    throw new SluiceError('CATALOG', `source '${src.name}' already has a column '${name}'`, { span: added.name.span });
  }
  const type = mapTypeName(added.type);
  let def: Value = null;
  if (s.default) {
    const b = bindExpr(s.default, { scope: new Scope([]), sql, clause: 'DEFAULT' });
    const v = evaluateConstant(coerce(b, type));
    if (v === undefined) throw new SluiceError('BIND', 'DEFAULT must be a constant', { span: s.default.span });
    def = v;
  }
  const column: SourceColumn = { name, type, default: def, sinceVersion: src.version + 1 };
  return { kind: 'AlterSource', source: src.name, column, def: { ...src, columns: [...src.columns, column], version: column.sinceVersion } };
}
