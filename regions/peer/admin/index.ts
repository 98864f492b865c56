// The admin commands of a region: formats (command.ts), epoch checks (check.ts), one file per
// command's apply side, and the one switch that dispatches them.

import { assertNever } from '../../../src/util/assert.js';
import { execChangePeer } from './change_peer.js';
import type { AdminCommand, AdminResult, Outcome, RegionState } from './command.js';
import { execCommitMerge, execPrepareMerge, execRollbackMerge } from './merge.js';
import { execBatchSplit } from './split.js';

export * from './command.js';
export * from './check.js';
export * from './codec.js';
export * from './split.js';
export * from './change_peer.js';
export * from './merge.js';

/**
 * Applies an admin command to a region's state, purely: the input is never changed. Every peer
 * of the region that applies the same entry to the same state gets the same outcome. Proposers
 * call it too, as a dry run, before proposing.
 */
export function execAdmin(state: RegionState, cmd: AdminCommand): Outcome<AdminResult> {
  switch (cmd.type) {
    case 'batch-split':
      return execBatchSplit(state, cmd);
    case 'change-peer':
      return execChangePeer(state, cmd);
    case 'prepare-merge':
      return execPrepareMerge(state, cmd);
    case 'commit-merge':
      return execCommitMerge(state, cmd);
    case 'rollback-merge':
      return execRollbackMerge(state, cmd);
    default:
      return assertNever(cmd, 'admin command');
  }
}
