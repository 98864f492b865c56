// Where the lessor persists leases. The member backs it with a table of the storage engine,
// written inside the same write transaction as the MVCC changes of the same apply, so a lease
// and the keys attached to it are durable together (or not at all).

/** A lease as persisted: only what every replica agrees on (no expiry: that is leader-local). */
export interface LeaseRecord {
  id: bigint;
  /** Granted TTL in seconds (after the minimum TTL rule). */
  ttl: number;
}

/**
 * Called only from the replicated half of the lessor, i.e. from the apply loop inside a write
 * transaction (put, remove), and once at start (all). No ordering is required of `all`.
 */
export interface LeaseTable {
  get(id: bigint): LeaseRecord | undefined;
  put(record: LeaseRecord): void;
  remove(id: bigint): void;
  all(): Iterable<LeaseRecord>;
}

/** A LeaseTable in memory: for tests, the simulator and stores that need no durability. */
export class MemoryLeaseTable implements LeaseTable {
  private readonly rows = new Map<bigint, LeaseRecord>();

  get(id: bigint): LeaseRecord | undefined {
    const r = this.rows.get(id);
    return r === undefined ? undefined : { ...r };
  }

  put(record: LeaseRecord): void {
    this.rows.set(record.id, { ...record });
  }

  remove(id: bigint): void {
    this.rows.delete(id);
  }

  *all(): Iterable<LeaseRecord> {
    for (const r of this.rows.values()) yield { ...r };
  }
}
