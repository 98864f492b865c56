// The scheduling config PD's leader runs with, and how people change it over the HTTP API
// (POST /pd/api/v1/schedulers/config, a JSON object of the settings to change).
//
// What PD keeps is the overrides: the settings someone set. The config in force is the defaults
// with the overrides on top, plus three settings that follow the split size unless set
// themselves, so that shrinking the split size for an experiment is one setting, not four:
//
//   setting               follows                          with the defaults
//   regionMergeBytesMax   regionSplitBytesMax * 5 / 24     96 MiB -> 20 MiB (tikv/pd's ratio)
//   regionMergeKeysMax    regionSplitKeysMax * 5 / 24      960 000 -> 200 000
//   hotSplitBytesMin      regionSplitBytesMax / 2          96 MiB -> 48 MiB
//
// Worked example: {"regionSplitBytesMax": 1048576, "regionSplitKeysMax": 1000} gives merge limits
// of 218 453 bytes and 208 keys and a hot split from 524 288 bytes, which pass
// validateScheduleConfig (2 * merge < split, hot split > 2 * merge). Setting any of the three
// itself pins it; {"regionMergeBytesMax": null} lets it follow again.
//
// Schedulers whose operators PD cannot have executed yet cannot be enabled (see scheduling.ts).

import type { OperatorTimeouts } from '../operator.js';
import { operatorTimeoutsDefault } from '../operator.js';
import { PlacementConfigError, scheduleConfigDefault, validateScheduleConfig, type ScheduleConfig, type SchedulerName } from '../schedulers/index.js';

/** The schedulers' config plus how often the leader runs a round. */
export interface PdScheduleConfig extends ScheduleConfig {
  scheduleIntervalMs: number;
}

/** What someone set; everything else is the default (or follows the split size). */
export type ScheduleOverrides = Partial<Omit<PdScheduleConfig, 'replicas' | 'timeouts' | 'enabled'>> & {
  enabled?: SchedulerName[];
  timeouts?: Partial<OperatorTimeouts>;
};

export const scheduleIntervalMsDefault = 1_000;

/**
 * Why a scheduler cannot run yet: its operators have steps PD does not turn into commands.
 * Empty now: PD sends `split`, `transferLeader`, `changePeer` and `merge` (scheduling.ts,
 * commandFor); a scheduler whose steps stores cannot carry out would be listed here.
 */
export const schedulersUnavailable: Readonly<Partial<Record<SchedulerName, string>>> = Object.freeze({});

/** Schedulers whose every operator stores can carry out, in the runner's order. */
export const executableSchedulers: readonly SchedulerName[] = Object.freeze(
  scheduleConfigDefault.enabled.filter((n) => schedulersUnavailable[n] === undefined),
);

/** Settings that are numbers, and what each must be. Split limits are never 0 (everything would split). */
const numberSettings = {
  scheduleIntervalMs: 'positiveInteger',
  balanceGapMin: 'positiveInteger',
  balanceGapRatio: 'nonNegative',
  balanceBatchMax: 'positiveInteger',
  storeAvailableRatioMin: 'nonNegative',
  hotWriteQpsMin: 'positive',
  hotReadQpsMin: 'positive',
  hotSplitBytesMin: 'positiveInteger',
  regionSplitBytesMax: 'positiveInteger',
  regionSplitKeysMax: 'positiveInteger',
  regionMergeBytesMax: 'nonNegativeInteger',
  regionMergeKeysMax: 'nonNegativeInteger',
  operatorsInFlightMax: 'positiveInteger',
  storeOperatorsInFlightMax: 'positiveInteger',
} as const satisfies Record<keyof Omit<PdScheduleConfig, 'replicas' | 'timeouts' | 'enabled'>, NumberKind>;

const timeoutSettings = {
  stepFastMs: 'positiveInteger',
  stepSlowMs: 'positiveInteger',
  snapshotBytesPerMs: 'positive',
} as const satisfies Record<keyof OperatorTimeouts, NumberKind>;

type NumberKind = 'positiveInteger' | 'nonNegativeInteger' | 'positive' | 'nonNegative';

const numberKindText: Record<NumberKind, string> = {
  positiveInteger: 'a positive integer',
  nonNegativeInteger: 'an integer >= 0',
  positive: 'a number > 0',
  nonNegative: 'a number >= 0',
};

/** The config in force for these overrides; `replicas` is PD's own (its --replicas flag). */
export function effectiveScheduleConfig(o: ScheduleOverrides, replicas: number): PdScheduleConfig {
  const splitBytes = o.regionSplitBytesMax ?? scheduleConfigDefault.regionSplitBytesMax;
  const splitKeys = o.regionSplitKeysMax ?? scheduleConfigDefault.regionSplitKeysMax;
  const { timeouts, enabled, ...numbers } = o;
  return Object.freeze({
    ...scheduleConfigDefault,
    scheduleIntervalMs: scheduleIntervalMsDefault,
    regionMergeBytesMax: Math.floor((splitBytes * 5) / 24),
    regionMergeKeysMax: Math.floor((splitKeys * 5) / 24),
    hotSplitBytesMin: Math.ceil(splitBytes / 2),
    ...numbers,
    replicas,
    enabled: Object.freeze(enabled === undefined ? [...executableSchedulers] : executableSchedulers.filter((n) => enabled.includes(n))),
    timeouts: Object.freeze({ ...operatorTimeoutsDefault, ...timeouts }),
  });
}

/**
 * The overrides after applying a JSON patch; throws PlacementConfigError naming the first bad
 * setting (an unknown name, a wrong type, a scheduler that cannot run, or a config
 * validateScheduleConfig refuses). A null value removes the override.
 */
export function patchScheduleOverrides(current: ScheduleOverrides, patch: unknown, replicas: number): ScheduleOverrides {
  const bad = (what: string): never => {
    throw new PlacementConfigError(`placement: ${what}`);
  };
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) bad('the config must be a JSON object');
  const next: Record<string, unknown> = { ...current, ...(current.timeouts ? { timeouts: { ...current.timeouts } } : {}) };
  for (const [name, value] of Object.entries(patch as Record<string, unknown>)) {
    if (name === 'replicas') bad('replicas is PD\'s --replicas flag and cannot change here');
    if (value === null) {
      delete next[name];
      continue;
    }
    if (name === 'enabled') {
      next.enabled = parseEnabled(value, bad);
    } else if (name === 'timeouts') {
      if (typeof value !== 'object' || Array.isArray(value)) bad('timeouts must be an object');
      const t = { ...(next.timeouts as Partial<OperatorTimeouts> | undefined) } as Record<string, number>;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (!(k in timeoutSettings)) bad(`unknown setting timeouts.${k}`);
        if (v === null) delete t[k];
        else t[k] = checkNumber(`timeouts.${k}`, v, timeoutSettings[k as keyof OperatorTimeouts], bad);
      }
      if (Object.keys(t).length === 0) delete next.timeouts;
      else next.timeouts = t;
    } else if (name in numberSettings) {
      next[name] = checkNumber(name, value, numberSettings[name as keyof typeof numberSettings], bad);
    } else {
      bad(`unknown setting ${JSON.stringify(name)}`);
    }
  }
  const overrides = next as ScheduleOverrides;
  validateScheduleConfig(effectiveScheduleConfig(overrides, replicas));
  return overrides;
}

function parseEnabled(value: unknown, bad: (what: string) => never): SchedulerName[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) bad('enabled must be an array of scheduler names');
  const names = value as string[];
  for (const n of names) {
    if (!(scheduleConfigDefault.enabled as readonly string[]).includes(n)) {
      bad(`unknown scheduler ${JSON.stringify(n)} (schedulers: ${scheduleConfigDefault.enabled.join(', ')})`);
    }
    const why = schedulersUnavailable[n as SchedulerName];
    if (why !== undefined) bad(`scheduler ${n} cannot be enabled: ${why}`);
  }
  return [...new Set(names)] as SchedulerName[];
}

function checkNumber(name: string, v: unknown, kind: NumberKind, bad: (what: string) => never): number {
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (kind === 'positiveInteger' ? Number.isSafeInteger(v) && v > 0
      : kind === 'nonNegativeInteger' ? Number.isSafeInteger(v) && v >= 0
      : kind === 'positive' ? v > 0
      : v >= 0);
  if (!ok) bad(`${name} must be ${numberKindText[kind]}, got ${JSON.stringify(v)}`);
  return v as number;
}
