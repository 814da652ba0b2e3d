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

/** The KV key of a partition's ownership record. */
export function ownerKey(partition: number): string {
  return `p.${partition}`;
}

/** The object holding a partition's latest state snapshot. */
export function snapshotName(partition: number): string {
  return `partition-${partition}`;
}

/** The NATS servers of group commands: `--servers`, else `$NATS_URL`, else the local default. */
export function groupServers(option: string | undefined): string[] {
  const v = option ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
