// ConfChange <-> entry payload. Membership changes are rare, so the payload is JSON: readable
// in a log dump, and free to grow new fields.

import { assert } from '../../util/assert.js';
import type { ConfChange, ConfChangeSingle } from '../types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const cc = JSON.parse(decoder.decode(data)) as ConfChange;
  assert(Array.isArray(cc.changes), 'malformed conf change entry');
  return cc;
}

/**
 * Whether the change goes through a joint configuration, and if so whether it is left
 * automatically. A change of one node with 'auto' transition is applied directly.
 */
export function enterJoint(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  if (cc.transition !== 'auto' || cc.changes.length > 1) {
    return { joint: true, autoLeave: cc.transition !== 'joint-explicit' };
  }
  return { joint: false, autoLeave: false };
}

/** An empty change (only the context may be set) leaves the joint configuration. */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.transition === 'auto' && cc.changes.length === 0;
}

export function confChangeToString(cc: ConfChange): string {
  const parts = cc.changes.map((c: ConfChangeSingle) => {
    switch (c.type) {
      case 'add-node':
        return `v${c.nodeId}`;
      case 'add-learner':
        return `l${c.nodeId}`;
      case 'remove-node':
        return `r${c.nodeId}`;
    }
  });
  return parts.join(' ') || '(leave joint)';
}
