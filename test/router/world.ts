// A sharded world to check the router against: one MvccStore holding every key ("whole") and
// one MvccStore per region or group holding only its keys ("parts"), written so that every key
// has the same revisions in both. Then any Range answered by the whole store must equal the
// router's split → per-part answers → merge, field for field.
//
// Revisions line up because every store takes exactly one revision per step: step t puts (or
// deletes) key k in the part owning it, and puts a "filler" key of its own in every other part;
// the whole store does all of that in one txn. The fillers are ordinary keys present in both:
//
//   parts A ["", "m"), B ["m", ""), fillers "\0" (A) and "m" (B)
//   step 2: put "c"  →  A: put "c" (rev 2)   B: put "m" (rev 2)   whole: txn{put "c", put "m"} (rev 2)
//
// A part whose range holds no storable key (["", "\0")) gets no filler and no writes; the router
// never sends it a piece.

import type { TestContext } from 'node:test';
import type { Region } from '../../src/cluster/region.js';
import { MvccStore } from '../../src/mvcc/index.js';
import type { RequestOp } from '../../src/mvcc/types.js';
import { RegionCache } from '../../src/router/region_cache.js';
import type { RouteTable } from '../../src/router/route.js';
import { SlotTable } from '../../src/router/slot_table.js';
import { slotCount, slotOf } from '../../src/router/slots.js';
import type { Prng } from '../../src/util/prng.js';
import { opDel, opPut, putReq } from '../mvcc/helpers.js';
import { tempEngine } from '../storage/tmp.js';
import { b, group, region, s } from './helpers.js';

export interface World {
  whole: MvccStore;
  parts: Map<number, MvccStore>;
  regions: Region[];
  table: RouteTable;
  /** Every key ever written. */
  keys: string[];
}

export const alphabet = ['\0', 'a', 'b', '\xff'];
const values = ['', 'x', 'y', 'zz'];

/** A key of 1-3 bytes over a small alphabet rich in boundary bytes. */
export function randomKey(rng: Prng): string {
  let k = '';
  for (let n = 1 + rng.int(3); n > 0; n--) k += alphabet[rng.int(alphabet.length)];
  return k;
}

/** Range mode: `regionsN` regions cut at distinct random keys (the key "\0" included). */
export function rangeWorld(t: TestContext, rng: Prng, o: { regionsN: number; writesN: number }): World {
  // A cut at "\0" leaves a first region that can hold no key: the router must never ask it.
  const cuts = new Set<string>(o.regionsN > 1 && rng.int(4) === 0 ? ['\0'] : []);
  while (cuts.size < o.regionsN - 1) cuts.add(randomKey(rng));
  const bounds = ['', ...[...cuts].sort(byBytes), ''];
  const regions = bounds.slice(0, -1).map((start, i) => region(i + 1, start, bounds[i + 1]!, { version: 1 + rng.int(3) }));
  const fillers = regions.map((r) => (r.start.length > 0 ? s(r.start) : r.end.length === 0 || s(r.end) > '\0' ? '\0' : undefined));
  const ownerOf = (key: string) => regions.findIndex((r) => key >= s(r.start) && (r.end.length === 0 || key < s(r.end)));
  return populate(t, rng, { regions, fillers, ownerOf, table: new RegionCache(regions), writesN: o.writesN });
}

/** Hash mode: `groupsN` groups owning random runs of slots. */
export function hashWorld(t: TestContext, rng: Prng, o: { groupsN: number; writesN: number }): World {
  const owners = new Int32Array(slotCount);
  for (let at = 0, run = 0; at < slotCount; run++) {
    // Short enough that the first groupsN runs fit, one per group: every group owns 100 slots or more.
    const len = 100 + rng.int(Math.floor(slotCount / (2 * o.groupsN)));
    owners.fill(run < o.groupsN ? run : rng.int(o.groupsN), at, at + len);
    at += len;
  }
  const regions = Array.from({ length: o.groupsN }, (_, g) => {
    const slots: Array<[number, number]> = [];
    for (let sl = 0; sl < slotCount; sl++) {
      if (owners[sl] !== g) continue;
      const last = slots[slots.length - 1];
      if (last !== undefined && last[1] === sl - 1) last[1] = sl;
      else slots.push([sl, sl]);
    }
    return group(g + 1, slots, { version: 1 + rng.int(3) });
  });
  const ownerOf = (key: string) => owners[slotOf(b(key))]!;
  const fillers = regions.map((_, g) => {
    for (let i = 0; ; i++) if (ownerOf(`f${i}`) === g) return `f${i}`;
  });
  return populate(t, rng, { regions, fillers, ownerOf, table: new SlotTable(regions), writesN: o.writesN });
}

interface Layout {
  regions: Region[];
  /** Per region, the key it is written on steps that are not its own (undefined: never written). */
  fillers: Array<string | undefined>;
  /** Index in `regions` of the region owning a key. */
  ownerOf: (key: string) => number;
  table: RouteTable;
  writesN: number;
}

function populate(t: TestContext, rng: Prng, l: Layout): World {
  const { engine } = tempEngine(t);
  const whole = new MvccStore(engine, { name: 'whole' });
  const parts = new Map(l.regions.map((r) => [r.id as number, new MvccStore(engine, { name: `part${r.id}` })]));
  const alive = new Set<string>();
  const keys = new Set<string>();
  for (let step = 0; step < l.writesN; step++) {
    const doomed = [...alive];
    const del = doomed.length > 0 && rng.int(4) === 0;
    const key = del ? doomed[rng.int(doomed.length)]! : randomKey(rng);
    const owner = l.ownerOf(key);
    const ops: RequestOp[] = [];
    l.regions.forEach((r, i) => {
      const part = parts.get(r.id)!;
      if (i === owner) {
        const value = values[rng.int(values.length)]!;
        ops.push(del ? opDel(key) : opPut(key, value));
        if (del) part.deleteRange({ key: b(key), rangeEnd: new Uint8Array(0), prevKv: false });
        else part.put(putReq(key, value));
      } else if (l.fillers[i] !== undefined) {
        ops.push(opPut(l.fillers[i]!, `${step}`));
        part.put(putReq(l.fillers[i]!, `${step}`));
        alive.add(l.fillers[i]!);
        keys.add(l.fillers[i]!);
      }
    });
    whole.txn({ compare: [], success: ops, failure: [] });
    if (del) alive.delete(key);
    else alive.add(key);
    keys.add(key);
  }
  for (const [id, part] of parts) {
    const filler = l.fillers[l.regions.findIndex((r) => r.id === id)];
    if (filler !== undefined && part.currentRevision() !== whole.currentRevision()) {
      throw new Error(`world: part ${id} at revision ${part.currentRevision()}, whole at ${whole.currentRevision()}`);
    }
  }
  return { whole, parts, regions: l.regions, table: l.table, keys: [...keys].sort(byBytes) };
}

function byBytes(a: string, b2: string): number {
  return Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b2, 'latin1'));
}
