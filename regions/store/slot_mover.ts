// Runs a slot move (regions/peer/slot_move.ts) from the store that leads the source group:
// prepare at the source, export, slots-in at the target (wherever it leads), commit at the
// source. Every step can be run again: a move interrupted after prepare (this store crashed or
// lost leadership) is finished by whichever store leads the source next (resumeMoves).

import type { Region, RegionId, SlotRanges } from '../../src/cluster/region.js';
import type { LaneHost } from '../lane/host.js';
import type { MovingSlots } from '../peer/slot_move.js';

export interface SlotMoverDeps {
  lanes: LaneHost;
  /** Runs an op on a region's leader wherever it is (the router, with its retries). */
  callRegion(id: RegionId, op: Parameters<LaneHost['call']>[2]): Promise<unknown>;
  log(line: string): void;
}

const running = new Set<RegionId>();

function local(deps: SlotMoverDeps, id: RegionId): Region {
  const r = deps.lanes.regions.get(id);
  if (!r || !r.isLeader) throw new Error(`group ${id} is not led by this store`);
  return r.region;
}

/** Moves `slots` from group `source` (led here) to group `to`. */
export async function moveSlots(deps: SlotMoverDeps, source: RegionId, slots: SlotRanges, to: RegionId): Promise<void> {
  if (running.has(source)) throw new Error(`group ${source} is already moving slots`);
  running.add(source);
  try {
    const r = local(deps, source);
    await deps.lanes.call(source, r.epoch, { op: 'slotsOut', phase: 'prepare', slots, to });
    await finish(deps, source, { slots, to });
  } finally {
    running.delete(source);
  }
}

/** The steps after prepare: export, slots-in at the target, commit. */
async function finish(deps: SlotMoverDeps, source: RegionId, moving: MovingSlots): Promise<void> {
  const { chunks } = (await deps.lanes.call(source, local(deps, source).epoch, { op: 'exportSlots', slots: moving.slots })) as { chunks: Uint8Array[] };
  try {
    await deps.callRegion(moving.to, { op: 'slotsIn', slots: moving.slots, chunks, from: source });
  } catch (err) {
    // The target may have taken them with the answer lost: a move is only aborted by hand or by
    // resumeMoves after asking again (slots-in is repeatable), never here.
    deps.log(`flotilla: slot move ${source} -> ${moving.to}: the target did not confirm: ${(err as Error).message}; retried later`);
    throw err;
  }
  await deps.lanes.call(source, local(deps, source).epoch, { op: 'slotsOut', phase: 'commit', slots: moving.slots, to: moving.to });
  deps.log(`flotilla: moved slots ${JSON.stringify(moving.slots)} from group ${source} to group ${moving.to}`);
}

/** Finishes moves left half done on groups this store leads now. */
export function resumeMoves(deps: SlotMoverDeps): void {
  for (const [id, r] of deps.lanes.regions) {
    if (!r.isLeader || !r.moving || running.has(id)) continue;
    running.add(id);
    const moving = r.moving;
    void finish(deps, id, moving)
      .catch(() => {})
      .finally(() => running.delete(id));
  }
}
