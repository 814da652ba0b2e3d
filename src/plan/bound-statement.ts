/** A statement after binding: what the engine must do, with every name resolved. */
import type { ObjectKind } from '../../grammar/ast.js';
import type { CreateMode } from '../catalog/catalog.js';
import type { SinkDef, SourceColumn, SourceDef, ViewDef } from '../catalog/definitions.js';
import type { Span, TextOrigin } from '../errors.js';
import type { Value } from '../types.js';
import type { SchemaChange } from '../catalog/schema-change.js';
import type { LogicalPlan } from './logical-plan.js';

export type { SchemaChange };

export type BoundStatement =
  | { readonly kind: 'CreateSource'; readonly def: SourceDef; readonly mode: CreateMode; readonly span: Span }
  | { readonly kind: 'CreateView'; readonly def: ViewDef; readonly plan: LogicalPlan; readonly mode: CreateMode; readonly span: Span }
  | { readonly kind: 'CreateSink'; readonly def: SinkDef; readonly mode: CreateMode; readonly span: Span }
  /** Rows in the source's column order, already in the representation of each column's type. */
  | {
      readonly kind: 'Insert';
      readonly source: string;
      readonly rows: readonly (readonly Value[])[];
      /** EXPECTED VERSION: append only if the rows' stream is at this version (SPEC 2.7). */
      readonly expectedVersion?: { readonly version: number; readonly span: Span };
    }
  /** A continuous query over sources. */
  | { readonly kind: 'StreamQuery'; readonly plan: LogicalPlan }
  /** A query over materialized views, system tables and AS OF reads only, answered by DuckDB. */
  | ({ readonly kind: 'PullQuery' } & PullQuery)
  | { readonly kind: 'Subscribe'; readonly view: string }
  | { readonly kind: 'Drop'; readonly objectKind: ObjectKind; readonly name: string; readonly ifExists: boolean; readonly span: Span }
  | {
      readonly kind: 'AlterSource';
      readonly source: string;
      /** ADD COLUMN: the new column (for the other forms, the changed column after the change). */
      readonly column: SourceColumn;
      /** The source after the change. */
      readonly def: SourceDef;
      /** RENAME, DROP, ALTER … TYPE (absent for ADD COLUMN), and the materialized views to plan again. */
      readonly change?: SchemaChange;
      readonly replan?: readonly string[];
    }
  | { readonly kind: 'Show'; readonly what: 'SOURCES' | 'VIEWS' | 'MATERIALIZED_VIEWS' | 'SINKS' | 'SETTING'; readonly setting?: string; readonly span: Span }
  | { readonly kind: 'Describe'; readonly name: string }
  /** EXPLAIN of a streaming query (`plan`) or of a pull query (`pull`, explained by DuckDB). */
  | { readonly kind: 'Explain'; readonly plan?: LogicalPlan; readonly pull?: PullQuery }
  | { readonly kind: 'Checkpoint' }
  | { readonly kind: 'Set'; readonly name: string; readonly value: string | number | boolean; readonly span: Span }
  | { readonly kind: 'Rebuild'; readonly view: string };

/** A pull query: its DuckDB text, where that text came from, and the AS OF reads it needs first. */
export interface PullQuery {
  readonly sql: string;
  readonly origin: TextOrigin;
  /** Each read's replay plan, materialized into the temporary table `table` the text names. */
  readonly asOf: readonly AsOfRead[];
}

/** One `x AS OF …` of a pull query: the plan that replays x up to the point. */
export interface AsOfRead {
  readonly table: string;
  readonly plan: LogicalPlan;
  /** The name read (a view's may be answered from its retained snapshots). */
  readonly view?: string;
}
