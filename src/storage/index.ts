// The storage engine's public surface. Only this folder imports lmdb (and, here, msgpackr).
export { Engine, openEngine, type EngineOptions, type TableOptions } from './engine.js';
export { BinaryTable, Table, type RangeOptions, type TableKey } from './table.js';
export { RaftLogStore } from './raft_log.js';
export { compareBytes, concatBytes, readU32, readU64, writeU32, writeU64 } from './keys.js';
export { captureTables, installTables, ImageError } from './image.js';
