/** How EXPLAIN prints a MatchRecognize node: one line with every clause. */
import type { Schema } from '../types.js';
import { mapColumns } from './expr.js';
import { formatDuration, formatExpr } from './format-expr.js';
import type { MatchRecognizeNode, NavExpr } from './match-recognize-node.js';

/** The expression with each navigation printed as written (`LAST(B.price)`). */
function navText(n: NavExpr): string {
  const names: { name: string; type: Schema[number]['type'] }[] = n.navs.map((x) => ({ name: '?', type: x.type }));
  mapColumns(n.expr, (c) => {
    names[c.index] = { name: c.name, type: c.type };
    return c;
  });
  return formatExpr(n.expr, names);
}

export function matchRecognizeText(p: MatchRecognizeNode): string {
  const cols = p.input.schema;
  const order = p.orderBy.map((k) => `${cols[k.column]!.name}${k.desc ? ' DESC' : ''}`).join(', ');
  const skip = p.skip.kind.replace(/_/g, ' ') + ('variable' in p.skip ? ` ${p.variables[p.skip.variable]}` : '');
  const within = p.withinMs !== null ? ` within=${formatDuration(p.withinMs)}` : '';
  const defines = p.defines.flatMap((d, v) => (d ? [`${p.variables[v]} AS ${navText(d)}`] : []));
  const measures = p.measures.map((m) => `${navText(m)} AS ${m.name}`);
  return `MatchRecognize: partition=[${p.partitionBy.map((i) => cols[i]!.name).join(', ')}] order=[${order}] pattern=(${p.patternText})${within} skip=${skip} define=[${defines.join(', ')}] measures=[${measures.join(', ')}]`;
}
