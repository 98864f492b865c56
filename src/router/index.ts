// The router's public surface (see DESIGN.md, layer 9): routing tables, request splitting,
// merging, retries. The parts that do I/O (sending to lanes and stores, asking PD) build on these.
export { crc16, hashSpan, slotCount, slotOf } from './slots.js';
export { applyRegionError, isSingleKey, peerOf, singleKeyEnd, type KeySpan, type Route, type RouteTable } from './route.js';
export { RegionCache, type RangeRoute } from './region_cache.js';
export { SlotTable, checkSlotRanges, runsOf, type SlotRoute } from './slot_table.js';
export { applySlotMoves, planSlotMoves, type SlotMove, type SlotOwnership } from './slot_moves.js';
export { isEmptySpan, keysOfTxn, rangeBounds, singleRegionOf, splitDeleteRange, splitRange, type Piece } from './split_request.js';
export { mergeDeleteRange, mergeRange, rangePieceRequest } from './merge.js';
export { mergeSorted } from './kway_merge.js';
export { backoffLimitsDefault, nextRetry, type BackoffLimits, type RetryDecision, type RetryInput } from './backoff.js';
