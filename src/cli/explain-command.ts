/**
 * `sluice explain FILE.sql`: prints the logical plan of each query and view in the file.
 * Sources, views and sinks are created in an in-memory engine so later statements can name
 * them; no data is read and INSERTs are skipped.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SluiceError } from '../errors.js';
import { Engine } from '../engine/engine.js';

export async function explainFile(file: string): Promise<void> {
  let sql: string;
  try {
    sql = readFileSync(file, 'utf8');
  } catch {
    throw new SluiceError('ARGUMENT', `cannot read '${file}'`);
  }
  const engine = await Engine.open();
  try {
    const results = await engine.execute(sql, { baseDir: dirname(resolve(file)), explain: true });
    const plans = results.filter((r) => r.columns?.[0]?.name === 'plan');
    process.stdout.write(plans.map((r) => (r.rows ?? []).map((row) => String(row['plan'])).join('\n')).join('\n\n') + '\n');
  } finally {
    await engine.close();
  }
}
