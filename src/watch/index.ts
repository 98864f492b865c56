export { eventBytes, fragmentEvents } from './fragment.js';
export { WatchHub, sessionResponsesQueuedMaxDefault, syncReadsPerStepMaxDefault, type WatchHubOptions } from './hub.js';
export { IntervalTree } from './interval_tree.js';
export { emptyRangeReason, keyRange, type KeyRange } from './key_range.js';
export { realScheduler, type CancelTimer, type Scheduler } from './scheduler.js';
export { duplicateIdReason, HubSession, type SendWatchResponse } from './session.js';
export type { WatchCreate, WatchFilter, WatchResponseOut, WatchSession } from './types.js';
