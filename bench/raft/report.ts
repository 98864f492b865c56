// Turns benchmark results into the compact text table bench:raft prints.

import { idleElectionTicks, idleHeartbeatTicks, idleTicksPerBlock } from './idle.js';
import type { Machine } from './machine.js';

export interface Settings {
  seconds: number;
  reps: number;
  warmup: number;
  groups: number;
  payload: number;
  seed: number;
  only: 'all' | 'throughput' | 'idle';
}

/** One throughput mode, summarised over its repetitions. */
export interface ThroughputRow {
  label: string;
  perTurn: number;
  style: string;
  entriesPerSec: { median: number; min: number; max: number };
  messagesPerEntry: number;
  roundsPerTurn: number;
  /** Entries per repetition (median), to show how much work a figure rests on. */
  entries: number;
}

/** One idle population, summarised over its repetitions. */
export interface IdleRow {
  kind: string;
  description: string;
  groups: number;
  nsPerTick: { median: number; min: number; max: number };
  nsPerTickHasReady: { median: number; min: number; max: number };
  /** 0 when the population needs no heartbeats. */
  nsPerHeartbeat: number;
  heapBytesPerGroup: number;
  heapExact: boolean;
}

export function settingsFlags(s: Settings): string {
  const flags = `--seconds ${s.seconds} --reps ${s.reps} --warmup ${s.warmup} --groups ${s.groups} --payload ${s.payload} --seed ${s.seed}`;
  return s.only === 'all' ? flags : `${flags} --only ${s.only}`;
}

export function formatHeader(m: Machine, s: Settings, gcExposed: boolean): string[] {
  const gib = (m.memoryBytes / 2 ** 30).toFixed(1);
  return [
    'Flotilla Raft core benchmarks',
    `machine   ${m.cpu}, ${m.cores} logical cores, ${gib} GiB, ${m.os}`,
    `runtime   Node ${m.node} (V8 ${m.v8}), --expose-gc ${gcExposed ? 'on' : 'off'}`,
    `source    ${m.commit}`,
    `command   npm run bench:raft -- ${settingsFlags(s)}`,
    `method    median of ${s.reps} repetitions of ${s.seconds} s each, after ${s.warmup} s of warm-up; [min-max] over the repetitions`,
  ];
}

export function formatThroughput(rows: ThroughputRow[], s: Settings): string[] {
  const out = [
    '',
    `1. Throughput: 3 voters in one process (MemoryStorage, messages passed by reference, no ticks), ${s.payload}-byte payloads`,
    '   A turn: the leader takes its proposals, then Ready/deliver rounds run until the group is quiet,',
    '   so every entry is committed and applied on all 3 nodes. Logs compacted every 1024 applied entries.',
  ];
  const header = ['proposals per turn', 'entries/s', '[min-max]', 'msgs/entry', 'rounds/turn', 'entries/rep'];
  const body = rows.map((r) => [
    r.label,
    int(r.entriesPerSec.median),
    `[${int(r.entriesPerSec.min)}-${int(r.entriesPerSec.max)}]`,
    r.messagesPerEntry.toFixed(3),
    r.roundsPerTurn.toFixed(1),
    int(r.entries),
  ]);
  return out.concat(table(header, body, [false, true, true, true, true, true]));
}

export function formatIdle(rows: IdleRow[], s: Settings): string[] {
  const out = [
    '',
    `2. Idle groups: ${int(s.groups)} RawNodes per population, one group each, own MemoryStorage, one shared Prng;`,
    `   electionTicks ${idleElectionTicks}, heartbeatTicks ${idleHeartbeatTicks}, checkQuorum and preVote off. A round ticks every group once.`,
    `   Followers get a heartbeat every ${2 * idleTicksPerBlock} ticks (timed apart: step + Ready + advance), so they never campaign.`,
  ];
  const header = ['population', 'tick ns/group', 'µs/10k ticks', 'tick+hasReady ns/group', 'µs/10k', 'heartbeat ns', 'heap B/group'];
  const body = rows.map((r) => [
    r.description,
    `${r.nsPerTick.median.toFixed(1)} [${r.nsPerTick.min.toFixed(1)}-${r.nsPerTick.max.toFixed(1)}]`,
    (r.nsPerTick.median * 10).toFixed(1),
    `${r.nsPerTickHasReady.median.toFixed(1)} [${r.nsPerTickHasReady.min.toFixed(1)}-${r.nsPerTickHasReady.max.toFixed(1)}]`,
    (r.nsPerTickHasReady.median * 10).toFixed(1),
    r.nsPerHeartbeat > 0 ? r.nsPerHeartbeat.toFixed(0) : '-',
    `${int(r.heapBytesPerGroup)}${r.heapExact ? '' : ' (no gc)'}`,
  ]);
  return out.concat(table(header, body, [false, true, true, true, true, true, true]));
}

function int(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** Columns padded to their widest cell; numbers right-aligned. */
function table(header: string[], body: string[][], rightAligned: boolean[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]): string =>
    '   ' + cells.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [line(header), ...body.map(line)];
}
