// The replicated half of the lessor: which leases exist, their granted TTLs and the keys attached
// to them. Every replica applies the same grants and revokes in log order and reaches the same
// state; nothing here reads a clock. Leases are persisted through a LeaseTable; the lease → keys
// map lives only in memory and is rebuilt at start from MVCC's leased keys (MVCC is the source of
// truth for which key carries which lease).

import { EtcdError } from '../mvcc/errors.js';
import type { LeaseHooks } from '../mvcc/kv.js';
import { assert } from '../util/assert.js';
import { leaseTtlMaxSeconds } from './limits.js';
import type { LeaseTable } from './table.js';

export interface LeaseEntry {
  readonly id: bigint;
  /** Granted TTL in seconds. */
  readonly ttl: number;
  /** Attached keys as latin1 strings: one char per byte, so string order is byte order. */
  readonly keys: Set<string>;
}

export interface LeaseRegistryOptions {
  table: LeaseTable;
  /** See minLeaseTtlSeconds; a grant below it is raised to it. */
  minTtlSeconds: number;
}

export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export function keyBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

export class LeaseRegistry implements LeaseHooks {
  private readonly table: LeaseTable;
  private readonly minTtlSeconds: number;
  private readonly byId = new Map<bigint, LeaseEntry>();

  constructor(opts: LeaseRegistryOptions) {
    assert(opts.minTtlSeconds >= 1, 'LeaseRegistry: minTtlSeconds must be >= 1');
    this.table = opts.table;
    this.minTtlSeconds = opts.minTtlSeconds;
    this.load();
  }

  /** Rereads the leases from the table, with no keys attached (restoreKeys attaches them). */
  load(): void {
    this.byId.clear();
    for (const r of this.table.all()) this.byId.set(r.id, { id: r.id, ttl: r.ttl, keys: new Set() });
  }

  /**
   * Attaches MVCC's leased keys at start. A key whose lease is unknown is skipped and counted
   * (it cannot happen when leases and keys commit in one transaction; the count lets the member
   * report it).
   */
  restoreKeys(leased: Iterable<{ key: Uint8Array; lease: bigint }>): { orphans: number } {
    let orphans = 0;
    for (const { key, lease } of leased) {
      const l = this.byId.get(lease);
      if (l === undefined) orphans++;
      else l.keys.add(keyString(key));
    }
    return { orphans };
  }

  /**
   * Throws LeaseTTLTooLarge or LeaseExist before changing anything. A TTL below the minimum
   * (including 0 and negative TTLs, as etcd) is raised to it; the granted TTL is returned.
   */
  grant(id: bigint, ttl: number): { id: bigint; ttl: number } {
    assert(id !== 0n, 'lease grant: the member must choose an ID before proposing');
    assert(Number.isSafeInteger(ttl), `lease grant: bad TTL ${ttl}`);
    if (ttl > leaseTtlMaxSeconds) throw new EtcdError('LeaseTTLTooLarge');
    if (this.byId.has(id)) throw new EtcdError('LeaseExist');
    const granted = Math.max(ttl, this.minTtlSeconds);
    this.byId.set(id, { id, ttl: granted, keys: new Set() });
    this.table.put({ id, ttl: granted });
    return { id, ttl: granted };
  }

  /**
   * Removes the lease; returns its keys in byte order for the member to delete through MVCC in
   * one revision (etcd sorts them too, so every replica deletes in the same order). Deleting them
   * calls detach on a lease that is gone, which is a no-op. Throws LeaseNotFound.
   */
  revoke(id: bigint): Uint8Array[] {
    const l = this.byId.get(id);
    if (l === undefined) throw new EtcdError('LeaseNotFound');
    this.byId.delete(id);
    this.table.remove(id);
    return [...l.keys].sort().map(keyBytes);
  }

  get(id: bigint): LeaseEntry | undefined {
    return this.byId.get(id);
  }

  /** Lease IDs in grant order (the same on every replica). */
  ids(): bigint[] {
    return [...this.byId.keys()];
  }

  entries(): IterableIterator<LeaseEntry> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  // LeaseHooks, called by MVCC inside its writes.

  exists(id: bigint): boolean {
    return this.byId.has(id);
  }

  attach(id: bigint, key: Uint8Array): void {
    const l = this.byId.get(id);
    // MVCC checks exists() before a put with a lease and throws LeaseNotFound itself.
    assert(l !== undefined, `lease attach: lease ${id.toString(16)} does not exist`);
    l.keys.add(keyString(key));
  }

  detach(id: bigint, key: Uint8Array): void {
    // The lease may be gone: a revoke removes it before MVCC deletes its keys.
    this.byId.get(id)?.keys.delete(keyString(key));
  }
}
