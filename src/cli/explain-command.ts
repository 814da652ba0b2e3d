/**
 * `sluice explain FILE.sql`: every statement of the file, labeled with its number and line,
 * and the logical plan of each query and view. The file is checked as `sluice run` checks
 * it, against a scratch catalog: no source is opened, nothing is read or written, so a
 * missing data file does not hide a mistake further down.
 */
import { dirname, resolve } from 'node:path';
import { ScriptChecker, type CheckedStatement } from '../engine/script-check.js';
import type { PullQuery } from '../plan/bound-statement.js';
import { explainPlan } from '../plan/explain.js';
import { readScript } from './run-command.js';

export async function explainFile(file: string): Promise<void> {
  const sql = readScript(file);
  const checker = await ScriptChecker.open();
  const blocks: string[] = [];
  try {
    await checker.check(sql, {
      baseDir: dirname(resolve(file)),
      onStatement: (s) => {
        blocks.push([`-- statement ${s.ordinal} (line ${s.line}): ${s.label}`, ...planLines(s)].join('\n'));
      },
    });
  } finally {
    checker.close();
  }
  process.stdout.write(blocks.join('\n\n') + '\n');
}

/**
 * What explain shows of a statement: the plan of a query or view that sluice runs; for a pull
 * query, the SQL that DuckDB answers over the views' tables (and the plans that replay its
 * AS OF reads). DuckDB's own plan of it would be one over the empty tables of the check.
 */
function planLines(s: CheckedStatement): string[] {
  const pull = (sql: string, asOf: PullQuery['asOf']) => [
    'PullQuery (DuckDB):',
    ...sql.split(/\r\n|\r|\n/).map((l) => `  ${l}`),
    ...asOf.flatMap((read) => [`AS OF read ${read.table}:`, ...explainPlan(read.plan).split('\n').map((l) => `  ${l}`)]),
  ];
  if (s.bound === null) return pull(s.item.text, []);
  const b = s.bound;
  switch (b.kind) {
    case 'CreateView':
    case 'StreamQuery':
      return [explainPlan(b.plan)];
    case 'PullQuery':
      return pull(b.sql, b.asOf);
    case 'Explain':
      return b.plan ? [explainPlan(b.plan)] : pull(b.pull!.sql, b.pull!.asOf);
    default:
      return [];
  }
}
