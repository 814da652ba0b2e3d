/**
 * The names a scale-out group gives what it keeps in JetStream (SPEC 8): every stream,
 * bucket and object store is `sluice_<group>_…`, so `sluice group delete` finds them all.
 */
import { SluiceError } from '../errors.js';

export interface GroupNames {
  readonly group: string;
  /** KV bucket of live members, one key per member, kept alive by heartbeats (a lease). */
  readonly members: string;
  /** KV bucket of partition ownership: one key per partition with its owner and fencing epoch. */
  readonly owners: string;
  /** Object store of per-partition state snapshots. */
  readonly state: string;
  /** What every name of the group starts with. */
  readonly prefix: string;
}

/** Checks a group name (KV bucket and stream names take letters, digits, `_` and `-`). */
export function groupNames(group: string): GroupNames {
  if (!/^[A-Za-z0-9_-]+$/.test(group)) {
    throw new SluiceError('ARGUMENT', `group name '${group}' must hold only letters, digits, '_' and '-' (it names JetStream buckets)`);
  }
  const prefix = `sluice_${group}_`;
  return { group, members: `${prefix}members`, owners: `${prefix}owners`, state: `${prefix}state`, prefix };
}

/** The durable consumer that reads one partition of a source for a group. */
export function partitionConsumer(names: GroupNames, source: string, partition: number): string {
  return `${names.prefix}${source.replace(/[^A-Za-z0-9_-]/g, '_')}_${partition}`;
}

/**
 * A unit of work members own: partition `index` of the sources (the job, or with
 * repartitioning its upstream stage), or partition `index` of the repartition streams (the
 * job's stateful part, downstream of the repartition).
 */
export interface TaskRef {
  readonly stage: 'source' | 'repartition';
  readonly index: number;
}

/** How logs name a task: `partition 3`, `repartition 1`. */
export function taskLabel(t: TaskRef): string {
  return `${t.stage === 'source' ? 'partition' : 'repartition'} ${t.index}`;
}

/** The KV key of a task's ownership record. */
export function ownerKey(t: TaskRef): string {
  return `${t.stage === 'source' ? 'p' : 'r'}.${t.index}`;
}

/** The object holding a task's latest state snapshot. */
export function snapshotName(t: TaskRef): string {
  return `${t.stage === 'source' ? 'partition' : 'repartition'}-${t.index}`;
}

/** The stream (and subject prefix) a group repartitions a source through: `sluice_<group>_<source>_repart`. */
export function repartitionStream(names: GroupNames, source: string): string {
  return `${names.prefix}${source.replace(/[^A-Za-z0-9_-]/g, '_')}_repart`;
}

/** The durable consumer that reads repartition partition q of a source's repartition stream. */
export function repartitionConsumer(names: GroupNames, source: string, q: number): string {
  return `${repartitionStream(names, source)}_${q}`;
}

/** The NATS servers of group commands: `--servers`, else `$NATS_URL`, else the local default. */
export function groupServers(option: string | undefined): string[] {
  const v = option ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
