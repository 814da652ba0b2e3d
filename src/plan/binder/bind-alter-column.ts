/**
 * `ALTER SOURCE s RENAME [COLUMN] a TO b | DROP [COLUMN] a | ALTER [COLUMN] a TYPE t`: a
 * change of an existing column of a source fed by INSERT and the API. The log keeps every
 * event as it was written (renamed and widened in place; a dropped column's values move to a
 * table beside the log), so events of every schema version read in the new one.
 *
 * Views and sinks are not rewritten: every view that reads the source must plan to the same
 * columns and types under the new schema, or the change is refused naming the view.
 */
import type { AlterColumnChange } from '../../../grammar/ast.js';
import { Catalog } from '../../catalog/catalog.js';
import type { SourceColumn, SourceDef, ViewDef } from '../../catalog/definitions.js';
import { streamKeyOf } from '../../catalog/stream-key.js';
import { RESERVED_PREFIX } from '../../catalog/table-names.js';
import { SluiceError } from '../../errors.js';
import type { Schema, SqlType } from '../../types.js';
import type { SchemaChange } from '../bound-statement.js';
import { mapTypeName } from './bind-expr.js';
import { asDecimal, isDecimal, precisionOf, scaleOf } from '../../decimal.js';

/** Widenings every logged value survives unchanged (BIGINT stays within ±2^53, so DOUBLE holds it exactly). */
const WIDENINGS: Readonly<Record<string, readonly SqlType[]>> = { INT: ['BIGINT', 'DOUBLE'], BIGINT: ['DOUBLE'] };

/** DECIMAL(p,s) → DECIMAL with as many integer digits and at least the scale (an INT or BIGINT counts as DECIMAL(10,0)/(19,0)): every value exact. */
function widensDecimal(from: SqlType, to: SqlType): boolean {
  const a = asDecimal(from);
  if (a === undefined || !isDecimal(to)) return false;
  return scaleOf(to) >= scaleOf(a) && precisionOf(to) - scaleOf(to) >= precisionOf(a) - scaleOf(a);
}

/** The source after the change, what changed, and the materialized views that must be planned again. */
export function bindAlterColumn(
  src: SourceDef,
  change: AlterColumnChange,
  catalog: Catalog,
  bindView: (def: ViewDef, catalog: Catalog) => Schema,
): { def: SourceDef; change: SchemaChange; replan: string[] } {
  const form = change.kind === 'RenameColumn' ? 'RENAME COLUMN' : change.kind === 'DropColumn' ? 'DROP COLUMN' : 'ALTER COLUMN … TYPE';
  const span = change.column.span;
  if (src.connector !== 'none') {
    throw new SluiceError('UNSUPPORTED', `ALTER SOURCE … ${form} on '${src.name}', which reads its events from its ${src.connector} connector by column name: re-create the source`, { span });
  }
  const at = src.columns.findIndex((c) => c.name === change.column.name);
  if (at < 0) throw new SluiceError('CATALOG', `source '${src.name}' has no column '${change.column.name}'`, { span });
  const old = src.columns[at]!;
  const role = streamKeyOf(src)?.name === old.name ? 'stream key' : src.watermark?.column === old.name ? 'event-time (WATERMARK)' : null;
  if (role) throw new SluiceError('UNSUPPORTED', `ALTER SOURCE … ${form} of '${old.name}', the ${role} column of source '${src.name}'`, { span });
  const version = src.version + 1;
  let columns: SourceColumn[];
  let bound: SchemaChange;
  switch (change.kind) {
    case 'RenameColumn': {
      const to = change.to.name;
      if (to.toLowerCase().startsWith(RESERVED_PREFIX)) {
        throw new SluiceError('CATALOG', `the name '${to}' is reserved: names starting with sluice_ are sluice's own`, { span: change.to.span });
      }
      if (src.columns.some((c) => c.name === to)) throw new SluiceError('CATALOG', `source '${src.name}' already has a column '${to}'`, { span: change.to.span });
      columns = src.columns.map((c, i) => (i === at ? { ...c, name: to } : c));
      bound = { kind: 'rename', column: old.name, to };
      break;
    }
    case 'DropColumn':
      if (src.columns.length === 1) throw new SluiceError('CATALOG', `'${old.name}' is the only column of source '${src.name}'`, { span });
      columns = src.columns.filter((_, i) => i !== at);
      bound = { kind: 'drop', column: old.name, version };
      break;
    case 'AlterColumnType': {
      const to = mapTypeName(change.type);
      if (to === old.type) throw new SluiceError('CATALOG', `column '${old.name}' of source '${src.name}' is already ${to}`, { span: change.type.span });
      if (!(WIDENINGS[old.type] ?? []).includes(to) && !widensDecimal(old.type, to)) {
        throw new SluiceError(
          'UNSUPPORTED',
          `ALTER COLUMN ${old.name} TYPE ${to}: a column can only be widened (INT to BIGINT or DOUBLE, BIGINT to DOUBLE, DECIMAL(p,s) to more digits or scale), so that every logged ${old.type} reads the same`,
          { span: change.type.span },
        );
      }
      columns = src.columns.map((c, i) => (i === at ? { ...c, type: to } : c));
      bound = { kind: 'type', column: old.name, to };
      break;
    }
  }
  const def: SourceDef = { ...src, columns, version };
  return { def, change: bound, replan: readersThatStillPlan(src, def, old.name, form, catalog, bindView) };
}

/**
 * Checks that every view and sink over the source still means the same under `def`; returns
 * the materialized views that read the source directly (their scans change) in catalog order.
 */
function readersThatStillPlan(
  src: SourceDef,
  def: SourceDef,
  column: string,
  form: string,
  catalog: Catalog,
  bindView: (def: ViewDef, catalog: Catalog) => Schema,
): string[] {
  const replan: string[] = [];
  for (const e of catalog.all()) {
    if (e.kind === 'sink' && e.from === src.name) {
      throw new SluiceError('CATALOG', `cannot ${form} '${column}' of source '${src.name}': sink '${e.name}' writes all of its columns`);
    }
    if (e.kind !== 'view' || !e.dependsOn.includes(src.name)) continue;
    const scratch = new Catalog();
    for (const x of catalog.all()) if (x.name !== e.name) scratch.put(x.name === src.name ? def : x);
    let schema: Schema | null;
    try {
      schema = bindView(e, scratch);
    } catch {
      schema = null;
    }
    const same = schema !== null && schema.length === e.schema.length && schema.every((c, i) => c.name === e.schema[i]!.name && c.type === e.schema[i]!.type);
    if (!same) {
      const why = schema === null ? 'reads it' : 'would change its columns';
      throw new SluiceError('CATALOG', `cannot ${form} '${column}' of source '${src.name}': ${e.materialized ? 'materialized ' : ''}view '${e.name}' ${why} (drop the view first)`);
    }
    if (e.materialized) replan.push(e.name);
  }
  return replan;
}
