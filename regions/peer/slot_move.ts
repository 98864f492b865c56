// Moving slots between hash groups, while both serve.
//
// Propose (the store leading the source runs the steps, see regions/store/slot_mover.ts):
//   1. slots-out prepare at the source: the slots freeze there (writes and reads of their keys
//      answer RegionBusy, so the router waits and retries); version + 1.
//   2. The source's leader exports the frozen slots' keys with their whole history.
//   3. slots-in at the target, carrying the image: the target installs the keys and owns the
//      slots; version + 1. From here the target serves them.
//   4. slots-out commit at the source: it drops the slots and their keys; version + 1. If step 3
//      failed, slots-out abort instead: the source unfreezes and keeps them; version + 1.
// Apply: every replica of a group applies the same entries, so all agree on its slots. A frozen
//   slot is never written, so the image taken after prepare applied on the leader is complete.
// On apply result: routers learn the new slot owners from EpochNotMatch / KeyNotInRegion and PD.
//
// Worked example: group 4 owns [0, 5460], group 8 owns [5461, 10921]; move [100, 199] to 8:
//   prepare at 4      -> 4 {version 2, moving [100, 199] -> 8}
//   slots-in at 8     -> 8 owns [100, 199] + [5461, 10921], version 2
//   commit at 4       -> 4 owns [0, 99] + [200, 5460], version 3
//
// NB: the image travels in one Raft entry: a move is limited to what one entry can carry
// (slotsInBytesMax); move fewer slots at a time beyond that.

import type { Region, RegionId, SlotRanges } from '../../src/cluster/region.js';
import { slotOf } from '../../src/router/slots.js';

/** The largest slot image one slots-in entry carries. */
export const slotsInBytesMax = 64 * 1024 * 1024;

export type SlotCommand =
  | { type: 'slots-out-prepare'; version: number; slots: SlotRanges; to: RegionId }
  | { type: 'slots-out-commit'; version: number; slots: SlotRanges }
  | { type: 'slots-out-abort'; version: number }
  | { type: 'slots-in'; version: number; slots: SlotRanges; chunks: Uint8Array[]; from: RegionId };

/** Slots frozen at a source for a move in progress. */
export interface MovingSlots {
  slots: SlotRanges;
  to: RegionId;
}

export function slotIn(ranges: SlotRanges, slot: number): boolean {
  return ranges.some(([from, to]) => slot >= from && slot <= to);
}

/** Whether key's slot is among `ranges`. */
export function keyInSlots(ranges: SlotRanges, key: Uint8Array): boolean {
  return slotIn(ranges, slotOf(key));
}

function coveredBy(inner: SlotRanges, outer: SlotRanges): boolean {
  return inner.every(([from, to]) => {
    for (let s = from; s <= to; s++) if (!slotIn(outer, s)) return false;
    return true;
  });
}

/** Sorted, merged runs of the slots in a and not in b (or in either, for union). */
function runsOf(test: (slot: number) => boolean): SlotRanges {
  const out: SlotRanges = [];
  let start = -1;
  for (let s = 0; s <= 16_384; s++) {
    const inside = s < 16_384 && test(s);
    if (inside && start < 0) start = s;
    if (!inside && start >= 0) {
      out.push([start, s - 1]);
      start = -1;
    }
  }
  return out;
}

export function withoutSlots(a: SlotRanges, b: SlotRanges): SlotRanges {
  return runsOf((s) => slotIn(a, s) && !slotIn(b, s));
}

export function withSlots(a: SlotRanges, b: SlotRanges): SlotRanges {
  return runsOf((s) => slotIn(a, s) || slotIn(b, s));
}

export type SlotOutcome =
  | { ok: true; region: Region; moving: MovingSlots | undefined; drop?: SlotRanges; install?: { slots: SlotRanges; chunks: Uint8Array[] } }
  | { ok: false; reason: 'stale' | 'invalid'; message: string };

/**
 * Applies a slot command to a group (pure). `moving` is the group's move in progress, if any.
 * Returns the group's new shape and what the caller must do to its tablet: drop the keys of
 * `drop`, or install the image of `install`.
 */
export function applySlotCommand(region: Region, moving: MovingSlots | undefined, cmd: SlotCommand): SlotOutcome {
  const slots = region.slots;
  if (!slots) return { ok: false, reason: 'invalid', message: `region ${region.id} is not a hash group` };
  if (cmd.version !== region.epoch.version) return { ok: false, reason: 'stale', message: `version ${cmd.version}, region at ${region.epoch.version}` };
  const bumped = (s: SlotRanges): Region => ({ ...region, slots: s, epoch: { ...region.epoch, version: region.epoch.version + 1 } });
  switch (cmd.type) {
    case 'slots-out-prepare':
      if (moving) return { ok: false, reason: 'invalid', message: `region ${region.id} is already moving slots to ${moving.to}` };
      if (cmd.slots.length === 0 || !coveredBy(cmd.slots, slots)) return { ok: false, reason: 'invalid', message: `region ${region.id} does not own all of those slots` };
      return { ok: true, region: bumped(slots), moving: { slots: cmd.slots, to: cmd.to } };
    case 'slots-out-commit':
      if (!moving) return { ok: false, reason: 'invalid', message: `region ${region.id} has no slot move to commit` };
      return { ok: true, region: bumped(withoutSlots(slots, moving.slots)), moving: undefined, drop: moving.slots };
    case 'slots-out-abort':
      if (!moving) return { ok: false, reason: 'invalid', message: `region ${region.id} has no slot move to abort` };
      return { ok: true, region: bumped(slots), moving: undefined };
    case 'slots-in':
      // A repeated slots-in (its reply was lost, the mover asks again) finds the slots already
      // here: nothing to do, and it says so.
      if (coveredBy(cmd.slots, slots)) return { ok: true, region, moving };
      if (cmd.slots.some(([from, to]) => { for (let s = from; s <= to; s++) if (slotIn(slots, s)) return true; return false; })) {
        return { ok: false, reason: 'invalid', message: `region ${region.id} already owns some of those slots` };
      }
      return { ok: true, region: bumped(withSlots(slots, cmd.slots)), moving, install: { slots: cmd.slots, chunks: cmd.chunks } };
  }
}
