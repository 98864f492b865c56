// Admin commands in Raft entries: JSON, with every byte string (keys, region bounds) written as
// {"$hex": "..."}. Admin commands are rare, so the format favours a readable log dump over size,
// as the conf-change codec does (src/raft/confchange/codec.ts).
//
//   {"type":"batch-split","epoch":{"confVer":1,"version":1},
//    "splitKeys":[{"$hex":"67"}],"newRegions":[{"id":2,"peerIds":[4,5,6]}]}

import { assert } from '../../../src/util/assert.js';
import type { AdminCommand } from './command.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.$hex === 'string' && Object.keys(o).length === 1) return new Uint8Array(Buffer.from(o.$hex, 'hex'));
  }
  return value;
}

/** JSON text of any plain value holding Uint8Arrays (they come back as Uint8Arrays). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, reviver) as T;
}

export function encodeAdminCommand(cmd: AdminCommand): Uint8Array {
  return encoder.encode(toJson(cmd));
}

export function decodeAdminCommand(data: Uint8Array): AdminCommand {
  const cmd = fromJson<AdminCommand>(decoder.decode(data));
  assert(cmd !== null && typeof cmd === 'object' && typeof cmd.type === 'string' && cmd.epoch !== undefined, 'malformed admin command');
  return cmd;
}
