/** What binding a query needs to know beyond the AST. */
import type { Catalog } from '../../catalog/catalog.js';
import type { LogicalPlan, EmitMode, ReplayLimit } from '../logical-plan.js';
import type { Scope } from './scope.js';

/** A bound FROM item or query: its plan and the names it exposes. */
export interface BoundRelation {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
}

export interface BindContext {
  readonly catalog: Catalog;
  /** The text the AST's spans point into. */
  readonly sql: string;
  /** CTEs in scope, by name. */
  readonly ctes: ReadonlyMap<string, BoundRelation>;
  /** The statement's EMIT mode, applied to every window aggregate it contains. */
  readonly emit: EmitMode;
  /** Plain views being expanded (to report a cycle rather than recurse forever). */
  readonly expanding: ReadonlySet<string>;
  /** Time travel in force: sources are read only up to this point (AS OF). */
  readonly asOf?: ReplayLimit;
  /** The view's `state_ttl` (ms): joins drop stored rows that much older than the other side's watermark. */
  readonly stateTtlMs?: number;
}
