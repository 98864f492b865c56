// CPU and memory of server processes, read from Linux's /proc:
//   /proc/PID/stat    utime and stime (fields 14 and 15), in clock ticks
//   /proc/PID/status  VmHWM (peak resident set) and RssAnon (private resident memory), in kB
// A Sampler reads them every `intervalMs` during a run: CPU is the difference over the run,
// divided by the wall time (1.0 = one core busy); memory is the peak seen.

import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux architecture Node runs on. */
const clockTicksPerS = 100;

export interface ProcMemory {
  rssAnonBytes: number;
  vmHwmBytes: number;
}

/** utime + stime of a process, in seconds; undefined if it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After ')' the first field is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / clockTicksPerS;
  } catch {
    return undefined;
  }
}

export function memory(pid: number): ProcMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    };
    return { rssAnonBytes: kb('RssAnon'), vmHwmBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** What a set of processes (the members of one cluster) used during a run. */
export interface ProcUsage {
  /** CPU seconds per wall second, summed over the processes. */
  cpuCores: number;
  /** The largest sum over the processes of RssAnon seen in one sample. */
  peakRssAnonBytes: number;
  /** The sum over the processes of VmHWM at the end (the peak over each process's life). */
  vmHwmBytes: number;
}

export class Sampler {
  private readonly cpu0: number;
  private readonly t0 = performance.now();
  private peakRssAnon = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: readonly number[], intervalMs = 200) {
    this.cpu0 = this.cpuNow();
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private cpuNow(): number {
    return this.pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  }

  private sample(): void {
    const rss = this.pids.reduce((sum, pid) => sum + (memory(pid)?.rssAnonBytes ?? 0), 0);
    this.peakRssAnon = Math.max(this.peakRssAnon, rss);
  }

  stop(): ProcUsage | undefined {
    clearInterval(this.timer);
    if (this.pids.length === 0) return undefined;
    this.sample();
    const wallS = (performance.now() - this.t0) / 1000;
    return {
      cpuCores: wallS > 0 ? (this.cpuNow() - this.cpu0) / wallS : 0,
      peakRssAnonBytes: this.peakRssAnon,
      vmHwmBytes: this.pids.reduce((sum, pid) => sum + (memory(pid)?.vmHwmBytes ?? 0), 0),
    };
  }
}
