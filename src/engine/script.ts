/**
 * Splitting a script into statements the engine runs. sluice's parser handles its dialect;
 * a statement it cannot parse that reads like a query (SELECT, WITH, FROM, VALUES, a
 * parenthesis) may still be DuckDB SQL for a pull query, so it is kept as text and handed to
 * DuckDB, whose refusal then reports the original parse error.
 */
import { parse, tokenize } from '../../grammar/index.js';
import type { Statement } from '../../grammar/ast.js';
import { SluiceError, toSluiceError } from '../errors.js';

/** One statement of a script; `start` is the offset of its text in the script. */
export type ScriptItem =
  | { readonly kind: 'statement'; readonly statement: Statement; readonly text: string; readonly start: number }
  | { readonly kind: 'duckdb'; readonly text: string; readonly parseError: SluiceError; readonly start: number };

const QUERY_START = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', '(', 'TABLE', 'PIVOT', 'UNPIVOT', 'DESCRIBE', 'SUMMARIZE']);

export function splitScript(sql: string): ScriptItem[] {
  try {
    const script = parse(sql);
    return script.statements.map((statement, i) => ({ kind: 'statement', statement, text: script.texts[i]!, start: statement.span.start }));
  } catch (e) {
    const err = toSluiceError(e);
    if (err.code !== 'PARSE') throw err.withSql(sql);
    return splitEach(sql, err);
  }
}

/** Parses statement by statement (split at `;` tokens), keeping unparsable queries as DuckDB text. */
function splitEach(sql: string, first: SluiceError): ScriptItem[] {
  const items: ScriptItem[] = [];
  let start = 0;
  const bounds: [number, number][] = [];
  for (const t of tokenize(sql)) {
    if (t.kind === 'punctuation' && t.text === ';') {
      bounds.push([start, t.start]);
      start = t.end;
    }
  }
  bounds.push([start, sql.length]);
  for (const [s, e] of bounds) {
    const text = sql.slice(s, e);
    const toks = tokenize(text).filter((t) => t.kind !== 'comment');
    if (toks.length === 0) continue;
    // Padding keeps line and column numbers those of the whole script.
    const padded = sql.slice(0, s).replace(/[^\n]/g, ' ') + text;
    try {
      const script = parse(padded);
      script.statements.forEach((statement, i) =>
        items.push({ kind: 'statement', statement, text: script.texts[i]!.trim(), start: statement.span.start }),
      );
    } catch (err) {
      const pe = toSluiceError(err);
      // The error shows the script's own line, not the padded copy with its neighbours blanked.
      if (pe.sql === padded) pe.sql = sql;
      pe.withSql(sql);
      if (pe.code !== 'PARSE' || !QUERY_START.has(toks[0]!.text.toUpperCase())) throw pe;
      items.push({ kind: 'duckdb', text: text.trim(), parseError: pe, start: s + text.length - text.trimStart().length });
    }
  }
  if (items.length === 0) throw first.withSql(sql);
  return items;
}
