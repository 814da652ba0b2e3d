/** A change of an existing source column (ALTER SOURCE … RENAME / DROP / ALTER … TYPE), as the catalog and the event log apply it. */
import type { SqlType } from '../types.js';

export type SchemaChange =
  | { readonly kind: 'rename'; readonly column: string; readonly to: string }
  /** `version`: the schema version the drop makes (names the table that keeps the values). */
  | { readonly kind: 'drop'; readonly column: string; readonly version: number }
  | { readonly kind: 'type'; readonly column: string; readonly to: SqlType };
