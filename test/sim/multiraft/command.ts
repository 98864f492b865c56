// What the simulator's regions put in their Raft logs: client puts and admin commands (normal
// entries; change-peer travels as a conf-change entry, regions/peer/admin/change_peer.ts).

import type { AdminCommand } from '../../../regions/peer/admin/index.js';
import { fromJson, toJson } from '../../../regions/peer/admin/index.js';
import type { RegionEpoch } from '../../../src/cluster/region.js';

export type SimCommand =
  /** `id` names the proposal, so the proposer can answer its client when it applies. */
  | { t: 'put'; id: string; epoch: RegionEpoch; key: string; value: number }
  | { t: 'admin'; cmd: AdminCommand };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: SimCommand): Uint8Array {
  return encoder.encode(toJson(c));
}

export function decodeCommand(data: Uint8Array): SimCommand {
  return fromJson<SimCommand>(decoder.decode(data));
}
