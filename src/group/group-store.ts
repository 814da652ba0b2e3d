/**
 * What a group keeps in JetStream, behind one small API: the members bucket (a lease per
 * member that expires unless its heartbeat renews it), the owners bucket (one record per
 * partition: owner and fencing epoch, changed only by compare-and-set on the KV revision)
 * and the object store of per-partition state snapshots.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SluiceError } from '../errors.js';
import { describe } from '../connectors/nats/nats-connection.js';
import { installFastParser } from '../connectors/nats/fast-parser.js';
import { ownerKey, snapshotName, type GroupNames, type TaskRef } from './group-names.js';

/** A member's lease: its record expires this long after its last heartbeat. */
export const LEASE_MS = 5000;
export const HEARTBEAT_MS = 1000;

export interface MemberRecord {
  readonly id: string;
  readonly started: string;
  readonly last_heartbeat: string;
  readonly partitions: readonly string[];
}

/** Who owns a task (a partition of the sources or of a repartition stream). `owner` null: released by its last owner, free to claim. */
export interface OwnerRecord {
  readonly owner: string | null;
  /** Increases with every claim: a member acting under an older epoch is fenced off. */
  readonly epoch: number;
}

export interface SnapshotMeta {
  readonly epoch: number;
  /** Per source: the stream sequence the snapshot covers and the largest event time seen. */
  readonly sources: Readonly<Record<string, { seq: number; maxEventTime: number | null }>>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A new member id: host, pid and a random suffix (ids sort, and never repeat across restarts). */
export function newMemberId(): string {
  return `${hostname().replace(/[^A-Za-z0-9-]/g, '-')}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export class GroupStore {
  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly names: GroupNames,
    private readonly members: KV,
    private readonly owners: KV,
    private readonly state: ObjectStore,
  ) {}

  /** Connects and opens (creating when missing) the group's buckets. */
  static async open(servers: readonly string[], names: GroupNames): Promise<GroupStore> {
    const nc = await connectTo(servers, names.group);
    try {
      const js = jetstream(nc, { timeout: 10_000 });
      const jsm = await jetstreamManager(nc, { timeout: 10_000 });
      const kvm = new Kvm(js);
      const members = await kvm.create(names.members, { ttl: LEASE_MS, history: 1 });
      const owners = await kvm.create(names.owners, { history: 1 });
      const state = await new Objm(js).create(names.state);
      return new GroupStore(nc, jsm, names, members, owners, state);
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw groupError(names.group, e);
    }
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined);
  }

  async heartbeat(m: MemberRecord): Promise<void> {
    await this.members.put(m.id, encoder.encode(JSON.stringify(m)));
  }

  async leave(id: string): Promise<void> {
    await this.members.delete(id).catch(() => undefined);
  }

  /** Members whose lease is current (the bucket's TTL removes the others; the time check covers its lag). */
  async liveMembers(now = Date.now()): Promise<MemberRecord[]> {
    const out: MemberRecord[] = [];
    // The stream's per-subject counts, one request: listing keys through a consumer can
    // wait forever for an entry the TTL removes while it is being listed.
    const info = await this.jsm.streams.info(`KV_${this.names.members}`, { subjects_filter: `$KV.${this.names.members}.>` });
    const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(`$KV.${this.names.members}.`.length));
    for (const k of keys) {
      const e = await this.members.get(k);
      if (e === null || e.operation !== 'PUT' || e.length === 0) continue;
      const m = JSON.parse(decoder.decode(e.value)) as MemberRecord;
      if (now - Date.parse(m.last_heartbeat) <= LEASE_MS) out.push(m);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Whether one member's lease is current, read directly (not from a listing). */
  async isLive(id: string, now = Date.now()): Promise<boolean> {
    const e = await this.members.get(id);
    if (e === null || e.operation !== 'PUT' || e.length === 0) return false;
    return now - Date.parse((JSON.parse(decoder.decode(e.value)) as MemberRecord).last_heartbeat) <= LEASE_MS;
  }

  async owner(p: TaskRef): Promise<{ record: OwnerRecord; revision: number } | null> {
    const e = await this.owners.get(ownerKey(p));
    if (e === null || e.operation !== 'PUT' || e.length === 0) return null;
    return { record: JSON.parse(decoder.decode(e.value)) as OwnerRecord, revision: e.revision };
  }

  /** Compare-and-set: writes `next` only if the record is still at `revision` (0: absent). False when another member won. */
  async setOwner(p: TaskRef, next: OwnerRecord, revision: number): Promise<boolean> {
    const data = encoder.encode(JSON.stringify(next));
    try {
      if (revision === 0) await this.owners.create(ownerKey(p), data);
      else await this.owners.update(ownerKey(p), data, revision);
      return true;
    } catch (e) {
      if (/wrong last sequence|key exists/i.test(describe(e))) return false;
      throw e;
    }
  }

  /** The group's incarnation: set once when the group is first used, so message ids of a group deleted and run again never repeat. */
  async incarnation(): Promise<string> {
    const fresh = randomBytes(4).toString('hex');
    try {
      await this.owners.create('incarnation', encoder.encode(fresh));
      return fresh;
    } catch {
      const e = await this.owners.get('incarnation');
      if (e === null) throw new SluiceError('STATE', `group '${this.names.group}': cannot read its incarnation`);
      return decoder.decode(e.value);
    }
  }

  async putSnapshot(p: TaskRef, data: Uint8Array, meta: SnapshotMeta): Promise<void> {
    await this.state.putBlob({ name: snapshotName(p), metadata: { meta: JSON.stringify(meta) } }, data);
  }

  async snapshotMeta(p: TaskRef): Promise<SnapshotMeta | null> {
    const info = await this.state.info(snapshotName(p));
    if (info === null || info.deleted) return null;
    const m = info.metadata?.['meta'];
    return m === undefined ? null : (JSON.parse(m) as SnapshotMeta);
  }

  async getSnapshot(p: TaskRef): Promise<Uint8Array | null> {
    return this.state.getBlob(snapshotName(p));
  }
}

export async function connectTo(servers: readonly string[], group: string): Promise<NatsConnection> {
  installFastParser();
  try {
    return await connect({ servers: [...servers], timeout: 5000, name: `sluice group ${group}`, maxReconnectAttempts: 60, reconnectTimeWait: 1000 });
  } catch (e) {
    throw new SluiceError('CONNECTOR', `group '${group}': cannot connect to NATS at ${servers.join(', ')}: ${describe(e)}`);
  }
}

export function groupError(group: string, e: unknown): SluiceError {
  if (e instanceof SluiceError) return e;
  return new SluiceError('CONNECTOR', `group '${group}': ${describe(e)}`);
}
