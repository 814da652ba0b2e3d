/**
 * Pull queries: SELECTs that read only materialized views, system tables, view change
 * histories (`CHANGES(v)`), plain views over those and time-travel reads (`x AS OF …`),
 * answered by DuckDB over the views' tables. The query's own text is handed to DuckDB with
 * each `CHANGES(v)` rewritten to its audit trail, each plain view to its query, and each
 * `AS OF` read to a temporary table the engine fills first by replaying the log, so joins,
 * ORDER BY and aggregates over past contents are DuckDB's.
 */
import type { ChangesRef, Expr, Query, QueryStatement, TableRef } from '../../../grammar/ast.js';
import { tokenize } from '../../../grammar/index.js';
import type { Catalog } from '../../catalog/catalog.js';
import { archivedLogViewName, auditTableName, logTableName, sourceOffsetsTableName } from '../../catalog/table-names.js';
import { SluiceError, type TextOrigin } from '../../errors.js';
import type { AsOfRead, PullQuery } from '../bound-statement.js';
import type { LogicalPlan } from '../logical-plan.js';
import { visitExpr } from './bind-expr.js';

/** What a pull query reads besides view tables: CHANGES(v), AS OF reads and plain views. */
export interface PullParts {
  readonly changes: readonly ChangesRef[];
  readonly asOf: readonly TableRef[];
  /** Plain views: DuckDB has no table of theirs, so their query is inlined. */
  readonly views: readonly TableRef[];
  /** Event logs (`sluice_log_<source>`): read with their Parquet archive (retention). */
  readonly logs: readonly TableRef[];
}

/** The prefix of the temporary tables AS OF reads are materialized into (sluice_ is reserved). */
const AS_OF_TABLE = 'sluice_as_of_';

/** A pull query's parts; null for a streaming query (one that reads a source live, a window, EMIT). */
export function pullQueryParts(q: Query, catalog: Catalog): PullParts | null {
  const r = visit(q, catalog);
  if (r.parts.changes.length > 0 && !r.pull) {
    throw new SluiceError('UNSUPPORTED', 'CHANGES(v) can only be read by a pull query (one over materialized views and system tables)', {
      span: r.parts.changes[0]!.span,
    });
  }
  return r.pull && r.readsSomething ? r.parts : null;
}

/** Walks a query: whether DuckDB can answer it, whether it reads anything, and its parts (spans in its own text). */
function visit(q: Query, catalog: Catalog): { pull: boolean; readsSomething: boolean; parts: PullParts } {
  const changes: ChangesRef[] = [];
  const asOf: TableRef[] = [];
  const views: TableRef[] = [];
  const logs: TableRef[] = [];
  const ctes = new Set<string>();
  let pull = true;
  let readsSomething = false;
  const visitQuery = (x: Query): void => {
    if (x.emit) pull = false;
    for (const c of x.with) {
      visitQuery(c.query);
      ctes.add(c.name.name);
    }
    visitSet(x.body);
  };
  const visitSet = (b: Query['body']): void => {
    if (b.kind === 'SetOp') {
      visitSet(b.left);
      visitSet(b.right);
      return;
    }
    if (b.from) visitFrom(b.from);
    // Subqueries in expressions read tables too: a source there makes the query streaming.
    const exprs = [...b.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : [])), ...(b.where ? [b.where] : []), ...b.groupBy, ...(b.having ? [b.having] : [])];
    for (const e of exprs) visitSubqueries(e);
  };
  const visitSubqueries = (e: Expr): void =>
    visitExpr(e, (x) => {
      if (x.kind === 'Exists' || x.kind === 'InSubquery' || x.kind === 'ScalarSubquery') visitQuery(x.query);
    });
  const visitFrom = (f: NonNullable<Extract<Query['body'], { kind: 'Select' }>['from']>): void => {
    switch (f.kind) {
      case 'TableRef': {
        const name = f.name.name;
        if (f.asOf) {
          // A past point of a source or view is a bounded set of rows: any query can read it.
          const e = ctes.has(name) ? undefined : catalog.get(name);
          if (e?.kind === 'source' || e?.kind === 'view') {
            asOf.push(f);
            readsSomething = true;
          } else pull = false;
          return;
        }
        if (ctes.has(name)) return;
        readsSomething = true;
        if (catalog.isSystemTable(name)) {
          if (catalog.sources().some((d) => d.connector === 'none' && logTableName(d.name) === name)) logs.push(f);
          return;
        }
        const e = catalog.get(name);
        if (!e || e.kind !== 'view') pull = false;
        else if (!e.materialized) {
          if (visit(e.query, catalog).pull) views.push(f);
          else pull = false;
        }
        return;
      }
      case 'SubqueryRef':
        return visitQuery(f.query);
      case 'Join':
        if (f.on) visitSubqueries(f.on);
        visitFrom(f.left);
        return visitFrom(f.right);
      case 'ChangesRef': {
        readsSomething = true;
        const e = catalog.get(f.name.name);
        if (!e || e.kind !== 'view' || !e.materialized) {
          throw new SluiceError('BIND', `CHANGES(${f.name.name}) needs a materialized view`, { span: f.name.span });
        }
        changes.push(f);
        return;
      }
      case 'WindowTvf':
      case 'MatchRecognize':
        pull = false;
        return;
    }
  };
  visitQuery(q);
  return { pull, readsSomething, parts: { changes, asOf, views, logs } };
}

/**
 * The pull query of a statement: its text for DuckDB (the statement's own text, `sql` being
 * the text its spans point into) and the AS OF reads to materialize, each planned by `plan`.
 */
export function pullQuery(s: QueryStatement, sql: string, parts: PullParts, catalog: Catalog, plan: (ref: TableRef) => LogicalPlan): PullQuery {
  const edits = [...changesEdits(parts.changes, sql), ...viewEdits(parts.views, catalog), ...logEdits(parts.logs), ...nullTreatmentEdits(sql, s.span.start, s.span.end)];
  const asOf: AsOfRead[] = parts.asOf.map((ref, i) => {
    const table = `${AS_OF_TABLE}${i}`;
    // The alias keeps the name the rest of the query qualifies the read's columns with.
    edits.push({ start: ref.span.start, end: ref.span.end, text: `${quoted(table)} AS ${quoted(ref.alias?.name ?? ref.name.name)}` });
    return { table, plan: plan(ref), view: ref.name.name };
  });
  return { ...rewrite(sql, s.span.start, s.span.end, edits), asOf };
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * `LAG(x) IGNORE NULLS` written as the standard places it, moved inside the parentheses where
 * DuckDB takes it (`LAG(x IGNORE NULLS)`). The text parsed as sluice SQL, so a `)` followed
 * by IGNORE|RESPECT NULLS can only be a navigation call's.
 */
function nullTreatmentEdits(sql: string, from: number, to: number): Edit[] {
  const tokens = tokenize(sql.slice(from, to)).filter((t) => t.kind !== 'comment');
  const edits: Edit[] = [];
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [paren, word, nulls] = [tokens[i]!, tokens[i + 1]!, tokens[i + 2]!];
    if (paren.text !== ')' || !/^(ignore|respect)$/i.test(word.text) || !/^nulls$/i.test(nulls.text)) continue;
    edits.push({ start: from + paren.start, end: from + nulls.end, text: ` ${word.text} ${nulls.text})` });
  }
  return edits;
}

/**
 * Each `CHANGES(v)` as a subquery over the view's audit trail (seq, op, changed_at, source
 * and offset of the event behind the change, source_offsets, then the view's columns).
 */
function changesEdits(changes: readonly ChangesRef[], sql: string): Edit[] {
  return changes.map((c) => {
    const close = sql.indexOf(')', c.name.span.end);
    const audit = quoted(auditTableName(c.name.name));
    // Each change takes the source offsets recorded at or before its seq (ASOF).
    const offsets = `(SELECT first_seq, map(list(source ORDER BY source), list("offset" ORDER BY source)) AS source_offsets FROM ${quoted(sourceOffsetsTableName(c.name.name))} GROUP BY first_seq)`;
    const text =
      `(SELECT a.sluice_seq AS seq, ['+I', '-U', '+U', '-D'][a.sluice_op + 1] AS op, a.sluice_changed_at AS changed_at, ` +
      `a.sluice_source AS source, a.sluice_offset AS "offset", o.source_offsets, ` +
      `a.* EXCLUDE (sluice_seq, sluice_op, sluice_changed_at, sluice_source, sluice_offset) FROM ${audit} a ASOF LEFT JOIN ${offsets} o ON a.sluice_seq >= o.first_seq)`;
    return { start: c.span.start, end: close + 1, text };
  });
}

/** Each plain view as its query (itself rewritten), under the name the query reads it by. */
function viewEdits(views: readonly TableRef[], catalog: Catalog): Edit[] {
  return views.map((ref) => {
    const def = catalog.view(ref.name.name)!;
    const parts = visit(def.query, catalog).parts;
    const edits = [...changesEdits(parts.changes, def.sql), ...viewEdits(parts.views, catalog), ...logEdits(parts.logs)];
    const text = rewrite(def.sql, def.query.span.start, def.query.span.end, edits).sql;
    return { start: ref.span.start, end: ref.span.end, text: `(${text}) AS ${quoted(ref.alias?.name ?? ref.name.name)}` };
  });
}

/** Each event log as the view of it with its archive, under the name the query reads it by. */
function logEdits(logs: readonly TableRef[]): Edit[] {
  return logs.map((ref) => {
    const source = ref.name.name.slice(logTableName('').length);
    return { start: ref.span.start, end: ref.span.end, text: `${quoted(archivedLogViewName(source))} AS ${quoted(ref.alias?.name ?? ref.name.name)}` };
  });
}

/** A query that reads `ref` alone: `SELECT * FROM ref` (its AS OF kept, its alias dropped). */
export function selectAll(ref: TableRef): Query {
  const span = ref.span;
  return {
    kind: 'Query',
    with: [],
    body: {
      kind: 'Select',
      distinct: false,
      items: [{ kind: 'StarItem', qualifier: undefined, span }],
      from: { ...ref, alias: undefined },
      where: undefined,
      groupBy: [],
      having: undefined,
      span,
    },
    orderBy: [],
    limit: undefined,
    emit: undefined,
    span,
  };
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** `sql[from, to)` with edits applied, and how positions in the result map back to `sql`. */
function rewrite(sql: string, from: number, to: number, edits: readonly Edit[]): { sql: string; origin: TextOrigin } {
  // Each piece of the result: where it starts there, where it came from in `sql`, and whether it was copied.
  const pieces: { at: number; src: number; copied: boolean }[] = [];
  let text = '';
  let cur = from;
  const copy = (end: number) => {
    if (end <= cur) return;
    pieces.push({ at: text.length, src: cur, copied: true });
    text += sql.slice(cur, end);
  };
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    copy(e.start);
    pieces.push({ at: text.length, src: e.start, copied: false });
    text += e.text;
    cur = e.end;
  }
  copy(to);
  const offsetOf = (pos: number): number => {
    let p = pieces[0];
    for (const q of pieces) if (q.at <= pos) p = q;
    if (!p) return from;
    // A position inside replaced text points at what it replaced.
    return p.copied ? p.src + (pos - p.at) : p.src;
  };
  return { sql: text, origin: { sql, offsetOf } };
}
