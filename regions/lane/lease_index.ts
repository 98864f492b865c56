// Which keys of a lane's tablets carry which lease, kept in memory (rebuilt from the tablets at
// start). In the sharded modes leases live in PD's core (it grants, renews and expires them);
// a region only records the lease a key was put with. When a lease is gone from PD, each region
// deletes its own keys that carry it (regions/store/lease_reaper.ts) and finds them here.

import type { LeaseHooks } from '../../src/mvcc/kv.js';

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

export class LeaseIndex implements LeaseHooks {
  private readonly byLease = new Map<bigint, Set<string>>();

  /** Leases are checked by the router against PD before a put; a region takes what it is given. */
  exists(): boolean {
    return true;
  }

  attach(id: bigint, key: Uint8Array): void {
    let keys = this.byLease.get(id);
    if (!keys) this.byLease.set(id, (keys = new Set()));
    keys.add(latin1(key));
  }

  detach(id: bigint, key: Uint8Array): void {
    const keys = this.byLease.get(id);
    if (!keys) return;
    keys.delete(latin1(key));
    if (keys.size === 0) this.byLease.delete(id);
  }

  /** Leases carried by some key `holds` accepts (a region's range or slots). */
  leasesWhere(holds: (key: Uint8Array) => boolean): bigint[] {
    const out: bigint[] = [];
    for (const [id, keys] of this.byLease) {
      for (const k of keys) {
        if (holds(Buffer.from(k, 'latin1'))) {
          out.push(id);
          break;
        }
      }
    }
    return out;
  }

  /** The keys carrying lease `id` that `holds` accepts, in key order. */
  keysWhere(id: bigint, holds: (key: Uint8Array) => boolean): Uint8Array[] {
    const keys = this.byLease.get(id);
    if (!keys) return [];
    return [...keys].sort().map((k) => new Uint8Array(Buffer.from(k, 'latin1'))).filter(holds);
  }
}
