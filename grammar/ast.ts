/**
 * The abstract syntax tree of sluice's SQL dialect: what the text says, before any name is
 * resolved. Every node is a plain readonly object with a `kind` and the `span` of the text
 * it came from, so later stages can point errors at it.
 */
import type { Span } from '../src/errors.js';

export type { Span };

/** An identifier: `name` is lower-cased unless the identifier was double-quoted. */
export interface Ident {
  readonly name: string;
  readonly quoted: boolean;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

/** A type as written: `name` is canonical (INTEGER → INT, TEXT/STRING → VARCHAR, FLOAT/REAL → DOUBLE). */
export interface TypeName {
  readonly kind: 'TypeName';
  readonly name: 'BOOLEAN' | 'INT' | 'BIGINT' | 'DOUBLE' | 'DECIMAL' | 'VARCHAR' | 'TIMESTAMP' | 'DATE' | 'INTERVAL';
  /** DECIMAL(p, s) or VARCHAR(n) parameters, kept for display. */
  readonly params: readonly number[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NullLit
  | IntervalLit
  | TypedLit
  | ColumnRef
  | Param
  | Unary
  | Binary
  | IsNull
  | Between
  | InList
  | Like
  | Case
  | Cast
  | Extract
  | FuncCall
  | Exists
  | InSubquery
  | ScalarSubquery;

/** A numeric literal; `isInteger` is true when written without a point or exponent. */
export interface NumberLit {
  readonly kind: 'NumberLit';
  readonly value: number;
  readonly text: string;
  readonly isInteger: boolean;
  readonly span: Span;
}
export interface StringLit {
  readonly kind: 'StringLit';
  readonly value: string;
  readonly span: Span;
}
export interface BoolLit {
  readonly kind: 'BoolLit';
  readonly value: boolean;
  readonly span: Span;
}
export interface NullLit {
  readonly kind: 'NullLit';
  readonly span: Span;
}

export type IntervalUnit = 'MILLISECOND' | 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';

/**
 * `INTERVAL '10' SECOND`, `INTERVAL '10' SECONDS` or `INTERVAL '10 seconds'`, normalized to
 * milliseconds. `text` keeps the written form for error messages and EXPLAIN.
 */
export interface IntervalLit {
  readonly kind: 'IntervalLit';
  readonly ms: number;
  readonly text: string;
  readonly span: Span;
}

/** `TIMESTAMP '2024-01-01 00:00:00'` or `DATE '2024-01-01'`; the text is checked by the binder. */
export interface TypedLit {
  readonly kind: 'TypedLit';
  readonly type: 'TIMESTAMP' | 'DATE';
  readonly value: string;
  readonly span: Span;
}

/** `col` or `t.col`. */
export interface ColumnRef {
  readonly kind: 'ColumnRef';
  readonly qualifier: Ident | undefined;
  readonly name: Ident;
  readonly span: Span;
}

/** A `?` parameter; `index` counts from 0 in order of appearance in the statement. */
export interface Param {
  readonly kind: 'Param';
  readonly index: number;
  readonly span: Span;
}

export interface Unary {
  readonly kind: 'Unary';
  readonly op: '-' | '+' | 'NOT';
  readonly operand: Expr;
  readonly span: Span;
}

export type BinaryOp =
  | 'OR'
  | 'AND'
  | '='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | '||'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  /** JSON: the value at a path as JSON text (`->`) or as text (`->>`). */
  | '->'
  | '->>';

export interface Binary {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/** `x IS [NOT] NULL`. */
export interface IsNull {
  readonly kind: 'IsNull';
  readonly expr: Expr;
  readonly negated: boolean;
  readonly span: Span;
}

/** `x [NOT] BETWEEN low AND high`. */
export interface Between {
  readonly kind: 'Between';
  readonly expr: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly negated: boolean;
  readonly span: Span;
}

/** `x [NOT] IN (a, b, …)`. */
export interface InList {
  readonly kind: 'InList';
  readonly expr: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
  readonly span: Span;
}

/** `x [NOT] LIKE pattern`. */
export interface Like {
  readonly kind: 'Like';
  readonly expr: Expr;
  readonly pattern: Expr;
  readonly negated: boolean;
  /** `x [NOT] SIMILAR TO pattern`: the pattern is a regular expression matching all of x (DuckDB). */
  readonly similar?: true;
  readonly span: Span;
}

/** `EXISTS (query)` (NOT EXISTS is a NOT over it). */
export interface Exists {
  readonly kind: 'Exists';
  readonly query: Query;
  readonly span: Span;
}

/** `x [NOT] IN (query)`: the query yields one column. */
export interface InSubquery {
  readonly kind: 'InSubquery';
  readonly expr: Expr;
  readonly query: Query;
  readonly negated: boolean;
  readonly span: Span;
}

/** `(query)` as a value: one column, at most one row (NULL when none). */
export interface ScalarSubquery {
  readonly kind: 'ScalarSubquery';
  readonly query: Query;
  readonly span: Span;
}

/** `CASE [operand] WHEN … THEN … [ELSE …] END`. */
export interface Case {
  readonly kind: 'Case';
  readonly operand: Expr | undefined;
  readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly else: Expr | undefined;
  readonly span: Span;
}

/** `CAST(x AS t)` or `x::t`. */
export interface Cast {
  readonly kind: 'Cast';
  readonly expr: Expr;
  readonly type: TypeName;
  readonly span: Span;
}

export type ExtractField =
  | 'YEAR'
  | 'QUARTER'
  | 'MONTH'
  | 'WEEK'
  | 'DAY'
  | 'DOW'
  | 'DOY'
  | 'HOUR'
  | 'MINUTE'
  | 'SECOND'
  | 'MILLISECOND'
  | 'EPOCH';

/** `EXTRACT(field FROM x)`. */
export interface Extract {
  readonly kind: 'Extract';
  readonly field: ExtractField;
  readonly expr: Expr;
  readonly span: Span;
}

/**
 * A function call: scalar (`LOWER(x)`), aggregate (`COUNT(DISTINCT x)`, `COUNT(*)`), group
 * window (`TUMBLE(ts, INTERVAL '1' MINUTE)`, `TUMBLE_START(…)`) or window function with OVER.
 * `name` is upper-cased.
 */
export interface FuncCall {
  readonly kind: 'FuncCall';
  readonly name: string;
  readonly nameSpan: Span;
  readonly args: readonly Expr[];
  readonly distinct: boolean;
  /** `COUNT(*)`. */
  readonly star: boolean;
  /** `COUNT(v.*)` (MATCH_RECOGNIZE): the variable whose rows are counted; `star` is false, `args` empty. */
  readonly starQualifier?: Ident;
  readonly over: WindowSpec | undefined;
  /** `agg(…) FILTER (WHERE cond)`: only rows where `cond` is TRUE feed the aggregate. */
  readonly filter?: Expr;
  /** `LAG(x) IGNORE NULLS` (or `LAG(x IGNORE NULLS)`); `RESPECT NULLS` is the default, said aloud. */
  readonly nullTreatment?: NullTreatment;
  readonly span: Span;
}

/** A navigation window function's treatment of NULL values. */
export interface NullTreatment {
  /** True for IGNORE NULLS: rows whose value is NULL are skipped as if absent. */
  readonly ignore: boolean;
  readonly span: Span;
}

/** `OVER (PARTITION BY … ORDER BY … [ROWS|RANGE frame])`. */
export interface WindowSpec {
  readonly kind: 'WindowSpec';
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly OrderItem[];
  readonly frame: Frame | undefined;
  readonly span: Span;
}

/** `ROWS|RANGE BETWEEN start AND end`, or `ROWS|RANGE start` (end = CURRENT ROW). */
export interface Frame {
  readonly kind: 'Frame';
  readonly unit: 'ROWS' | 'RANGE';
  readonly start: FrameBound;
  readonly end: FrameBound;
  readonly span: Span;
}

export type FrameBound =
  | { readonly kind: 'UnboundedPreceding'; readonly span: Span }
  | { readonly kind: 'Preceding'; readonly offset: Expr; readonly span: Span }
  | { readonly kind: 'CurrentRow'; readonly span: Span }
  | { readonly kind: 'Following'; readonly offset: Expr; readonly span: Span }
  | { readonly kind: 'UnboundedFollowing'; readonly span: Span };

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

/** A full query: `[WITH …] body [ORDER BY …] [LIMIT n [OFFSET m]] [EMIT …]`. */
export interface Query {
  readonly kind: 'Query';
  readonly with: readonly Cte[];
  readonly body: SetExpr;
  readonly orderBy: readonly OrderItem[];
  readonly limit: Expr | undefined;
  /** `LIMIT n OFFSET m`: rows to skip before the first one returned. */
  readonly offset?: Expr;
  readonly emit: Emit | undefined;
  readonly span: Span;
}

/** `EMIT CHANGES` (the default) or `EMIT ON WINDOW CLOSE`. */
export interface Emit {
  readonly kind: 'Emit';
  readonly mode: 'CHANGES' | 'ON_WINDOW_CLOSE';
  readonly span: Span;
}

/** `name [(col, …)] AS (query)`. */
export interface Cte {
  readonly kind: 'Cte';
  readonly name: Ident;
  readonly columns: readonly Ident[];
  readonly query: Query;
  readonly span: Span;
}

export type SetExpr = Select | SetOp;

/** `left UNION|INTERSECT|EXCEPT [ALL] right`; without ALL, duplicates are removed. */
export interface SetOp {
  readonly kind: 'SetOp';
  readonly op: 'UNION' | 'INTERSECT' | 'EXCEPT';
  readonly all: boolean;
  readonly left: SetExpr;
  readonly right: SetExpr;
  readonly span: Span;
}

/** One SELECT block. */
export interface Select {
  readonly kind: 'Select';
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  readonly from: FromItem | undefined;
  readonly where: Expr | undefined;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | undefined;
  readonly span: Span;
}

export type SelectItem = StarItem | ExprItem;

/** `*` or `t.*`. */
export interface StarItem {
  readonly kind: 'StarItem';
  readonly qualifier: Ident | undefined;
  readonly span: Span;
}

/** `expr [AS alias]`. */
export interface ExprItem {
  readonly kind: 'ExprItem';
  readonly expr: Expr;
  readonly alias: Ident | undefined;
  readonly span: Span;
}

export interface OrderItem {
  readonly kind: 'OrderItem';
  readonly expr: Expr;
  readonly desc: boolean;
  /** NULLS FIRST / LAST when written. */
  readonly nulls: 'FIRST' | 'LAST' | undefined;
  readonly span: Span;
}

export type FromItem = TableRef | SubqueryRef | WindowTvf | ChangesRef | Join | MatchRecognize;

/** `AS OF TIMESTAMP '…'` or `AS OF OFFSET n`. */
export interface AsOf {
  readonly kind: 'AsOf';
  readonly by: 'TIMESTAMP' | 'OFFSET';
  readonly value: Expr;
  readonly span: Span;
}

/** A named source or view, with optional alias and time travel. */
export interface TableRef {
  readonly kind: 'TableRef';
  readonly name: Ident;
  readonly alias: Ident | undefined;
  readonly asOf: AsOf | undefined;
  /** `FOR SYSTEM_TIME AS OF expr`: the right side of a temporal join, versioned at `expr`. */
  readonly systemTime?: Expr;
  readonly span: Span;
}

/** `(query) [AS] alias`. */
export interface SubqueryRef {
  readonly kind: 'SubqueryRef';
  readonly query: Query;
  readonly alias: Ident | undefined;
  readonly span: Span;
}

export type WindowKind = 'TUMBLE' | 'HOP' | 'SESSION' | 'CUMULATE';

/**
 * A window table-valued function in either spelling:
 * `TUMBLE(bids, date_time, INTERVAL '10' SECOND)` or
 * `TABLE(TUMBLE(TABLE bids, DESCRIPTOR(date_time), INTERVAL '10' SECOND))`.
 * `args` are the interval arguments after the time column (size; slide, size; gap;
 * step, max size; each optionally followed by an offset). Both spellings give the same node.
 */
export interface WindowTvf {
  readonly kind: 'WindowTvf';
  readonly fn: WindowKind;
  readonly fnSpan: Span;
  /** The input: a table name or a parenthesized subquery. */
  readonly input: TableRef | SubqueryRef;
  /** SESSION's `PARTITION BY` columns, written inside the call after the table. */
  readonly partitionBy: readonly ColumnRef[];
  readonly timeCol: ColumnRef;
  readonly args: readonly Expr[];
  readonly alias: Ident | undefined;
  readonly span: Span;
}

/**
 * `input MATCH_RECOGNIZE (…) [AS] alias`: row pattern recognition. Optional clauses the
 * query left out are undefined; `rowsPerMatch` and `afterMatch` keep what was written so the
 * binder can refuse forms outside the supported subset.
 */
export interface MatchRecognize {
  readonly kind: 'MatchRecognize';
  readonly input: Ident;
  readonly partitionBy: readonly ColumnRef[];
  readonly orderBy: readonly OrderItem[];
  readonly measures: readonly { readonly expr: Expr; readonly alias: Ident; readonly span: Span }[];
  readonly rowsPerMatch: { readonly one: boolean; readonly span: Span } | undefined;
  readonly afterMatch:
    | { readonly skip: 'PAST_LAST_ROW' | 'TO_NEXT_ROW'; readonly span: Span }
    | { readonly skip: 'TO_FIRST' | 'TO_LAST'; readonly variable: Ident; readonly span: Span }
    | undefined;
  readonly pattern: RowPattern;
  /** `WITHIN INTERVAL …`, in ms. */
  readonly withinMs: number | undefined;
  readonly withinSpan: Span | undefined;
  readonly defines: readonly { readonly name: Ident; readonly cond: Expr; readonly span: Span }[];
  readonly alias: Ident | undefined;
  readonly span: Span;
}

/** A row pattern as written; `max` null is unbounded. */
export type RowPattern =
  | { readonly kind: 'PatternVar'; readonly name: Ident; readonly span: Span }
  | { readonly kind: 'PatternSeq'; readonly items: readonly RowPattern[]; readonly span: Span }
  | { readonly kind: 'PatternAlt'; readonly items: readonly RowPattern[]; readonly span: Span }
  | {
      readonly kind: 'PatternQuant';
      readonly term: RowPattern;
      readonly min: number;
      readonly max: number | null;
      readonly reluctant: boolean;
      readonly span: Span;
    }
  | { readonly kind: 'PatternEmpty'; readonly span: Span }
  /** Forms parsed only to be refused by name: PERMUTE, `{- … -}`, `^`, `$`. */
  | { readonly kind: 'PatternUnsupported'; readonly form: string; readonly span: Span };

/** `CHANGES(v) [AS alias]`: a view's change history. */
export interface ChangesRef {
  readonly kind: 'ChangesRef';
  readonly name: Ident;
  readonly alias: Ident | undefined;
  readonly span: Span;
}

export type JoinType = 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';

/** `left [INNER|LEFT|RIGHT|FULL [OUTER]|CROSS] JOIN right [ON cond | USING (cols)]`; `,` is a CROSS join. */
export interface Join {
  readonly kind: 'Join';
  readonly joinType: JoinType;
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on: Expr | undefined;
  readonly using: readonly Ident[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------

export type Statement =
  | CreateSource
  | CreateView
  | CreateSink
  | Insert
  | QueryStatement
  | Subscribe
  | Drop
  | AlterSource
  | Show
  | Describe
  | Explain
  | Checkpoint
  | SetStatement
  | Rebuild
  | Update
  | Delete;

/** `key = value` in a WITH (…) option list; `key` is lower-cased, `value` a literal. */
export interface OptionItem {
  readonly key: string;
  readonly value: string | number | boolean;
  readonly span: Span;
}

export interface ColumnDef {
  readonly kind: 'ColumnDef';
  readonly name: Ident;
  readonly type: TypeName;
  readonly span: Span;
}

/** `WATERMARK FOR col AS expr`. */
export interface WatermarkDef {
  readonly kind: 'WatermarkDef';
  readonly column: Ident;
  readonly expr: Expr;
  readonly span: Span;
}

export interface CreateSource {
  readonly kind: 'CreateSource';
  readonly orReplace: boolean;
  readonly ifNotExists: boolean;
  readonly name: Ident;
  readonly columns: readonly ColumnDef[];
  readonly watermark: WatermarkDef | undefined;
  readonly options: readonly OptionItem[];
  readonly span: Span;
}

export interface CreateView {
  readonly kind: 'CreateView';
  readonly materialized: boolean;
  readonly orReplace: boolean;
  readonly ifNotExists: boolean;
  readonly name: Ident;
  /** `WITH (state_ttl = '…')` before AS; empty when absent. */
  readonly options: readonly OptionItem[];
  readonly query: Query;
  /** The query's text exactly as written, kept in the catalog. */
  readonly queryText: string;
  readonly span: Span;
}

export interface CreateSink {
  readonly kind: 'CreateSink';
  readonly orReplace: boolean;
  readonly ifNotExists: boolean;
  readonly name: Ident;
  readonly from: Ident;
  readonly options: readonly OptionItem[];
  readonly span: Span;
}

/** `INSERT INTO t [(cols)] [EXPECTED VERSION n] VALUES (…), (…)`. */
export interface Insert {
  readonly kind: 'Insert';
  readonly table: Ident;
  readonly columns: readonly Ident[];
  /** The stream version the rows' key must be at for the append to happen (SPEC 2.7). */
  readonly expectedVersion?: ExpectedVersion;
  readonly rows: readonly (readonly Expr[])[];
  readonly span: Span;
}

/** `EXPECTED VERSION n`, with its span for a CONFLICT error to point at. */
export interface ExpectedVersion {
  readonly version: number;
  readonly span: Span;
}

/** A query run on its own: a streaming SELECT or a pull query. */
export interface QueryStatement {
  readonly kind: 'QueryStatement';
  readonly query: Query;
  readonly span: Span;
}

export interface Subscribe {
  readonly kind: 'Subscribe';
  readonly name: Ident;
  readonly span: Span;
}

export type ObjectKind = 'SOURCE' | 'VIEW' | 'MATERIALIZED_VIEW' | 'SINK';

export interface Drop {
  readonly kind: 'Drop';
  readonly objectKind: ObjectKind;
  readonly ifExists: boolean;
  readonly name: Ident;
  readonly span: Span;
}

/**
 * `ALTER SOURCE s ADD [COLUMN] c TYPE [DEFAULT expr]` (`column`, `default`), or a change of
 * an existing column (`change`): `RENAME [COLUMN] a TO b`, `DROP [COLUMN] a`, `ALTER [COLUMN] a TYPE t`.
 */
export interface AlterSource {
  readonly kind: 'AlterSource';
  readonly name: Ident;
  readonly column: ColumnDef | undefined;
  readonly default: Expr | undefined;
  readonly change?: AlterColumnChange;
  readonly span: Span;
}

export type AlterColumnChange =
  | { readonly kind: 'RenameColumn'; readonly column: Ident; readonly to: Ident }
  | { readonly kind: 'DropColumn'; readonly column: Ident }
  | { readonly kind: 'AlterColumnType'; readonly column: Ident; readonly type: TypeName };

/** `SHOW SOURCES | VIEWS | MATERIALIZED VIEWS | SINKS` or `SHOW setting`. */
export interface Show {
  readonly kind: 'Show';
  readonly what: 'SOURCES' | 'VIEWS' | 'MATERIALIZED_VIEWS' | 'SINKS' | 'SETTING';
  /** The setting name for `SHOW name`. */
  readonly setting: Ident | undefined;
  readonly span: Span;
}

export interface Describe {
  readonly kind: 'Describe';
  readonly name: Ident;
  readonly span: Span;
}

/** `EXPLAIN statement` (a query or a CREATE … VIEW). */
export interface Explain {
  readonly kind: 'Explain';
  readonly statement: Statement;
  readonly span: Span;
}

export interface Checkpoint {
  readonly kind: 'Checkpoint';
  readonly span: Span;
}

/** `SET name = value` (also `SET name TO value`). */
export interface SetStatement {
  readonly kind: 'Set';
  readonly name: Ident;
  readonly value: string | number | boolean;
  readonly span: Span;
}

export interface Rebuild {
  readonly kind: 'Rebuild';
  readonly name: Ident;
  readonly span: Span;
}

/** Parsed only to be rejected: events are immutable. */
export interface Update {
  readonly kind: 'Update';
  readonly table: Ident;
  readonly span: Span;
}

/** Parsed only to be rejected: events are immutable. */
export interface Delete {
  readonly kind: 'Delete';
  readonly table: Ident;
  readonly span: Span;
}

/** A parsed script: its statements and the text they came from. */
export interface Script {
  readonly statements: readonly Statement[];
  /** The text of each statement, in order, without the trailing `;`. */
  readonly texts: readonly string[];
  readonly sql: string;
}
