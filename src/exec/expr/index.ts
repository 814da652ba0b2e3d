/** The expression compiler: bound expressions → fused loops over Arrow columns. */
export { compileExpr, compilePredicate, type CompiledExpr, type CompiledPredicate } from './compile.js';
export { evalConst, foldConstants } from './fold.js';
