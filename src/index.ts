/**
 * sluice: an embedded streaming SQL engine.
 *
 * @example
 * import { Engine } from 'sluice';
 * const engine = await Engine.open();
 * await engine.execute(`CREATE SOURCE bids (auction BIGINT, price DOUBLE, ts TIMESTAMP,
 *   WATERMARK FOR ts AS ts - INTERVAL '4' SECOND)`);
 */
export {
  Engine,
  type OpenOptions,
  type ExecuteOptions,
  type StatementResult,
  type ResultColumn,
  type InsertResult,
  type InsertOptions,
  type QueryOptions,
  type Subscription,
  type LiveQuery,
  type SubscribeOptions,
  type Metrics,
  type Progress,
} from './engine/engine.js';
export type { Change, Row } from './engine/rows.js';
export { GroupMember, type GroupJoinOptions, type GroupRunOptions } from './group/group-member.js';
export { SluiceError, renderError, type ErrorCode } from './errors.js';
export type { SqlType } from './types.js';
