/**
 * Turns the parser's concrete syntax tree into the AST of `ast.ts`. Each method handles one
 * grammar rule; it computes spans from tokens and applies only the normalizations that
 * `ast.ts` documents (lower-cased names, canonical types, intervals in milliseconds,
 * upper-cased function names, `?` numbering, one WindowTvf node for both spellings).
 * Names are not resolved here: that is the binder's job.
 *
 * The methods call each other directly (typed by the generated `cst.ts`); the Chevrotain
 * base visitor is kept for `validateVisitor`, which checks every rule has a method.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type * as C from './cst.js';
import { SluiceError, type Span } from '../src/errors.js';
import * as L from './literals.js';
import * as T from './lexer.js';
import { parser } from './parser.js';
import { dialectError } from './syntax-errors.js';

// ---------------------------------------------------------------------------------------
// Spans
// ---------------------------------------------------------------------------------------

export function tokenSpan(tok: IToken): Span {
  return { start: tok.startOffset, end: tok.endOffset! + 1, line: tok.startLine!, column: tok.startColumn! };
}

/** The span from the start of `a` to the end of `b`. */
export function joinSpans(a: Span, b: Span): Span {
  return { start: a.start, end: b.end, line: a.line, column: a.column };
}

function isToken(e: CstElement): e is IToken {
  return (e as IToken).tokenType !== undefined;
}

/** The span covering every token and child node of a rule's children. */
function spanOf(children: object): Span {
  let best: Span | undefined;
  let last: Span | undefined;
  for (const list of Object.values(children) as (CstElement[] | undefined)[]) {
    for (const e of list ?? []) {
      const s = isToken(e) ? tokenSpan(e) : nodeSpan(e);
      if (best === undefined || s.start < best.start) best = s;
      if (last === undefined || s.end > last.end) last = s;
    }
  }
  if (best === undefined || last === undefined) throw new SluiceError('INTERNAL', 'empty grammar rule');
  return joinSpans(best, last);
}

function nodeSpan(node: CstNode): Span {
  const loc = node.location!;
  return { start: loc.startOffset, end: loc.endOffset! + 1, line: loc.startLine!, column: loc.startColumn! };
}

function one<X>(list: readonly X[] | undefined): X {
  if (list === undefined || list.length === 0) throw new SluiceError('INTERNAL', 'missing grammar element');
  return list[0]!;
}

type TvfArg = { readonly descriptor: A.ColumnRef; readonly span: Span } | { readonly expr: A.Expr; readonly span: Span };

/** A parenthesized query standing where a SELECT block may: `(SELECT …) UNION ALL …`. */
interface ParenQuery {
  readonly paren: A.Query;
  readonly span: Span;
}

const BaseVisitor = parser.getBaseCstVisitorConstructor();

/** The window functions that take IGNORE NULLS / RESPECT NULLS (SQL:2011's null treatment). */
const NAVIGATION_FUNCTIONS = new Set(['LAG', 'LEAD', 'FIRST_VALUE', 'LAST_VALUE', 'NTH_VALUE']);

class AstBuilder extends BaseVisitor implements C.SqlCstVisitor<unknown, unknown> {
  private sql = '';
  private paramIndexByOffset = new Map<number, number>();
  /** The named windows (WINDOW clause) of the SELECT being built; a nested SELECT has its own. */
  private windows = new Map<string, A.WindowSpec>();

  constructor() {
    super();
    this.validateVisitor();
  }

  /** Prepares for building the AST of statements from `sql`. */
  reset(sql: string): void {
    this.sql = sql;
    this.paramIndexByOffset = new Map();
    this.windows = new Map();
  }

  /** Numbers the `?` of one statement from 0, in order of appearance. */
  startStatement(tokens: readonly IToken[]): void {
    this.paramIndexByOffset = new Map();
    // A `?` inside MATCH_RECOGNIZE's PATTERN (…) is a quantifier, not a parameter.
    let recognize = false;
    let depth = -1;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.tokenType === T.MatchRecognize) recognize = true;
      else if (depth < 0 && recognize && t.tokenType === T.Pattern && tokens[i + 1]?.tokenType === T.LParen) {
        depth = 0;
        recognize = false;
      } else if (depth >= 0 && t.tokenType === T.LParen) depth++;
      else if (depth >= 0 && t.tokenType === T.RParen && --depth === 0) depth = -1;
      else if (depth < 0 && t.tokenType === T.Question) this.paramIndexByOffset.set(t.startOffset, this.paramIndexByOffset.size);
    }
  }

  /** A name that names nothing (a window): BIND, as the binder reports unknown names. */
  private bindFail(message: string, span: Span): never {
    throw new SluiceError('BIND', message, { span, sql: this.sql });
  }

  private fail(message: string, span: Span, dialect = false): never {
    if (dialect) throw dialectError(message, span, this.sql);
    throw new SluiceError('PARSE', message, { span, sql: this.sql });
  }

  // -------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------

  script(ctx: C.ScriptCstChildren): A.Statement[] {
    return (ctx.statement ?? []).map((s) => this.statement(s.children));
  }

  expressionOnly(ctx: C.ExpressionOnlyCstChildren): A.Expr {
    return this.expression(one(ctx.expression).children);
  }

  statement(ctx: C.StatementCstChildren): A.Statement {
    if (ctx.queryStatement) return this.queryStatement(one(ctx.queryStatement).children);
    if (ctx.createStatement) return this.createStatement(one(ctx.createStatement).children);
    if (ctx.insertStatement) return this.insertStatement(one(ctx.insertStatement).children);
    if (ctx.subscribeStatement) return this.subscribeStatement(one(ctx.subscribeStatement).children);
    if (ctx.dropStatement) return this.dropStatement(one(ctx.dropStatement).children);
    if (ctx.alterStatement) return this.alterStatement(one(ctx.alterStatement).children);
    if (ctx.showStatement) return this.showStatement(one(ctx.showStatement).children);
    if (ctx.describeStatement) return this.describeStatement(one(ctx.describeStatement).children);
    if (ctx.explainStatement) return this.explainStatement(one(ctx.explainStatement).children);
    if (ctx.checkpointStatement) return this.checkpointStatement(one(ctx.checkpointStatement).children);
    if (ctx.setStatement) return this.setStatement(one(ctx.setStatement).children);
    if (ctx.rebuildStatement) return this.rebuildStatement(one(ctx.rebuildStatement).children);
    if (ctx.updateStatement) return this.updateStatement(one(ctx.updateStatement).children);
    return this.deleteStatement(one(ctx.deleteStatement).children);
  }

  queryStatement(ctx: C.QueryStatementCstChildren): A.QueryStatement {
    return { kind: 'QueryStatement', query: this.query(one(ctx.query).children), span: spanOf(ctx) };
  }

  createStatement(ctx: C.CreateStatementCstChildren): A.CreateSource | A.CreateView | A.CreateSink {
    const orReplace = ctx.orReplace !== undefined;
    const span = spanOf(ctx);
    if (ctx.createSourceBody) return { ...this.createSourceBody(one(ctx.createSourceBody).children), orReplace, span };
    if (ctx.createViewBody) return { ...this.createViewBody(one(ctx.createViewBody).children), orReplace, span };
    return { ...this.createSinkBody(one(ctx.createSinkBody).children), orReplace, span };
  }

  orReplace(): true {
    return true;
  }

  ifNotExists(): true {
    return true;
  }

  ifExists(): true {
    return true;
  }

  createSourceBody(ctx: C.CreateSourceBodyCstChildren): Omit<A.CreateSource, 'orReplace' | 'span'> {
    const elements = this.sourceElementList(one(ctx.sourceElementList).children);
    const columns: A.ColumnDef[] = [];
    let watermark: A.WatermarkDef | undefined;
    for (const e of elements) {
      if (e.kind === 'ColumnDef') columns.push(e);
      else if (watermark === undefined) watermark = e;
      else this.fail('a source can have only one WATERMARK', e.span);
    }
    return {
      kind: 'CreateSource',
      ifNotExists: ctx.ifNotExists !== undefined,
      name: this.identifier(one(ctx.identifier).children),
      columns,
      watermark,
      options: ctx.withOptions ? this.withOptions(one(ctx.withOptions).children) : [],
    };
  }

  sourceElementList(ctx: C.SourceElementListCstChildren): (A.ColumnDef | A.WatermarkDef)[] {
    return ctx.sourceElement.map((e) => this.sourceElement(e.children));
  }

  sourceElement(ctx: C.SourceElementCstChildren): A.ColumnDef | A.WatermarkDef {
    if (ctx.watermarkDef) return this.watermarkDef(one(ctx.watermarkDef).children);
    return this.columnDef(one(ctx.columnDef).children);
  }

  watermarkDef(ctx: C.WatermarkDefCstChildren): A.WatermarkDef {
    return {
      kind: 'WatermarkDef',
      column: this.identifier(one(ctx.identifier).children),
      expr: this.expression(one(ctx.expression).children),
      span: spanOf(ctx),
    };
  }

  columnDef(ctx: C.ColumnDefCstChildren): A.ColumnDef {
    return {
      kind: 'ColumnDef',
      name: this.identifier(one(ctx.identifier).children),
      type: this.typeName(one(ctx.typeName).children),
      span: spanOf(ctx),
    };
  }

  withOptions(ctx: C.WithOptionsCstChildren): A.OptionItem[] {
    return ctx.optionItem.map((o) => this.optionItem(o.children));
  }

  optionItem(ctx: C.OptionItemCstChildren): A.OptionItem {
    const key = ctx.quotedKey
      ? L.unquoteString(one(ctx.quotedKey).image)
      : (ctx.optionKeyPart ?? []).map((p) => this.optionKeyPart(p.children)).join('.');
    return { key: key.toLowerCase(), value: this.literalValue(one(ctx.literalValue).children), span: spanOf(ctx) };
  }

  optionKeyPart(ctx: C.OptionKeyPartCstChildren): string {
    if (ctx.identifier) return this.identifier(one(ctx.identifier).children).name;
    return one(ctx.Reserved).image;
  }

  literalValue(ctx: C.LiteralValueCstChildren): string | number | boolean {
    if (ctx.StringLiteral) return L.unquoteString(one(ctx.StringLiteral).image);
    if (ctx.True) return true;
    if (ctx.False) return false;
    const n = Number(one(ctx.NumberLiteral).image);
    return ctx.sign && one(ctx.sign).tokenType === T.Minus ? -n : n;
  }

  createViewBody(ctx: C.CreateViewBodyCstChildren): Omit<A.CreateView, 'orReplace' | 'span'> {
    const query = this.query(one(ctx.query).children);
    return {
      kind: 'CreateView',
      materialized: ctx.Materialized !== undefined,
      ifNotExists: ctx.ifNotExists !== undefined,
      name: this.identifier(one(ctx.identifier).children),
      options: ctx.withOptions ? this.withOptions(one(ctx.withOptions).children) : [],
      query,
      queryText: this.sql.slice(query.span.start, query.span.end),
    };
  }

  createSinkBody(ctx: C.CreateSinkBodyCstChildren): Omit<A.CreateSink, 'orReplace' | 'span'> {
    return {
      kind: 'CreateSink',
      ifNotExists: ctx.ifNotExists !== undefined,
      name: this.identifier(one(ctx.name).children),
      from: this.identifier(one(ctx.from).children),
      options: this.withOptions(one(ctx.withOptions).children),
    };
  }

  insertStatement(ctx: C.InsertStatementCstChildren): A.Insert {
    return {
      kind: 'Insert',
      table: this.identifier(one(ctx.identifier).children),
      columns: ctx.identList ? this.identList(one(ctx.identList).children) : [],
      ...(ctx.expectedVersion ? { expectedVersion: this.expectedVersion(one(ctx.expectedVersion).children) } : {}),
      rows: ctx.valuesRow.map((r) => this.valuesRow(r.children)),
      span: spanOf(ctx),
    };
  }

  expectedVersion(ctx: C.ExpectedVersionCstChildren): A.ExpectedVersion {
    const tok = one(ctx.NumberLiteral);
    // A version counts events: a fraction or an exponent can never match one.
    if (!/^\d+$/.test(tok.image)) this.fail(`EXPECTED VERSION needs a whole number, found '${tok.image}'`, tokenSpan(tok));
    return { version: Number(tok.image), span: spanOf(ctx) };
  }

  valuesRow(ctx: C.ValuesRowCstChildren): A.Expr[] {
    return ctx.expression.map((e) => this.expression(e.children));
  }

  identList(ctx: C.IdentListCstChildren): A.Ident[] {
    return ctx.identifier.map((i) => this.identifier(i.children));
  }

  subscribeStatement(ctx: C.SubscribeStatementCstChildren): A.Subscribe {
    return { kind: 'Subscribe', name: this.identifier(one(ctx.identifier).children), span: spanOf(ctx) };
  }

  dropStatement(ctx: C.DropStatementCstChildren): A.Drop {
    const objectKind: A.ObjectKind = ctx.Source
      ? 'SOURCE'
      : ctx.Materialized
        ? 'MATERIALIZED_VIEW'
        : ctx.View
          ? 'VIEW'
          : 'SINK';
    return {
      kind: 'Drop',
      objectKind,
      ifExists: ctx.ifExists !== undefined,
      name: this.identifier(one(ctx.identifier).children),
      span: spanOf(ctx),
    };
  }

  alterStatement(ctx: C.AlterStatementCstChildren): A.AlterSource {
    const name = this.identifier(one(ctx.source).children);
    const span = spanOf(ctx);
    if (ctx.columnDef) {
      return {
        kind: 'AlterSource',
        name,
        column: this.columnDef(one(ctx.columnDef).children),
        default: ctx.expression ? this.expression(one(ctx.expression).children) : undefined,
        span,
      };
    }
    const column = this.identifier(one(ctx.target).children);
    const change: A.AlterColumnChange = ctx.newName
      ? { kind: 'RenameColumn', column, to: this.identifier(one(ctx.newName).children) }
      : ctx.typeName
        ? { kind: 'AlterColumnType', column, type: this.typeName(one(ctx.typeName).children) }
        : { kind: 'DropColumn', column };
    return { kind: 'AlterSource', name, column: undefined, default: undefined, change, span };
  }

  showStatement(ctx: C.ShowStatementCstChildren): A.Show {
    const span = spanOf(ctx);
    if (ctx.identifier) {
      return { kind: 'Show', what: 'SETTING', setting: this.identifier(one(ctx.identifier).children), span };
    }
    const what = ctx.Materialized ? 'MATERIALIZED_VIEWS' : ctx.Sources ? 'SOURCES' : ctx.Views ? 'VIEWS' : 'SINKS';
    return { kind: 'Show', what, setting: undefined, span };
  }

  describeStatement(ctx: C.DescribeStatementCstChildren): A.Describe {
    return { kind: 'Describe', name: this.identifier(one(ctx.identifier).children), span: spanOf(ctx) };
  }

  explainStatement(ctx: C.ExplainStatementCstChildren): A.Explain {
    const span = spanOf(ctx);
    if (ctx.queryStatement) {
      return { kind: 'Explain', statement: this.queryStatement(one(ctx.queryStatement).children), span };
    }
    const create = one(ctx.Create);
    const body = this.createViewBody(one(ctx.createViewBody).children);
    const statement: A.CreateView = {
      ...body,
      orReplace: ctx.orReplace !== undefined,
      span: joinSpans(tokenSpan(create), span),
    };
    return { kind: 'Explain', statement, span };
  }

  checkpointStatement(ctx: C.CheckpointStatementCstChildren): A.Checkpoint {
    return { kind: 'Checkpoint', span: spanOf(ctx) };
  }

  setStatement(ctx: C.SetStatementCstChildren): A.SetStatement {
    let value: string | number | boolean;
    if (ctx.literalValue) value = this.literalValue(one(ctx.literalValue).children);
    else if (ctx.word) value = this.identifier(one(ctx.word).children).name;
    else value = 'on';
    return { kind: 'Set', name: this.identifier(one(ctx.name).children), value, span: spanOf(ctx) };
  }

  rebuildStatement(ctx: C.RebuildStatementCstChildren): A.Rebuild {
    return { kind: 'Rebuild', name: this.identifier(one(ctx.identifier).children), span: spanOf(ctx) };
  }

  updateStatement(ctx: C.UpdateStatementCstChildren): A.Update {
    return { kind: 'Update', table: this.identifier(one(ctx.identifier).children), span: spanOf(ctx) };
  }

  deleteStatement(ctx: C.DeleteStatementCstChildren): A.Delete {
    return { kind: 'Delete', table: this.identifier(one(ctx.identifier).children), span: spanOf(ctx) };
  }

  // -------------------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------------------

  query(ctx: C.QueryCstChildren): A.Query {
    const span = spanOf(ctx);
    const ctes = ctx.withClause ? this.withClause(one(ctx.withClause).children) : [];
    const set = this.setExpression(one(ctx.setExpression).children);
    const orderBy = ctx.orderByClause ? this.orderByClause(one(ctx.orderByClause).children) : [];
    const lim = ctx.limitClause ? this.limitClause(one(ctx.limitClause).children) : undefined;
    const limit = lim?.limit;
    const offset = lim?.offset;
    const emit = ctx.emitClause ? this.emitClause(one(ctx.emitClause).children) : undefined;
    const hasClauses = ctes.length > 0 || orderBy.length > 0 || limit !== undefined || offset !== undefined || emit !== undefined;
    const tail = offset ? { offset } : {};
    if ('paren' in set) {
      // `(query)` alone: the inner query is the query; `(SELECT …) ORDER BY …`: its body is.
      if (!hasClauses) return { ...set.paren, span };
      if (!hasQueryClauses(set.paren)) return { kind: 'Query', with: ctes, body: set.paren.body, orderBy, limit, ...tail, emit, span };
    }
    const body = 'paren' in set ? this.parenAsSelect(set) : set;
    return { kind: 'Query', with: ctes, body, orderBy, limit, ...tail, emit, span };
  }

  /**
   * A parenthesized query in a set operation: its body when it has no clauses of its own,
   * else `SELECT * FROM (query)`, which means the same.
   */
  private parenAsSelect(p: ParenQuery): A.SetExpr {
    if (!hasQueryClauses(p.paren)) return p.paren.body;
    return {
      kind: 'Select',
      distinct: false,
      items: [{ kind: 'StarItem', qualifier: undefined, span: p.span }],
      from: { kind: 'SubqueryRef', query: p.paren, alias: undefined, span: p.span },
      where: undefined,
      groupBy: [],
      having: undefined,
      span: p.span,
    };
  }

  withClause(ctx: C.WithClauseCstChildren): A.Cte[] {
    return ctx.cte.map((c) => this.cte(c.children));
  }

  cte(ctx: C.CteCstChildren): A.Cte {
    return {
      kind: 'Cte',
      name: this.identifier(one(ctx.identifier).children),
      columns: ctx.identList ? this.identList(one(ctx.identList).children) : [],
      query: this.query(one(ctx.query).children),
      span: spanOf(ctx),
    };
  }

  setExpression(ctx: C.SetExpressionCstChildren): A.SetExpr | ParenQuery {
    const operands = ctx.setOperand.map((o) => this.setOperand(o.children));
    const first = one(operands);
    if (operands.length === 1) return first;
    const ops = (ctx.unionOperator ?? []).map((u) => this.unionOperator(u.children));
    const exprs: A.SetExpr[] = operands.map((o) => ('paren' in o ? this.parenAsSelect(o) : o));
    const spans: Span[] = operands.map((o) => o.span);
    const combine = (i: number): void => {
      const span = joinSpans(spans[i]!, spans[i + 1]!);
      exprs.splice(i, 2, { kind: 'SetOp', op: ops[i]!.op, all: ops[i]!.all, left: exprs[i]!, right: exprs[i + 1]!, span });
      spans.splice(i, 2, span);
      ops.splice(i, 1);
    };
    // INTERSECT binds tighter than UNION and EXCEPT (standard SQL, as DuckDB); all associate left.
    for (let i = 0; i < ops.length; ) {
      if (ops[i]!.op === 'INTERSECT') combine(i);
      else i++;
    }
    while (ops.length > 0) combine(0);
    return one(exprs);
  }

  /** The rule kept its name from when UNION was the only set operation. */
  unionOperator(ctx: C.UnionOperatorCstChildren): { op: A.SetOp['op']; all: boolean } {
    const op = ctx.Intersect ? 'INTERSECT' : ctx.Except ? 'EXCEPT' : 'UNION';
    return { op, all: ctx.All !== undefined };
  }

  setOperand(ctx: C.SetOperandCstChildren): A.Select | ParenQuery {
    if (ctx.selectBlock) return this.selectBlock(one(ctx.selectBlock).children);
    return { paren: this.query(one(ctx.query).children), span: spanOf(ctx) };
  }

  orderByClause(ctx: C.OrderByClauseCstChildren): A.OrderItem[] {
    return ctx.orderItem.map((o) => this.orderItem(o.children));
  }

  orderItem(ctx: C.OrderItemCstChildren): A.OrderItem {
    return {
      kind: 'OrderItem',
      expr: this.expression(one(ctx.expression).children),
      desc: ctx.Desc !== undefined,
      nulls: ctx.Nulls === undefined ? undefined : ctx.First ? 'FIRST' : 'LAST',
      span: spanOf(ctx),
    };
  }

  limitClause(ctx: C.LimitClauseCstChildren): { limit: A.Expr | undefined; offset: A.Expr | undefined } {
    return {
      limit: ctx.limit ? this.expression(one(ctx.limit).children) : undefined,
      offset: ctx.offset ? this.expression(one(ctx.offset).children) : undefined,
    };
  }

  emitClause(ctx: C.EmitClauseCstChildren): A.Emit {
    return { kind: 'Emit', mode: ctx.Changes ? 'CHANGES' : 'ON_WINDOW_CLOSE', span: spanOf(ctx) };
  }

  selectBlock(ctx: C.SelectBlockCstChildren): A.Select {
    // The WINDOW clause first: the select list's OVER clauses name its windows.
    const outer = this.windows;
    this.windows = new Map();
    try {
      if (ctx.windowClause) this.windowClause(one(ctx.windowClause).children);
      return {
        kind: 'Select',
        distinct: ctx.Distinct !== undefined,
        items: this.selectList(one(ctx.selectList).children),
        from: ctx.fromClause ? this.fromClause(one(ctx.fromClause).children) : undefined,
        where: ctx.whereClause ? this.whereClause(one(ctx.whereClause).children) : undefined,
        groupBy: ctx.groupByClause ? this.groupByClause(one(ctx.groupByClause).children) : [],
        having: ctx.havingClause ? this.havingClause(one(ctx.havingClause).children) : undefined,
        span: spanOf(ctx),
      };
    } finally {
      this.windows = outer;
    }
  }

  /** Defines the named windows, in order (a definition may refine one before it). */
  windowClause(ctx: C.WindowClauseCstChildren): void {
    for (const d of ctx.windowDefinition) this.windowDefinition(d.children);
  }

  windowDefinition(ctx: C.WindowDefinitionCstChildren): void {
    const name = this.identifier(one(ctx.identifier).children);
    if (this.windows.has(name.name)) this.bindFail(`window '${name.name}' is defined twice in the WINDOW clause`, name.span);
    this.windows.set(name.name, this.windowBody(one(ctx.windowBody).children, spanOf(ctx)));
  }

  selectList(ctx: C.SelectListCstChildren): A.SelectItem[] {
    return ctx.selectItem.map((i) => this.selectItem(i.children));
  }

  selectItem(ctx: C.SelectItemCstChildren): A.SelectItem {
    const span = spanOf(ctx);
    if (ctx.Star) {
      const qualifier = ctx.identifier ? this.identifier(one(ctx.identifier).children) : undefined;
      return { kind: 'StarItem', qualifier, span };
    }
    return {
      kind: 'ExprItem',
      expr: this.expression(one(ctx.expression).children),
      alias: ctx.alias ? this.alias(one(ctx.alias).children) : undefined,
      span,
    };
  }

  alias(ctx: C.AliasCstChildren): A.Ident {
    return this.identifier(one(ctx.identifier).children);
  }

  fromClause(ctx: C.FromClauseCstChildren): A.FromItem {
    return this.fromList(one(ctx.fromList).children);
  }

  whereClause(ctx: C.WhereClauseCstChildren): A.Expr {
    return this.expression(one(ctx.expression).children);
  }

  groupByClause(ctx: C.GroupByClauseCstChildren): A.Expr[] {
    return ctx.expression.map((e) => this.expression(e.children));
  }

  havingClause(ctx: C.HavingClauseCstChildren): A.Expr {
    return this.expression(one(ctx.expression).children);
  }

  fromList(ctx: C.FromListCstChildren): A.FromItem {
    const items = ctx.joinedTable.map((j) => this.joinedTable(j.children));
    return items.slice(1).reduce<A.FromItem>(
      (left, right) => ({
        kind: 'Join',
        joinType: 'CROSS',
        left,
        right,
        on: undefined,
        using: [],
        span: joinSpans(left.span, right.span),
      }),
      one(items),
    );
  }

  joinedTable(ctx: C.JoinedTableCstChildren): A.FromItem {
    let left = this.fromPrimary(one(ctx.fromPrimary).children);
    for (const part of ctx.joinPart ?? []) {
      const j = this.joinPart(part.children);
      left = { ...j, left, span: joinSpans(left.span, spanOf(part.children)) };
    }
    return left;
  }

  joinPart(ctx: C.JoinPartCstChildren): Omit<A.Join, 'left' | 'span'> {
    const joinType: A.JoinType = ctx.Left
      ? 'LEFT'
      : ctx.Right
        ? 'RIGHT'
        : ctx.Full
          ? 'FULL'
          : ctx.Cross
            ? 'CROSS'
            : 'INNER';
    return {
      kind: 'Join',
      joinType,
      right: this.fromPrimary(one(ctx.fromPrimary).children),
      on: ctx.expression ? this.expression(one(ctx.expression).children) : undefined,
      using: ctx.identList ? this.identList(one(ctx.identList).children) : [],
    };
  }

  fromPrimary(ctx: C.FromPrimaryCstChildren): A.FromItem {
    if (ctx.windowTvf) {
      const alias = ctx.alias ? this.alias(one(ctx.alias).children) : undefined;
      return { ...this.windowTvf(one(ctx.windowTvf).children), alias, span: spanOf(ctx) };
    }
    if (ctx.changesRef) return this.changesRef(one(ctx.changesRef).children);
    if (ctx.matchRecognizeRef) return this.matchRecognizeRef(one(ctx.matchRecognizeRef).children);
    if (ctx.subqueryRef) return this.subqueryRef(one(ctx.subqueryRef).children);
    if (ctx.fromList) return this.fromList(one(ctx.fromList).children);
    return this.tableRef(one(ctx.tableRef).children);
  }

  tableRef(ctx: C.TableRefCstChildren): A.TableRef {
    const asOfs = (ctx.asOf ?? []).map((a) => this.asOf(a.children));
    if (asOfs.length > 1) this.fail('AS OF can be given only once', asOfs[1]!.span);
    return {
      kind: 'TableRef',
      name: this.identifier(one(ctx.identifier).children),
      alias: ctx.alias ? this.alias(one(ctx.alias).children) : undefined,
      asOf: asOfs[0],
      ...(ctx.systemTimeAsOf ? { systemTime: this.systemTimeAsOf(one(ctx.systemTimeAsOf).children) } : {}),
      span: spanOf(ctx),
    };
  }

  systemTimeAsOf(ctx: C.SystemTimeAsOfCstChildren): A.Expr {
    return this.primaryExpression(one(ctx.primaryExpression).children);
  }

  asOf(ctx: C.AsOfCstChildren): A.AsOf {
    return {
      kind: 'AsOf',
      by: ctx.Offset ? 'OFFSET' : 'TIMESTAMP',
      value: this.primaryExpression(one(ctx.primaryExpression).children),
      span: spanOf(ctx),
    };
  }

  subqueryRef(ctx: C.SubqueryRefCstChildren): A.SubqueryRef {
    return {
      kind: 'SubqueryRef',
      query: this.query(one(ctx.query).children),
      alias: ctx.alias ? this.alias(one(ctx.alias).children) : undefined,
      span: spanOf(ctx),
    };
  }

  matchRecognizeRef(ctx: C.MatchRecognizeRefCstChildren): A.MatchRecognize {
    const within = ctx.intervalLiteral ? this.intervalLiteral(one(ctx.intervalLiteral).children) : undefined;
    return {
      kind: 'MatchRecognize',
      input: this.identifier(one(ctx.input).children),
      partitionBy: (ctx.partitionBy ?? []).map((c) => this.columnRef(c.children)),
      orderBy: (ctx.orderItem ?? []).map((o) => this.orderItem(o.children)),
      measures: (ctx.measureItem ?? []).map((m) => this.measureItem(m.children)),
      rowsPerMatch: ctx.rowsPerMatch ? this.rowsPerMatch(one(ctx.rowsPerMatch).children) : undefined,
      afterMatch: ctx.afterMatchSkip ? this.afterMatchSkip(one(ctx.afterMatchSkip).children) : undefined,
      pattern: this.rowPattern(one(ctx.rowPattern).children),
      withinMs: within?.ms,
      withinSpan: within?.span,
      defines: ctx.defineItem.map((d) => this.defineItem(d.children)),
      alias: ctx.alias ? this.alias(one(ctx.alias).children) : undefined,
      span: spanOf(ctx),
    };
  }

  measureItem(ctx: C.MeasureItemCstChildren): A.MatchRecognize['measures'][number] {
    return { expr: this.expression(one(ctx.expression).children), alias: this.identifier(one(ctx.identifier).children), span: spanOf(ctx) };
  }

  defineItem(ctx: C.DefineItemCstChildren): A.MatchRecognize['defines'][number] {
    return { name: this.identifier(one(ctx.identifier).children), cond: this.expression(one(ctx.expression).children), span: spanOf(ctx) };
  }

  rowsPerMatch(ctx: C.RowsPerMatchCstChildren): NonNullable<A.MatchRecognize['rowsPerMatch']> {
    return { one: ctx.One !== undefined, span: spanOf(ctx) };
  }

  afterMatchSkip(ctx: C.AfterMatchSkipCstChildren): NonNullable<A.MatchRecognize['afterMatch']> {
    const span = spanOf(ctx);
    if (ctx.Past) return { skip: 'PAST_LAST_ROW', span };
    if (ctx.Next) return { skip: 'TO_NEXT_ROW', span };
    return { skip: ctx.toFirst ? 'TO_FIRST' : 'TO_LAST', variable: this.identifier(one(ctx.variable).children), span };
  }

  rowPattern(ctx: C.RowPatternCstChildren): A.RowPattern {
    const items = ctx.patternSequence.map((p) => this.patternSequence(p.children));
    return items.length === 1 ? items[0]! : { kind: 'PatternAlt', items, span: spanOf(ctx) };
  }

  patternSequence(ctx: C.PatternSequenceCstChildren): A.RowPattern {
    const items = ctx.patternFactor.map((p) => this.patternFactor(p.children));
    return items.length === 1 ? items[0]! : { kind: 'PatternSeq', items, span: spanOf(ctx) };
  }

  patternFactor(ctx: C.PatternFactorCstChildren): A.RowPattern {
    const term = this.patternPrimary(one(ctx.patternPrimary).children);
    if (!ctx.patternQuantifier) return term;
    const q = one(ctx.patternQuantifier).children;
    const span = spanOf(ctx);
    const reluctant = q.reluctant !== undefined;
    const op = q.op ? one(q.op).image : undefined;
    if (op !== undefined) {
      const [min, max] = op === '*' ? [0, null] : op === '+' ? [1, null] : [0, 1];
      return { kind: 'PatternQuant', term, min, max, reluctant, span };
    }
    const whole = (tok: IToken | undefined): number | undefined => {
      if (tok === undefined) return undefined;
      if (!/^\d+$/.test(tok.image)) this.fail(`expected a whole number in the quantifier, found '${tok.image}'`, tokenSpan(tok));
      return Number(tok.image);
    };
    const min = whole(q.min?.[0]);
    const max = whole(q.max?.[0]);
    if (min === undefined && q.Comma === undefined) this.fail('expected a number in the quantifier {n}', span);
    // `{n}` is exactly n; `{n,}` at least n; `{,m}` at most m.
    const hi = q.Comma === undefined ? min! : (max ?? null);
    if (hi !== null && hi < (min ?? 0)) this.fail(`quantifier {${min},${hi}}: the maximum is below the minimum`, span);
    return { kind: 'PatternQuant', term, min: min ?? 0, max: hi, reluctant, span };
  }

  patternPrimary(ctx: C.PatternPrimaryCstChildren): A.RowPattern {
    const span = spanOf(ctx);
    if (ctx.permute) return { kind: 'PatternUnsupported', form: 'PERMUTE', span };
    if (ctx.exclusion) return { kind: 'PatternUnsupported', form: 'pattern exclusion {- … -}', span };
    if (ctx.anchor) return { kind: 'PatternUnsupported', form: `the anchor ${one(ctx.anchor).image}`, span };
    if (ctx.group) return ctx.grouped ? this.rowPattern(one(ctx.grouped).children) : { kind: 'PatternEmpty', span };
    return { kind: 'PatternVar', name: this.identifier(one(ctx.identifier).children), span };
  }

  patternQuantifier(ctx: C.PatternQuantifierCstChildren): never {
    throw new SluiceError('INTERNAL', `patternQuantifier is read by patternFactor (${Object.keys(ctx).join(',')})`);
  }

  changesRef(ctx: C.ChangesRefCstChildren): A.ChangesRef {
    return {
      kind: 'ChangesRef',
      name: this.identifier(one(ctx.identifier).children),
      alias: ctx.alias ? this.alias(one(ctx.alias).children) : undefined,
      span: spanOf(ctx),
    };
  }

  /**
   * Both TVF spellings. After the input come the partition keys (after PARTITION BY), the
   * time column (plain or in DESCRIPTOR) and the interval arguments. With PARTITION BY and
   * no DESCRIPTOR the time column is the last plain column reference: the keys come before
   * it and the interval arguments after it.
   */
  windowTvf(ctx: C.WindowTvfCstChildren): Omit<A.WindowTvf, 'alias'> {
    const fnTok = one(ctx.fn);
    const fn = fnTok.image.toUpperCase() as A.WindowKind;
    const input = this.tvfInput(one(ctx.tvfInput).children);
    const list = [...(ctx.partitionArg ?? []), ...(ctx.tvfArg ?? [])]
      .map((a) => this.tvfArg(a.children))
      .sort((a, b) => a.span.start - b.span.start);
    const span = spanOf(ctx);
    let timeIdx = list.findIndex((a) => 'descriptor' in a);
    if (timeIdx < 0) {
      if (ctx.Partition) {
        timeIdx = list.findLastIndex((a) => 'expr' in a && a.expr.kind === 'ColumnRef');
        if (timeIdx < 1) this.fail(`expected the partition columns and then the time column after PARTITION BY in ${fn}`, span);
      } else {
        timeIdx = 0;
      }
    } else if (!ctx.Partition && timeIdx !== 0) {
      this.fail(`expected DESCRIPTOR(time column) right after the table in ${fn}`, list[0]!.span);
    }
    const time = list[timeIdx];
    if (time === undefined) this.fail(`expected the time column after the table in ${fn}`, span);
    const timeCol = 'descriptor' in time ? time.descriptor : time.expr;
    if (timeCol.kind !== 'ColumnRef') this.fail(`expected the time column of ${fn} (a column name)`, time.span);
    const partitionBy = list.slice(0, timeIdx).map((a) => {
      if ('expr' in a && a.expr.kind === 'ColumnRef') return a.expr;
      return this.fail('expected a column name in PARTITION BY', a.span);
    });
    const args = list.slice(timeIdx + 1).map((a) => {
      if ('expr' in a) return a.expr;
      return this.fail(`DESCRIPTOR(…) names the time column, which ${fn} takes only once`, a.span);
    });
    return { kind: 'WindowTvf', fn, fnSpan: tokenSpan(fnTok), input, partitionBy, timeCol, args, span };
  }

  tvfInput(ctx: C.TvfInputCstChildren): A.TableRef | A.SubqueryRef {
    const span = spanOf(ctx);
    if (ctx.query) return { kind: 'SubqueryRef', query: this.query(one(ctx.query).children), alias: undefined, span };
    return { kind: 'TableRef', name: this.identifier(one(ctx.identifier).children), alias: undefined, asOf: undefined, span };
  }

  tvfArg(ctx: C.TvfArgCstChildren): TvfArg {
    const span = spanOf(ctx);
    if (ctx.columnRef) return { descriptor: this.columnRef(one(ctx.columnRef).children), span };
    return { expr: this.expression(one(ctx.expression).children), span };
  }

  // -------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------

  expression(ctx: C.ExpressionCstChildren): A.Expr {
    return this.orExpression(one(ctx.orExpression).children);
  }

  orExpression(ctx: C.OrExpressionCstChildren): A.Expr {
    return foldBinary(
      ctx.operand.map((o) => this.andExpression(o.children)),
      (ctx.Or ?? []).map(() => 'OR'),
    );
  }

  andExpression(ctx: C.AndExpressionCstChildren): A.Expr {
    return foldBinary(
      ctx.operand.map((o) => this.notExpression(o.children)),
      (ctx.And ?? []).map(() => 'AND'),
    );
  }

  notExpression(ctx: C.NotExpressionCstChildren): A.Expr {
    if (ctx.notExpression) {
      const operand = this.notExpression(one(ctx.notExpression).children);
      return { kind: 'Unary', op: 'NOT', operand, span: joinSpans(tokenSpan(one(ctx.Not)), operand.span) };
    }
    return this.comparisonExpression(one(ctx.comparisonExpression).children);
  }

  comparisonExpression(ctx: C.ComparisonExpressionCstChildren): A.Expr {
    let left = this.concatExpression(one(ctx.concatExpression).children);
    for (const tail of ctx.comparisonTail ?? []) left = this.comparisonTail(tail.children, left);
    return left;
  }

  comparisonTail(ctx: C.ComparisonTailCstChildren, left?: unknown): A.Expr {
    const expr = left as A.Expr;
    const span = joinSpans(expr.span, spanOf(ctx));
    const negated = ctx.Not !== undefined;
    if (ctx.op) {
      const opTok = one(ctx.op);
      const op: A.BinaryOp = opTok.tokenType === T.NotEquals ? '<>' : (opTok.image as A.BinaryOp);
      return { kind: 'Binary', op, left: expr, right: this.concatExpression(one(ctx.right).children), span };
    }
    if (ctx.Is) return { kind: 'IsNull', expr, negated, span };
    if (ctx.Between) {
      return {
        kind: 'Between',
        expr,
        low: this.concatExpression(one(ctx.low).children),
        high: this.concatExpression(one(ctx.high).children),
        negated,
        span,
      };
    }
    if (ctx.In && ctx.subquery) {
      return { kind: 'InSubquery', expr, query: this.subqueryExpression(one(ctx.subquery).children), negated, span };
    }
    if (ctx.In) return { kind: 'InList', expr, list: (ctx.list ?? []).map((e) => this.expression(e.children)), negated, span };
    const pattern = this.concatExpression(one(ctx.pattern).children);
    return { kind: 'Like', expr, pattern, negated, ...(ctx.Similar ? { similar: true as const } : {}), span };
  }

  concatExpression(ctx: C.ConcatExpressionCstChildren): A.Expr {
    return foldBinary(
      ctx.operand.map((o) => this.additiveExpression(o.children)),
      (ctx.op ?? []).map((t) => (t.tokenType === T.Concat ? '||' : (t.image as A.BinaryOp))),
    );
  }

  additiveExpression(ctx: C.AdditiveExpressionCstChildren): A.Expr {
    return foldBinary(
      ctx.operand.map((o) => this.multiplicativeExpression(o.children)),
      (ctx.op ?? []).map((t) => t.image as A.BinaryOp),
    );
  }

  multiplicativeExpression(ctx: C.MultiplicativeExpressionCstChildren): A.Expr {
    return foldBinary(
      ctx.operand.map((o) => this.unaryExpression(o.children)),
      (ctx.op ?? []).map((t) => t.image as A.BinaryOp),
    );
  }

  unaryExpression(ctx: C.UnaryExpressionCstChildren): A.Expr {
    if (ctx.unaryExpression) {
      const opTok = one(ctx.op);
      const operand = this.unaryExpression(one(ctx.unaryExpression).children);
      return { kind: 'Unary', op: opTok.image as '+' | '-', operand, span: joinSpans(tokenSpan(opTok), operand.span) };
    }
    return this.castExpression(one(ctx.castExpression).children);
  }

  castExpression(ctx: C.CastExpressionCstChildren): A.Expr {
    let expr = this.primaryExpression(one(ctx.primaryExpression).children);
    for (const t of ctx.typeName ?? []) {
      const type = this.typeName(t.children);
      expr = { kind: 'Cast', expr, type, span: joinSpans(expr.span, type.span) };
    }
    return expr;
  }

  primaryExpression(ctx: C.PrimaryExpressionCstChildren): A.Expr {
    if (ctx.NumberLiteral) {
      const tok = one(ctx.NumberLiteral);
      return { kind: 'NumberLit', value: Number(tok.image), text: tok.image, isInteger: /^\d+$/.test(tok.image), span: tokenSpan(tok) };
    }
    if (ctx.StringLiteral) {
      const tok = one(ctx.StringLiteral);
      return { kind: 'StringLit', value: L.unquoteString(tok.image), span: tokenSpan(tok) };
    }
    if (ctx.True) return { kind: 'BoolLit', value: true, span: tokenSpan(one(ctx.True)) };
    if (ctx.False) return { kind: 'BoolLit', value: false, span: tokenSpan(one(ctx.False)) };
    if (ctx.Null) return { kind: 'NullLit', span: tokenSpan(one(ctx.Null)) };
    if (ctx.Question) {
      const tok = one(ctx.Question);
      return { kind: 'Param', index: this.paramIndexByOffset.get(tok.startOffset) ?? 0, span: tokenSpan(tok) };
    }
    if (ctx.intervalLiteral) return this.intervalLiteral(one(ctx.intervalLiteral).children);
    if (ctx.typedLiteral) return this.typedLiteral(one(ctx.typedLiteral).children);
    if (ctx.caseExpression) return this.caseExpression(one(ctx.caseExpression).children);
    if (ctx.castCall) return this.castCall(one(ctx.castCall).children);
    if (ctx.extractCall) return this.extractCall(one(ctx.extractCall).children);
    if (ctx.existsExpression) return this.existsExpression(one(ctx.existsExpression).children);
    if (ctx.subqueryExpression) {
      const sub = one(ctx.subqueryExpression);
      return { kind: 'ScalarSubquery', query: this.subqueryExpression(sub.children), span: spanOf(sub.children) };
    }
    if (ctx.parenExpression) return this.parenExpression(one(ctx.parenExpression).children);
    if (ctx.positionCall) return this.positionCall(one(ctx.positionCall).children);
    if (ctx.functionCall) return this.functionCall(one(ctx.functionCall).children);
    return this.columnRef(one(ctx.columnRef).children);
  }

  intervalLiteral(ctx: C.IntervalLiteralCstChildren): A.IntervalLit {
    const span = spanOf(ctx);
    const amountTok = one(ctx.StringLiteral ?? ctx.NumberLiteral);
    const amount = ctx.StringLiteral ? L.unquoteString(amountTok.image) : amountTok.image;
    let reading: L.IntervalReading;
    if (ctx.unit) {
      const unitTok = one(ctx.unit);
      reading = L.intervalFromAmount(amount, unitTok.image);
      if ('error' in reading) this.fail(reading.error, tokenSpan(unitTok));
    } else {
      reading = L.intervalFromText(amount);
      if ('error' in reading) this.fail(reading.error, span, reading.dialect === true);
    }
    return { kind: 'IntervalLit', ms: reading.ms, text: this.sql.slice(span.start, span.end), span };
  }

  typedLiteral(ctx: C.TypedLiteralCstChildren): A.TypedLit {
    return {
      kind: 'TypedLit',
      type: ctx.DateType ? 'DATE' : 'TIMESTAMP',
      value: L.unquoteString(one(ctx.StringLiteral).image),
      span: spanOf(ctx),
    };
  }

  caseExpression(ctx: C.CaseExpressionCstChildren): A.Case {
    const operand = ctx.operand ? this.expression(one(ctx.operand).children) : undefined;
    const whens = (ctx.when ?? []).map((w, i) => ({
      when: this.expression(w.children),
      then: this.expression(ctx.then![i]!.children),
    }));
    const elseExpr = ctx.else ? this.expression(one(ctx.else).children) : undefined;
    return { kind: 'Case', operand, whens, else: elseExpr, span: spanOf(ctx) };
  }

  castCall(ctx: C.CastCallCstChildren): A.Cast {
    return {
      kind: 'Cast',
      expr: this.expression(one(ctx.expression).children),
      type: this.typeName(one(ctx.typeName).children),
      span: spanOf(ctx),
    };
  }

  extractCall(ctx: C.ExtractCallCstChildren): A.Extract {
    const fieldIdent = this.identifier(one(ctx.field).children);
    const field = L.extractField(fieldIdent.name);
    if (field === undefined) {
      this.fail(`unknown EXTRACT field '${fieldIdent.name}': expected ${L.EXTRACT_FIELDS_TEXT}`, fieldIdent.span);
    }
    return { kind: 'Extract', field, expr: this.expression(one(ctx.expression).children), span: spanOf(ctx) };
  }

  /** `(query)`: the query (EMIT belongs to the outermost query only). */
  subqueryExpression(ctx: C.SubqueryExpressionCstChildren): A.Query {
    const query = this.query(one(ctx.query).children);
    if (query.emit) this.fail('EMIT belongs at the end of the outermost query', query.emit.span);
    return query;
  }

  existsExpression(ctx: C.ExistsExpressionCstChildren): A.Exists {
    return { kind: 'Exists', query: this.subqueryExpression(one(ctx.subqueryExpression).children), span: spanOf(ctx) };
  }

  /** `(expr)`: the inner expression, its span widened to the parentheses. */
  parenExpression(ctx: C.ParenExpressionCstChildren): A.Expr {
    return { ...this.expression(one(ctx.expression).children), span: spanOf(ctx) };
  }

  /** `POSITION(needle IN haystack)` is the call POSITION(haystack, needle) (STRPOS). */
  positionCall(ctx: C.PositionCallCstChildren): A.FuncCall {
    return {
      kind: 'FuncCall',
      name: 'POSITION',
      nameSpan: tokenSpan(one(ctx.name)),
      args: [this.concatExpression(one(ctx.haystack).children), this.concatExpression(one(ctx.needle).children)],
      distinct: false,
      star: false,
      over: undefined,
      span: spanOf(ctx),
    };
  }

  functionCall(ctx: C.FunctionCallCstChildren): A.FuncCall {
    const nameTok = ctx.keywordName ? one(ctx.keywordName) : undefined;
    const name = nameTok ? { name: nameTok.image, span: tokenSpan(nameTok) } : this.identifier(one(ctx.name).children);
    const nulls = ctx.nullTreatment ? this.nullTreatments(ctx.nullTreatment) : undefined;
    if (nulls !== undefined && !NAVIGATION_FUNCTIONS.has(name.name.toUpperCase())) {
      this.bindFail(`${nulls.ignore ? 'IGNORE' : 'RESPECT'} NULLS applies to LAG, LEAD, FIRST_VALUE, LAST_VALUE and NTH_VALUE, not to ${name.name.toUpperCase()}`, nulls.span);
    }
    return {
      kind: 'FuncCall',
      name: name.name.toUpperCase(),
      nameSpan: name.span,
      args: (ctx.arg ?? []).map((a) => this.expression(a.children)),
      distinct: ctx.Distinct !== undefined,
      star: ctx.Star !== undefined && ctx.starQualifier === undefined,
      ...(ctx.starQualifier ? { starQualifier: this.identifier(one(ctx.starQualifier).children) } : {}),
      over: ctx.overClause ? this.overClause(one(ctx.overClause).children) : undefined,
      ...(ctx.filter ? { filter: this.expression(one(ctx.filter).children) } : {}),
      ...(nulls !== undefined ? { nullTreatment: nulls } : {}),
      span: spanOf(ctx),
    };
  }

  /** A call's `IGNORE NULLS` / `RESPECT NULLS`, inside or after its parentheses (not both). */
  private nullTreatments(nodes: readonly C.NullTreatmentCstNode[]): A.NullTreatment {
    const [first, second] = nodes.map((n) => this.nullTreatment(n.children));
    if (second !== undefined) this.bindFail('IGNORE NULLS / RESPECT NULLS is given twice: write it once, inside or after the parentheses', second.span);
    return first!;
  }

  nullTreatment(ctx: C.NullTreatmentCstChildren): A.NullTreatment {
    return { ignore: ctx.Ignore !== undefined, span: spanOf(ctx) };
  }

  overClause(ctx: C.OverClauseCstChildren): A.WindowSpec {
    const span = spanOf(ctx);
    if (ctx.windowBody) return this.windowBody(one(ctx.windowBody).children, span);
    return { ...this.namedWindow(this.identifier(one(ctx.identifier).children)), span };
  }

  /**
   * A window's clauses; with a base name, the named window refined as PostgreSQL and DuckDB
   * allow: its PARTITION BY kept, an ORDER BY added if it has none, a frame added (so the
   * base may not have one).
   */
  windowBody(ctx: C.WindowBodyCstChildren, span: Span): A.WindowSpec {
    const partitionBy = (ctx.partitionBy ?? []).map((e) => this.expression(e.children));
    const orderBy = (ctx.orderItem ?? []).map((o) => this.orderItem(o.children));
    const frame = ctx.frameClause ? this.frameClause(one(ctx.frameClause).children) : undefined;
    if (!ctx.base) return { kind: 'WindowSpec', partitionBy, orderBy, frame, span };
    const name = this.identifier(one(ctx.base).children);
    const base = this.namedWindow(name);
    if (partitionBy.length > 0) this.bindFail(`cannot override the PARTITION BY of window '${name.name}'`, partitionBy[0]!.span);
    if (orderBy.length > 0 && base.orderBy.length > 0) this.bindFail(`cannot override the ORDER BY of window '${name.name}'`, orderBy[0]!.span);
    if (base.frame) this.bindFail(`cannot refine window '${name.name}': it has a frame (use OVER ${name.name} alone)`, name.span);
    return { kind: 'WindowSpec', partitionBy: base.partitionBy, orderBy: orderBy.length > 0 ? orderBy : base.orderBy, frame, span };
  }

  private namedWindow(name: A.Ident): A.WindowSpec {
    const w = this.windows.get(name.name);
    if (w === undefined) {
      const known = [...this.windows.keys()];
      this.bindFail(`window '${name.name}' is not defined${known.length > 0 ? ` (the WINDOW clause defines ${known.join(', ')})` : ' (define it in a WINDOW clause)'}`, name.span);
    }
    return w;
  }

  frameClause(ctx: C.FrameClauseCstChildren): A.Frame {
    const span = spanOf(ctx);
    return {
      kind: 'Frame',
      unit: ctx.Rows ? 'ROWS' : 'RANGE',
      start: this.frameBound(one(ctx.start).children),
      end: ctx.end ? this.frameBound(one(ctx.end).children) : { kind: 'CurrentRow', span },
      span,
    };
  }

  frameBound(ctx: C.FrameBoundCstChildren): A.FrameBound {
    const span = spanOf(ctx);
    if (ctx.Current) return { kind: 'CurrentRow', span };
    if (ctx.Unbounded) return ctx.Preceding ? { kind: 'UnboundedPreceding', span } : { kind: 'UnboundedFollowing', span };
    const offset = this.additiveExpression(one(ctx.additiveExpression).children);
    return ctx.Preceding ? { kind: 'Preceding', offset, span } : { kind: 'Following', offset, span };
  }

  columnRef(ctx: C.ColumnRefCstChildren): A.ColumnRef {
    const parts = ctx.identifier.map((i) => this.identifier(i.children));
    const span = spanOf(ctx);
    if (parts.length === 1) return { kind: 'ColumnRef', qualifier: undefined, name: parts[0]!, span };
    return { kind: 'ColumnRef', qualifier: parts[0], name: parts[1]!, span };
  }

  // -------------------------------------------------------------------------------------
  // Names and types
  // -------------------------------------------------------------------------------------

  identifier(ctx: C.IdentifierCstChildren): A.Ident {
    if (ctx.QuotedIdentifier) {
      const tok = one(ctx.QuotedIdentifier);
      const name = L.unquoteIdentifier(tok.image);
      if (name === '') this.fail('a quoted name cannot be empty', tokenSpan(tok));
      return { name, quoted: true, span: tokenSpan(tok) };
    }
    const tok = one(ctx.Identifier ?? ctx.NonReserved);
    return { name: tok.image.toLowerCase(), quoted: false, span: tokenSpan(tok) };
  }

  typeName(ctx: C.TypeNameCstChildren): A.TypeName {
    const name: A.TypeName['name'] = ctx.BooleanType
      ? 'BOOLEAN'
      : ctx.IntType
        ? 'INT'
        : ctx.BigintType
          ? 'BIGINT'
          : ctx.DoubleType || ctx.FloatType
            ? 'DOUBLE'
            : ctx.DecimalType
              ? 'DECIMAL'
              : ctx.VarcharType || ctx.TextType
                ? 'VARCHAR'
                : ctx.TimestampType
                  ? 'TIMESTAMP'
                  : ctx.DateType
                    ? 'DATE'
                    : 'INTERVAL';
    const params = ctx.typeParams ? this.typeParams(one(ctx.typeParams).children) : [];
    return { kind: 'TypeName', name, params, span: spanOf(ctx) };
  }

  typeParams(ctx: C.TypeParamsCstChildren): number[] {
    return ctx.NumberLiteral.map((tok) => {
      if (!/^\d+$/.test(tok.image)) this.fail(`expected a whole number, found '${tok.image}'`, tokenSpan(tok));
      return Number(tok.image);
    });
  }
}

function hasQueryClauses(q: A.Query): boolean {
  return q.with.length > 0 || q.orderBy.length > 0 || q.limit !== undefined || q.offset !== undefined || q.emit !== undefined;
}

/** `a op b op c` → `((a op b) op c)`. */
function foldBinary(operands: readonly A.Expr[], ops: readonly A.BinaryOp[]): A.Expr {
  let left = one(operands);
  for (let i = 0; i < ops.length; i++) {
    const right = operands[i + 1]!;
    left = { kind: 'Binary', op: ops[i]!, left, right, span: joinSpans(left.span, right.span) };
  }
  return left;
}

/** The one AST builder, reused for every parse. */
export const astBuilder = new AstBuilder();
