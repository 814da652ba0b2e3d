/**
 * The Nexmark data model: the columns of Person, Auction and Bid as RisingWave names them
 * (ids, prices and categories BIGINT; times TIMESTAMP; the rest VARCHAR).
 */
import type { Schema, SqlType } from '../../types.js';

export type NexmarkTable = 'person' | 'auction' | 'bid';

export const NEXMARK_TABLES: readonly NexmarkTable[] = ['person', 'auction', 'bid'];

function cols(spec: readonly (readonly [string, SqlType])[]): Schema {
  return spec.map(([name, type]) => ({ name, type }));
}

/** Column names and types of the three Nexmark tables. */
export const NEXMARK_SCHEMAS: Readonly<Record<NexmarkTable, Schema>> = {
  person: cols([
    ['id', 'BIGINT'],
    ['name', 'VARCHAR'],
    ['email_address', 'VARCHAR'],
    ['credit_card', 'VARCHAR'],
    ['city', 'VARCHAR'],
    ['state', 'VARCHAR'],
    ['date_time', 'TIMESTAMP'],
    ['extra', 'VARCHAR'],
  ]),
  auction: cols([
    ['id', 'BIGINT'],
    ['item_name', 'VARCHAR'],
    ['description', 'VARCHAR'],
    ['initial_bid', 'BIGINT'],
    ['reserve', 'BIGINT'],
    ['date_time', 'TIMESTAMP'],
    ['expires', 'TIMESTAMP'],
    ['seller', 'BIGINT'],
    ['category', 'BIGINT'],
    ['extra', 'VARCHAR'],
  ]),
  bid: cols([
    ['auction', 'BIGINT'],
    ['bidder', 'BIGINT'],
    ['price', 'BIGINT'],
    ['channel', 'VARCHAR'],
    ['url', 'VARCHAR'],
    ['date_time', 'TIMESTAMP'],
    ['extra', 'VARCHAR'],
  ]),
};

/**
 * Whether a column generated as `actual` may be declared as `declared`: the same type, or
 * DOUBLE for a BIGINT (both are Float64 columns, so the values pass through untouched).
 */
export function nexmarkTypeCompatible(actual: SqlType, declared: SqlType): boolean {
  return actual === declared || (actual === 'BIGINT' && declared === 'DOUBLE');
}
