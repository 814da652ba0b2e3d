/**
 * The view options about versions and history (SPEC 2.7): `primary_key = 'a, b'` names the
 * columns that key the view's versions (the right side of a temporal join), and
 * `retain_history = '7 days'` how far back, in event time, AS OF may read the view.
 */
import type { CreateView } from '../../../grammar/ast.js';
import { parseIntervalText } from '../../catalog/interval-text.js';
import { SluiceError } from '../../errors.js';
import type { Schema } from '../../types.js';
import { closest } from './suggest.js';

export function viewHistoryOptions(s: CreateView, schema: Schema): { primaryKey?: readonly number[]; retainHistoryMs?: number } {
  const out: { primaryKey?: readonly number[]; retainHistoryMs?: number } = {};
  for (const o of s.options) {
    if (o.key === 'primary_key') {
      const names = typeof o.value === 'string' ? o.value.split(',').map((n) => n.trim()) : [];
      if (names.length === 0 || names.some((n) => n === '')) {
        throw new SluiceError('TYPE', `primary_key must name columns such as 'currency' or 'a, b', got ${JSON.stringify(o.value)}`, { span: o.span });
      }
      out.primaryKey = names.map((n) => {
        const i = schema.findIndex((c) => c.name.toLowerCase() === n.toLowerCase());
        if (i < 0) {
          const hint = closest(n, schema.map((c) => c.name));
          throw new SluiceError('BIND', `primary_key '${n}' is not a column of view '${s.name.name}'${hint ? `: did you mean '${hint}'?` : ''}`, { span: o.span });
        }
        return i;
      });
    } else if (o.key === 'retain_history') {
      const ms = typeof o.value === 'string' ? parseIntervalText(o.value) : undefined;
      if (ms === undefined || !(ms > 0)) {
        throw new SluiceError('TYPE', `retain_history must be a positive interval such as '7 days', got ${JSON.stringify(o.value)}`, { span: o.span });
      }
      out.retainHistoryMs = ms;
    }
  }
  return out;
}
