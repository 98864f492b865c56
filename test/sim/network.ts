// A faulty network between numbered nodes: latency, loss, duplication, reordering (random
// delays), and partitions, symmetric or one-way. Messages in flight when a link is cut are lost.

import type { World } from './world.js';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice. */
  dupRate: number;
  /** Probability that a message is held back long enough to overtake later ones. */
  delayRate: number;
}

export const noFaults: NetworkFaults = { dropRate: 0, dupRate: 0, delayRate: 0 };

export class Network<M extends { from: number; to: number }> {
  faults: NetworkFaults = { ...noFaults };
  /** Directed links that are cut, as `${from}>${to}`. */
  private readonly cut = new Set<string>();
  sent = 0;
  delivered = 0;

  constructor(
    private readonly world: World,
    /** Latency of a message in virtual time units: [min, max]. */
    private readonly latency: [number, number],
    /** Delivers m; returns false if the receiver was not there to take it. */
    private readonly deliver: (m: M) => boolean | void,
  ) {}

  /**
   * Sends m. `report`, if given, learns the outcome like a stream transport would: true once
   * delivered, false if lost (each is reported once).
   */
  send(m: M, report?: (delivered: boolean) => void): void {
    this.sent++;
    let reported = false;
    const tell = (ok: boolean): void => {
      if (report && !reported) {
        reported = true;
        report(ok);
      }
    };
    const r = this.world.rand;
    if (this.isCut(m.from, m.to) || r.chance(this.faults.dropRate)) {
      if (report) this.world.after(this.latency[1], () => tell(false));
      return;
    }
    const copies = r.chance(this.faults.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.latency[0] + r.int(this.latency[1] - this.latency[0] + 1);
      if (r.chance(this.faults.delayRate)) delay += r.int(this.latency[1] * 20);
      this.world.after(delay, () => {
        if (this.isCut(m.from, m.to)) {
          tell(false);
          return;
        }
        this.delivered++;
        const ok = this.deliver(m);
        tell(ok !== false);
      });
    }
  }

  isCut(from: number, to: number): boolean {
    return this.cut.size > 0 && this.cut.has(`${from}>${to}`);
  }

  /** Cuts the link from a to b (one way). */
  cutOneWay(a: number, b: number): void {
    this.cut.add(`${a}>${b}`);
  }

  /** Splits nodes into two sides that cannot talk to each other. */
  partition(sideA: number[], sideB: number[]): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.cut.add(`${a}>${b}`);
        this.cut.add(`${b}>${a}`);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  get cutLinks(): number {
    return this.cut.size;
  }
}
