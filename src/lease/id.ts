// Server-chosen lease IDs. The member picks the ID before proposing the grant, so applying it is
// deterministic on every replica; the randomness is injected so a simulation replays.

import type { Rand } from '../util/prng.js';

/**
 * A random positive int64 (etcd only hands out positive IDs: it masks off the sign bit), not 0
 * (0 means "no lease") and not one `taken` reports in use.
 */
export function newLeaseId(rand: Rand, taken: (id: bigint) => boolean): bigint {
  for (;;) {
    const hi = BigInt(rand.int(0x8000_0000));
    const lo = BigInt(rand.int(0x1_0000_0000));
    const id = (hi << 32n) | lo;
    if (id !== 0n && !taken(id)) return id;
  }
}
