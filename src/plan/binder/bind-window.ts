/**
 * Window definitions from either form: the window table functions in FROM
 * (`TUMBLE(t, ts, size)`) and the group-window calls in GROUP BY (`TUMBLE(ts, size)`).
 */
import type { Expr, Span } from '../../../grammar/ast.js';
import { SluiceError } from '../../errors.js';
import type { WindowDef, WindowKind } from '../logical-plan.js';
import { evaluateConstant } from '../rules/constant-folding.js';
import { bindExpr } from './bind-expr.js';
import { Scope, type ScopeColumn } from './scope.js';

/** Argument names after the time column, per window kind (the optional offset comes last). */
const SIGNATURES: Record<WindowKind, { names: readonly string[]; offset: boolean }> = {
  TUMBLE: { names: ['size'], offset: true },
  HOP: { names: ['slide', 'size'], offset: true },
  CUMULATE: { names: ['step', 'size'], offset: true },
  SESSION: { names: ['gap'], offset: false },
};

export function windowSignature(kind: WindowKind, tvf: boolean): string {
  const s = SIGNATURES[kind];
  const args = [...(tvf ? ['table'] : []), 'time_column', ...s.names, ...(s.offset ? ['[offset]'] : [])];
  return `${kind}(${args.join(', ')})`;
}

/** Checks that a column can drive windows: a TIMESTAMP that the watermark follows. */
export function checkTimeColumn(kind: WindowKind, c: ScopeColumn, span: Span): void {
  if (c.type !== 'TIMESTAMP') {
    throw new SluiceError('TYPE', `${kind} needs a TIMESTAMP time column, but '${c.name}' is ${c.type}`, { span });
  }
  if (!c.timeAttr) {
    throw new SluiceError(
      'BIND',
      `'${c.name}' is not an event-time column: windows need the column named in the source's WATERMARK FOR clause`,
      { span },
    );
  }
}

/** Evaluates the interval arguments of a window and checks them. */
export function windowDef(
  kind: WindowKind,
  timeCol: number,
  partitionBy: readonly number[],
  args: readonly Expr[],
  sql: string,
  span: Span,
  tvf: boolean,
): WindowDef {
  const sig = SIGNATURES[kind];
  const min = sig.names.length;
  const max = min + (sig.offset ? 1 : 0);
  if (args.length < min || args.length > max) {
    throw new SluiceError(
      'BIND',
      `${kind} takes ${windowSignature(kind, tvf)}: expected ${min === max ? min : `${min} or ${max}`} interval argument${max === 1 ? '' : 's'} after the time column, got ${args.length}`,
      { span },
    );
  }
  const empty = new Scope([]);
  const values = args.map((a, i) => {
    const name = sig.names[i] ?? 'offset';
    const b = bindExpr(a, { scope: empty, sql, clause: `the ${kind} ${name}` });
    const v = b.type === 'INTERVAL' ? evaluateConstant(b) : undefined;
    if (typeof v !== 'number') {
      throw new SluiceError('TYPE', `the ${kind} ${name} must be a constant INTERVAL such as INTERVAL '10' SECOND`, { span: a.span });
    }
    if (name !== 'offset' && !(v > 0)) {
      throw new SluiceError('BIND', `the ${kind} ${name} must be positive`, { span: a.span });
    }
    return v;
  });
  const offset = sig.offset && values.length === max ? values[max - 1]! : 0;
  const base = { kind, timeCol, offset, partitionBy, size: 0, slide: 0, gap: 0 };
  switch (kind) {
    case 'TUMBLE':
      return { ...base, size: values[0]!, slide: values[0]! };
    case 'HOP':
      return { ...base, slide: values[0]!, size: values[1]! };
    case 'CUMULATE': {
      const [step, size] = [values[0]!, values[1]!];
      if (size % step !== 0) {
        throw new SluiceError('BIND', `the CUMULATE size must be a whole multiple of the step`, { span: args[1]!.span });
      }
      return { ...base, slide: step, size };
    }
    case 'SESSION':
      return { ...base, gap: values[0]! };
  }
}
