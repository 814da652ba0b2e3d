/** A statement after binding: what the engine must do, with every name resolved. */
import type { ObjectKind } from '../../grammar/ast.js';
import type { CreateMode } from '../catalog/catalog.js';
import type { SinkDef, SourceColumn, SourceDef, ViewDef } from '../catalog/definitions.js';
import type { Span } from '../errors.js';
import type { Value } from '../types.js';
import type { LogicalPlan } from './logical-plan.js';

export type BoundStatement =
  | { readonly kind: 'CreateSource'; readonly def: SourceDef; readonly mode: CreateMode; readonly span: Span }
  | { readonly kind: 'CreateView'; readonly def: ViewDef; readonly plan: LogicalPlan; readonly mode: CreateMode; readonly span: Span }
  | { readonly kind: 'CreateSink'; readonly def: SinkDef; readonly mode: CreateMode; readonly span: Span }
  /** Rows in the source's column order, already in the representation of each column's type. */
  | { readonly kind: 'Insert'; readonly source: string; readonly rows: readonly (readonly Value[])[] }
  /** A continuous query over sources. */
  | { readonly kind: 'StreamQuery'; readonly plan: LogicalPlan }
  /** A query over materialized views and system tables only, answered by DuckDB. */
  | { readonly kind: 'PullQuery'; readonly sql: string }
  | { readonly kind: 'Subscribe'; readonly view: string }
  | { readonly kind: 'Drop'; readonly objectKind: ObjectKind; readonly name: string; readonly ifExists: boolean; readonly span: Span }
  | { readonly kind: 'AlterSource'; readonly source: string; readonly column: SourceColumn }
  | { readonly kind: 'Show'; readonly what: 'SOURCES' | 'VIEWS' | 'MATERIALIZED_VIEWS' | 'SINKS' | 'SETTING'; readonly setting?: string; readonly span: Span }
  | { readonly kind: 'Describe'; readonly name: string }
  /** EXPLAIN of a streaming query (`plan`) or of a pull query (`pullSql`, explained by DuckDB). */
  | { readonly kind: 'Explain'; readonly plan?: LogicalPlan; readonly pullSql?: string }
  | { readonly kind: 'Checkpoint' }
  | { readonly kind: 'Set'; readonly name: string; readonly value: string | number | boolean; readonly span: Span }
  | { readonly kind: 'Rebuild'; readonly view: string };
