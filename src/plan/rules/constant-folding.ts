/**
 * Constant folding: evaluates every sub-expression without column or parameter references
 * once at plan time, simplifies AND/OR/CASE with constant operands, and drops filters that
 * are always TRUE.
 */
import type { Value } from '../../types.js';
import { lit, type BoundExpr } from '../expr.js';
import { castValue, evalScalar } from '../functions.js';
import { filterNode } from '../node-builders.js';
import { mapNodeExprs, transformUp } from '../rewrite.js';
import type { Rule } from './rule.js';

function isLit(e: BoundExpr): e is Extract<BoundExpr, { kind: 'Literal' }> {
  return e.kind === 'Literal';
}

/** Folds an expression as far as it goes. */
export function foldExpr(e: BoundExpr): BoundExpr {
  switch (e.kind) {
    case 'Column':
    case 'Literal':
    case 'Param':
      return e;
    case 'Cast': {
      const x = foldExpr(e.expr);
      return isLit(x) ? lit(castValue(x.value, x.type, e.type), e.type) : { ...e, expr: x };
    }
    case 'Case': {
      const whens: { when: BoundExpr; then: BoundExpr }[] = [];
      for (const w of e.whens) {
        const when = foldExpr(w.when);
        const then = foldExpr(w.then);
        if (isLit(when)) {
          if (when.value === true) {
            if (whens.length === 0) return then;
            return { ...e, whens, else: then };
          }
          continue; // FALSE or NULL: this branch never fires
        }
        whens.push({ when, then });
      }
      const els = e.else ? foldExpr(e.else) : null;
      if (whens.length === 0) return els ?? lit(null, e.type);
      return { ...e, whens, else: els };
    }
    case 'Call': {
      const args = e.args.map(foldExpr);
      if (e.fn === 'and' || e.fn === 'or') {
        const absorbing = e.fn === 'or';
        if (args.some((a) => isLit(a) && a.value === absorbing)) return lit(absorbing, 'BOOLEAN');
        const rest = args.filter((a) => !(isLit(a) && a.value === !absorbing));
        if (rest.length === 0) return lit(!absorbing, 'BOOLEAN');
        if (rest.length === 1 && !isLit(rest[0]!)) return rest[0]!;
        if (rest.every(isLit)) return lit(evalScalar(e.fn, rest.map((a) => a.value), e.type), e.type);
        return { ...e, args: rest.length === 1 ? [rest[0]!, lit(!absorbing, 'BOOLEAN')] : rest };
      }
      if (args.every(isLit)) return lit(evalScalar(e.fn, args.map((a) => (a as { value: Value }).value), e.type, args.map((a) => a.type)), e.type);
      return { ...e, args };
    }
  }
}

/** The value of an expression without columns or parameters, or undefined when it has some. */
export function evaluateConstant(e: BoundExpr): Value | undefined {
  const f = foldExpr(e);
  return isLit(f) ? f.value : undefined;
}

export const constantFolding: Rule = {
  name: 'constant folding',
  apply: (plan) =>
    transformUp(plan, (node) => {
      const folded = mapNodeExprs(node, foldExpr);
      if (folded.kind === 'Filter' && isLit(folded.predicate) && folded.predicate.value === true) return folded.input;
      return folded.kind === 'Filter' ? filterNode(folded.input, folded.predicate) : folded;
    }),
};
