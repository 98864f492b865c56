// The Raft core's public surface.
export * from './types.js';
export * from './errors.js';
export type { RaftConfig } from './config.js';
export type { Storage } from './storage.js';
export { MemoryStorage } from './storage.js';
export { RawNode, type Status, type ProgressStatus } from './rawnode.js';
export { Raft, confChangeEntry, campaignTransfer } from './raft.js';
export { encodeConfChange, decodeConfChange, confChangeToString } from './confchange/codec.js';
export { ConfChangeError } from './confchange/changer.js';
export type { ReadOnlyOption } from './read_only.js';
export type { ProgressState } from './tracker/progress.js';
