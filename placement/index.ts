// The placement driver's pure core: timestamps, IDs, the cluster snapshot, operators and the
// schedulers that make them. The PD server (heartbeats, the region directory, persistence)
// composes these; nothing here does I/O or reads a clock it was not given.

export { PersistedBound, type SaveBound } from './persisted_bound.js';
export {
  allocateCountMax,
  composeTimestamp,
  logicalBits,
  logicalCount,
  physicalMsMax,
  TimestampOracle,
  timestampLogical,
  timestampPhysicalMs,
  TsoError,
  windowMsDefault,
  windowRefreshMsDefault,
  type Timestamp,
  type TimestampOracleOptions,
} from './tso.js';
export { idBatchCountDefault, IdAllocator, type IdAllocatorOptions, type IdSource } from './id_alloc.js';
export {
  buildClusterSnapshot,
  leaderPeer,
  peerOnStore,
  storeIsGone,
  storeIsUp,
  storeStateAt,
  storeStateLimitsDefault,
  votersOf,
  type ClusterSnapshot,
  type RegionInfo,
  type SnapshotInput,
  type StoreInfo,
  type StoreReport,
  type StoreState,
  type StoreStateLimits,
} from './cluster.js';
export {
  checkOperator,
  currentStep,
  expectedEpoch,
  isConfChange,
  newOperator,
  operatorRegionIds,
  operatorStores,
  operatorTimeoutMs,
  operatorTimeoutsDefault,
  stepIsFinished,
  type NewOperatorInput,
  type Operator,
  type OperatorCheck,
  type OperatorKind,
  type OperatorStatus,
  type OperatorStep,
  type OperatorTimeouts,
} from './operator.js';
export { operatorFromJson, operatorToJson, stepFromJson, stepToJson, type OperatorJson, type OperatorStepJson } from './operator_json.js';
export { OperatorController, type OperatorEvent } from './operator_controller.js';
export {
  balanceLeader,
  balanceRegion,
  balanceTolerance,
  hotRegion,
  mergeChecker,
  movePeerSteps,
  PlacementConfigError,
  replicaRepair,
  runSchedulers,
  scheduleConfigDefault,
  schedulerOrder,
  splitChecker,
  validateScheduleConfig,
  withInfluence,
  type RunEnv,
  type ScheduleConfig,
  type ScheduleEnv,
  type Scheduler,
  type SchedulerName,
} from './schedulers/index.js';
