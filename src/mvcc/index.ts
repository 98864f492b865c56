// The MVCC store's public surface.
export type { HashKVResult, KvStore, LeaseHooks, RangeTablet, SplitTarget } from './kv.js';
export { RangeImageError, rangeImageChunkBytesMax } from './range_image.js';
export { EtcdError, etcdMessages, type EtcdErrorCode } from './errors.js';
export * from './types.js';
export { MvccStore, type MvccStoreOptions } from './store.js';
