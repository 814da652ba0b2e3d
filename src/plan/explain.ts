/**
 * Prints a logical plan as an indented tree, one node a line: the node, its details, its
 * output columns, and whether its output is append-only or a changelog. EXPLAIN and
 * `sluice explain` print this text; the plan tests compare it.
 */
import { formatSchema, type Schema } from '../types.js';
import { formatDuration, formatExpr } from './format-expr.js';
import { deduplication } from './deduplicate.js';
import { matchRecognizeText } from './match-recognize-text.js';
import { inputsOf, type AggCall, type JoinNode, type LogicalPlan, type SortKey, type WindowDef } from './logical-plan.js';
import { overCallText, overEmitText } from './over-text.js';

function windowText(w: WindowDef, input: Schema): string {
  const t = input[w.timeCol]?.name ?? `#${w.timeCol}`;
  const off = w.offset ? `, offset=${formatDuration(w.offset)}` : '';
  switch (w.kind) {
    case 'TUMBLE':
      return `TUMBLE(${t}, size=${formatDuration(w.size)}${off})`;
    case 'HOP':
      return `HOP(${t}, slide=${formatDuration(w.slide)}, size=${formatDuration(w.size)}${off})`;
    case 'CUMULATE':
      return `CUMULATE(${t}, step=${formatDuration(w.slide)}, size=${formatDuration(w.size)}${off})`;
    case 'SESSION': {
      const p = w.partitionBy.length ? ` PARTITION BY ${w.partitionBy.map((i) => input[i]?.name).join(', ')}` : '';
      return `SESSION(${t}, gap=${formatDuration(w.gap)}${p})`;
    }
  }
}

/**
 * The columns a join outputs when not all: by name, with its side where both sides have
 * the name (the plan signature hashes this text, so it must tell them apart).
 */
function joinOutputText(p: JoinNode): string {
  if (p.output === undefined) return '';
  const w = p.left.schema.length;
  const joined = [...p.left.schema, ...p.right.schema];
  const names = p.output.map((j) => {
    const name = joined[j]!.name;
    const twice = joined.some((c, i) => i !== j && c.name === name);
    return twice ? `${j < w ? 'left' : 'right'}.${name}` : name;
  });
  return ` output=[${names.join(', ')}]`;
}

function aggText(a: AggCall, input: Schema): string {
  if (a.arg === null) return `${a.fn}(*)`;
  // A filtered call's argument column is the CASE the filter was folded into: show the call as written.
  if (a.filter !== undefined) return a.name.replace(/\s+/g, ' ');
  return `${a.fn}(${a.distinct ? 'DISTINCT ' : ''}${input[a.arg]?.name ?? `#${a.arg}`})`;
}

function sortText(keys: readonly SortKey[], schema: Schema): string {
  return keys.map((k) => `${schema[k.column]?.name}${k.desc ? ' DESC' : ''}${k.nullsFirst ? ' NULLS FIRST' : ''}`).join(', ');
}

function header(p: LogicalPlan): string {
  switch (p.kind) {
    case 'Scan': {
      const wm = p.watermark
        ? ` watermark=${p.schema[p.watermark.column]!.name}${p.watermark.delayMs ? ` - ${formatDuration(p.watermark.delayMs)}` : ''}`
        : '';
      const until = p.until ? ` as of ${p.until.by === 'OFFSET' ? `offset ${p.until.value}` : new Date(p.until.value).toISOString()}` : '';
      return `Scan: ${p.source}${wm}${until}`;
    }
    case 'ViewScan':
      return `ViewScan: ${p.view}`;
    case 'Values':
      return `Values: ${p.rows.length} row${p.rows.length === 1 ? '' : 's'}`;
    case 'Filter':
      return `Filter: ${formatExpr(p.predicate, p.input.schema)}`;
    case 'Project':
      return `Project: ${p.exprs
        .map((e, i) => {
          const text = formatExpr(e, p.input.schema);
          const name = p.schema[i]!.name;
          // `b.price` needs no `AS price`: the name is already there after the qualifier.
          const named = text === name || (e.kind === 'Column' && text === `${e.qualifier}.${name}`);
          return named ? text : `${text} AS ${name}`;
        })
        .join(', ')}`;
    case 'WindowTvf':
      return `WindowTvf: ${windowText(p.window, p.input.schema)}`;
    case 'Aggregate':
      return `Aggregate: keys=[${p.keys.map((k) => p.input.schema[k]!.name).join(', ')}] aggs=[${p.aggs
        .map((a) => aggText(a, p.input.schema))
        .join(', ')}]${p.idleTtlMs !== undefined ? ` state_ttl=${formatDuration(p.idleTtlMs)}` : ''}`;
    case 'WindowAggregate':
      return `WindowAggregate: ${windowText(p.window, p.input.schema)} keys=[${p.keys
        .map((k) => p.input.schema[k]!.name)
        .join(', ')}] aggs=[${p.aggs.map((a) => aggText(a, p.input.schema)).join(', ')}] emit=${p.emit.replace(/_/g, ' ')}`;
    case 'UnionAll':
      return `UnionAll: ${p.inputs.length} inputs`;
    case 'Join': {
      const keys = p.leftKeys.map((l, i) => `${p.left.schema[l]!.name} = ${p.right.schema[p.rightKeys[i]!]!.name}`);
      const cond = p.condition ? ` condition=${formatExpr(p.condition, [...p.left.schema, ...p.right.schema])}` : '';
      const held = p.retention.flatMap((bounds, side) => {
        const own = side === 0 ? p.left.schema : p.right.schema;
        return bounds.map(
          (b) => `${side === 0 ? 'left' : 'right'} until ${own[b.column]!.name}${b.offsetMs ? ` + ${formatDuration(b.offsetMs)}` : ''}${b.ttl ? ' (state_ttl)' : ''}`,
        );
      });
      const state = held.length ? ` state=[${held.join(', ')}]` : '';
      const emit = p.emit === 'ON_WINDOW_CLOSE' && p.joinType !== 'INNER' && p.joinType !== 'CROSS' ? ' emit=ON WINDOW CLOSE' : '';
      return `Join: ${p.joinType}${keys.length ? ` keys=[${keys.join(', ')}]` : ''}${cond}${state}${emit}${joinOutputText(p)}`;
    }
    case 'TemporalJoin': {
      const keys = p.leftKeys.map((l, i) => `${p.left.schema[l]!.name} = ${p.right.schema[p.rightKeys[i]!]!.name}`);
      const cond = p.condition ? ` condition=${formatExpr(p.condition, [...p.left.schema, ...p.right.schema])}` : '';
      return `TemporalJoin: ${p.joinType} keys=[${keys.join(', ')}] as of ${p.left.schema[p.leftTime]!.name} versions by ${p.right.schema[p.rightTime]!.name}${cond}`;
    }
    case 'Over': {
      const f = p.frame;
      const bound = (n: number | null, dir: string) =>
        n === null ? `UNBOUNDED ${dir}` : n === 0 ? 'CURRENT ROW' : `${f.unit === 'RANGE' ? formatDuration(n) : n} ${dir}`;
      return `Over: partition=[${p.partitionBy.map((i) => p.input.schema[i]!.name).join(', ')}] order=[${sortText(
        p.orderBy,
        p.input.schema,
      )}] frame=${f.unit} ${bound(f.preceding, 'PRECEDING')}..${bound(f.following, 'FOLLOWING')} calls=[${p.calls
        .map((c) => overCallText(c, p.input.schema))
        .join(', ')}]${overEmitText(p)}`;
    }
    case 'MatchRecognize':
      return matchRecognizeText(p);
    case 'SemiJoin': {
      const keys = p.leftKeys.map((l, i) => `${p.left.schema[l]!.name} = ${p.right.schema[p.rightKeys[i]!]!.name}`);
      const kind = p.mark !== undefined ? `mark=${p.mark}${p.nullAware ? ' (IN)' : ' (EXISTS)'}` : p.nullAware ? 'null-aware (NOT IN)' : '';
      return `${p.anti ? 'AntiJoin' : 'SemiJoin'}:${keys.length ? ` keys=[${keys.join(', ')}]` : ''}${kind ? ` ${kind}` : ''}`;
    }
    case 'SetOp': {
      const [l, r] = p.input.schema.slice(-2).map((c) => c.name);
      const copies = p.all ? (p.op === 'INTERSECT' ? `min(${l}, ${r})` : `${l} - ${r}`) : p.op === 'INTERSECT' ? `${l} > 0 AND ${r} > 0` : `${l} > 0 AND ${r} = 0`;
      return `SetOp: ${p.op}${p.all ? ' ALL' : ''} ${p.all ? 'copies' : 'when'}=${copies}`;
    }
    case 'TopN': {
      const part = p.partitionBy.length ? ` partition=[${p.partitionBy.map((i) => p.input.schema[i]!.name).join(', ')}]` : '';
      const rn = p.rowNumber ? ` ${p.rank ? 'rank' : 'row_number'}=${p.rowNumber}` : '';
      const dedup = deduplication(p);
      if (dedup !== null) return `Deduplicate: keep=${dedup}${part} order=[${sortText(p.orderBy, p.input.schema)}]${rn}`;
      if (p.rank) return `TopN(with ties): ${p.rank}${part} order=[${sortText(p.orderBy, p.input.schema)}] limit=${p.limit}${rn}`;
      return `TopN:${part} order=[${sortText(p.orderBy, p.input.schema)}]${p.limit !== null ? ` limit=${p.limit}` : ''}${p.offset ? ` offset=${p.offset}` : ''}${rn}`;
    }
  }
}

/** The plan as indented text, children two spaces deeper than their parent. */
export function explainPlan(plan: LogicalPlan): string {
  const lines: string[] = [];
  const visit = (p: LogicalPlan, depth: number): void => {
    const mark = p.appendOnly ? 'append-only' : 'changelog';
    lines.push(`${'  '.repeat(depth)}${header(p)}  → (${formatSchema(p.schema)}) ${mark}`);
    for (const i of inputsOf(p)) visit(i, depth + 1);
  };
  visit(plan, 0);
  return lines.join('\n');
}
