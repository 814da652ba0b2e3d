/**
 * Source `retention` at a checkpoint (SPEC 2.7 "Storage growth"): events of a source's log
 * with event time before its watermark minus the retention, at offsets every reader has
 * consumed, move out of the DuckDB file into a Parquet archive file (log-archive.ts).
 *
 * The readers are the views and sinks that read the source, at the offsets the checkpoint
 * records, and the newest retained AS OF snapshot of each view: the bounded replay after it
 * stays in the table. An older snapshot's replay reads the archive too, so nothing else pins
 * events in the table.
 */
import { parseIntervalText } from '../catalog/interval-text.js';
import { logTableName } from '../catalog/table-names.js';
import type { PipelineInput } from '../exec/pipeline.js';
import type { CheckpointStore } from '../state/checkpoint-store.js';
import { quoteIdent } from '../state/database.js';
import type { SourceRuntime } from './source-runtime.js';

/** The retention of a source in ms (undefined: none). */
export function retentionMs(rt: SourceRuntime): number | undefined {
  const v = rt.def.options['retention'];
  return typeof v === 'string' ? parseIntervalText(v) : undefined;
}

/**
 * Archives what each source's retention lets go, inside the checkpoint's transaction.
 * `readers`: each view's or sink's name and its pipeline's inputs.
 */
export async function archiveRetainedLogs(
  sources: Iterable<SourceRuntime>,
  readers: Iterable<{ name: string; inputs: readonly PipelineInput[]; view: boolean }>,
  checkpoints: CheckpointStore,
): Promise<number> {
  const all = [...readers];
  let moved = 0;
  for (const rt of sources) {
    const ms = retentionMs(rt);
    const wm = rt.def.watermark;
    if (ms === undefined || !wm || !rt.log?.archive) continue;
    let bound = rt.log.next - 1;
    for (const r of all) {
      for (const i of r.inputs) if (i.kind === 'source' && i.source === rt.name) bound = Math.min(bound, i.lastOffset);
      if (!r.view || !r.inputs.some((i) => i.kind === 'source' && i.source === rt.name)) continue;
      const newest = (await checkpoints.snapshots(r.name)).at(-1);
      const at = newest?.inputs.find((i) => i.source === rt.name);
      if (at) bound = Math.min(bound, at.lastOffset);
    }
    if (bound < 0) continue;
    const col = quoteIdent(wm.column);
    const table = quoteIdent(logTableName(rt.name));
    // The watermark as the log stands: the newest event time less the declared delay.
    const where =
      `sluice_offset <= ${bound} AND epoch_ms(${col}) < ` +
      `(SELECT epoch_ms(max(${col})) FROM ${table}) - ${wm.delayMs + ms}`;
    moved += await rt.log.archiveWhere(where);
  }
  return moved;
}

/** A checkpoint's transaction rolled back: archive files it registered are not (their events stayed in the table). */
export async function reloadArchives(sources: Iterable<SourceRuntime>): Promise<void> {
  for (const rt of sources) await rt.log?.reloadArchive();
}
