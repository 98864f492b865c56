export { LeaseDeadlines } from './deadlines.js';
export { DueQueue } from './due_queue.js';
export { newLeaseId } from './id.js';
export { Lessor, type LessorOptions } from './lessor.js';
export { leaseTtlMaxSeconds, minLeaseTtlSeconds, revokeRetryMsDefault } from './limits.js';
export { keyBytes, keyString, LeaseRegistry, type LeaseEntry, type LeaseRegistryOptions } from './registry.js';
export { MemoryLeaseTable, type LeaseRecord, type LeaseTable } from './table.js';
