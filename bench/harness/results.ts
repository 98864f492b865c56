// The figures a run produces, as written to results.json and read by the report and the charts.

import type { DatasetResult } from './dataset.js';
import type { ClientKind, LoadResult } from './load.js';
import type { ProcUsage } from './procstat.js';
import type { RegionSetup } from './presplit.js';
import type { TargetKind } from './targets.js';
import type { WatchResult } from './watch.js';

/** One timed run of one case on one target. */
export interface Sample {
  target: TargetKind;
  round: number;
  load: LoadResult;
  usage?: ProcUsage;
  /** Watch fan-out runs: the delivery check. */
  watch?: WatchResult;
  /** Compare-and-put runs: how many compares held. */
  cas?: { succeeded: number; failed: number };
}

/** Medians over a target's rounds (errors, lost and duplicated events: totals). */
export interface Figures {
  rounds: number;
  requests: number;
  errors: number;
  /** Requests per second, or delivered events per second for watch fan-out. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  cpuCores?: number;
  /** The largest RssAnon (summed over members) seen during any round. */
  peakRssAnonBytes?: number;
  vmHwmBytes?: number;
  lostEvents?: number;
  duplicatedEvents?: number;
  firstError?: string;
}

/** One target's figure divided by another's (above 1: more throughput, or more latency). */
export interface Ratios {
  throughput?: number;
  p50?: number;
  p99?: number;
  p999?: number;
  cpu?: number;
}

export interface CaseResult {
  group: string;
  workload: string;
  /** `http` (autocannon on the JSON gateway) or `grpc` (our load generator). */
  client: ClientKind;
  /** Requests in flight; for watch fan-out, the number of watchers. */
  concurrency: number;
  unit: 'req/s' | 'events/s';
  /** Whether this case is part of a concurrency sweep (charted against concurrency). */
  sweep: boolean;
  samples: Sample[];
  figures: Partial<Record<TargetKind, Figures>>;
  /** Each target's figures over etcd's and over Flotilla unsharded's, when those ran: ratios['flotilla-range'].etcd. */
  ratios?: Partial<Record<TargetKind, { etcd?: Ratios; flotilla?: Ratios }>>;
  /** Targets of the group that did not run this case, with the reason. */
  skipped?: Partial<Record<TargetKind, string>>;
  /** Bytes on disk of each target's data dirs before the first and after the last run. */
  disk: Partial<Record<TargetKind, { before?: number; after?: number }>>;
}

export interface GroupInfo {
  name: string;
  members: number;
  durability: string;
  targets: TargetKind[];
  /** Flags each target was started with, after etcd's member flags (the sharded modes: after every store's flags). */
  flags: Partial<Record<TargetKind, string[]>>;
  notes: string[];
  /** The sharded targets' stores, replicas and regions. */
  regions?: Partial<Record<TargetKind, RegionSetup>>;
  /** Workloads some target did not run, with the reason ("watch on Flotilla range: ..."). */
  skipped?: string[];
}

export interface DatasetCase {
  group: string;
  results: Partial<Record<TargetKind, DatasetResult>>;
  /** The sharded targets' regions (the data set gets servers of its own). */
  regions?: Partial<Record<TargetKind, RegionSetup>>;
}

export interface Versions {
  node: string;
  etcd: string;
  flotilla: string;
  autocannon: string;
  grpcJs: string;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  os: string;
}

export interface BenchReport {
  date: string;
  command: string;
  machine: Machine;
  /** The machine's load average (1, 5, 15 min) when the run started and ended: how busy it was besides the run. */
  loadAverage?: { start: number[]; end?: number[] };
  versions: Versions;
  settings: unknown;
  groups: GroupInfo[];
  cases: CaseResult[];
  datasets: DatasetCase[];
  /** Cases that could not be measured, with the reason. */
  failures: string[];
  /** Files written next to results.json, relative to it. */
  charts: string[];
}
