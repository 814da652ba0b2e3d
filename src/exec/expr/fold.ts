/**
 * Constant folding before code generation: any subtree that reads no column and no
 * parameter is evaluated once with the scalar implementations of functions.ts and becomes a
 * literal; AND/OR drop literal TRUE/FALSE operands and CASE drops branches that can never
 * be taken. The generated loop then only does per-row work.
 */
import type { BoundExpr, CaseExpr, LiteralExpr } from '../../plan/expr.js';
import type { Value } from '../../types.js';
import { castValue, evalScalar } from '../../plan/functions.js';
import { SluiceError } from '../../errors.js';

function literal(value: Value, e: BoundExpr): LiteralExpr {
  return { kind: 'Literal', value, type: e.type };
}

function isLit(e: BoundExpr): e is LiteralExpr {
  return e.kind === 'Literal';
}

/** Evaluates an expression that reads no column and no parameter. */
export function evalConst(e: BoundExpr): Value {
  switch (e.kind) {
    case 'Literal':
      return e.value;
    case 'Cast':
      return castValue(evalConst(e.expr), e.expr.type, e.type);
    case 'Call': {
      // AND/OR and CASE-like functions need only the operands they look at, but every
      // operand is constant here, so evaluating all of them is harmless.
      try {
        return evalScalar(e.fn, e.args.map(evalConst), e.type, e.args.map((a) => a.type));
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'OVERFLOW') throw err;
        throw new SluiceError('INTERNAL', `cannot evaluate ${e.fn}: ${(err as Error).message}`);
      }
    }
    case 'Case':
      for (const w of e.whens) if (evalConst(w.when) === true) return evalConst(w.then);
      return e.else === null ? null : evalConst(e.else);
    case 'Column':
    case 'Param':
      throw new SluiceError('INTERNAL', `evalConst of a ${e.kind}`);
  }
}

/** The expression with every constant subtree replaced by its value. */
export function foldConstants(e: BoundExpr): BoundExpr {
  switch (e.kind) {
    case 'Literal':
    case 'Column':
    case 'Param':
      return e;
    case 'Cast': {
      const inner = foldConstants(e.expr);
      if (isLit(inner)) return literal(castValue(inner.value, inner.type, e.type), e);
      return inner === e.expr ? e : { ...e, expr: inner };
    }
    case 'Call': {
      const args = e.args.map(foldConstants);
      if (args.every(isLit)) return literal(evalConst({ ...e, args }), e);
      if (e.fn === 'and' || e.fn === 'or') {
        const absorbing = e.fn === 'or';
        if (args.some((a) => isLit(a) && a.value === absorbing)) return literal(absorbing, e);
        const rest = args.filter((a) => !(isLit(a) && a.value === !absorbing));
        if (rest.length === 1 && rest[0]!.type === 'BOOLEAN') return rest[0]!;
        if (rest.length === 0) return literal(!absorbing, e);
        return { ...e, args: rest };
      }
      return { ...e, args };
    }
    case 'Case':
      return foldCase(e);
  }
}

function foldCase(e: CaseExpr): BoundExpr {
  const whens: { when: BoundExpr; then: BoundExpr }[] = [];
  for (const w of e.whens) {
    const when = foldConstants(w.when);
    const then = foldConstants(w.then);
    if (isLit(when)) {
      // A constant FALSE/NULL condition is never taken; a constant TRUE ends the chain.
      if (when.value !== true) continue;
      if (whens.length === 0) return then;
      return { ...e, whens, else: then };
    }
    whens.push({ when, then });
  }
  const otherwise = e.else === null ? null : foldConstants(e.else);
  if (whens.length === 0) return otherwise ?? literal(null, e);
  return { ...e, whens, else: otherwise };
}
