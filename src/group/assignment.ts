/**
 * Which member owns which partition: a pure function of the live members and the partition
 * count, so every member computes the same answer without talking to the others (the KV
 * records then fence the hand-over). Members sorted by id take partitions round-robin.
 */

/** Partition → member id, for partitions 0 … count-1 (empty when there are no members). */
export function assignPartitions(members: readonly string[], count: number): Map<number, string> {
  const sorted = [...new Set(members)].sort();
  const out = new Map<number, string>();
  if (sorted.length === 0) return out;
  for (let p = 0; p < count; p++) out.set(p, sorted[p % sorted.length]!);
  return out;
}
