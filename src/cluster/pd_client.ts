// The PD client every store (and `flotilla ctl`) uses: msgpack over HTTP/1.1 keep-alive to the
// PD members' client URLs, following the leader. PD answers 503 with the leader's URL when asked
// on a follower; the client remembers the leader and tries the other URLs when one is down.
//
// Timestamps are batched: every request for timestamps made during one event-loop turn (from
// all the store's lanes) goes to PD as one call for the sum, and each caller gets its slice.

import { keepAliveAgent, postMsgpack } from './msgpack_http.js';
import { pack, unpack } from '../util/msgpack.js';

/** How long a call keeps trying PD members before it fails. */
const callTotalMsMax = 10_000;
const retryDelayMs = 100;
const requestTimeoutMs = 3_000;

export class PdUnavailableError extends Error {
  readonly code = 'PdUnavailable';
}

export class PdClient {
  private leader: string | undefined;
  private readonly agent = keepAliveAgent(16);
  private tsoWaiting: Array<{ count: number; resolve(first: number): void; reject(e: Error): void }> = [];
  private tsoScheduled = false;
  private closed = false;

  constructor(private readonly urls: string[]) {
    if (urls.length === 0) throw new Error('PD client needs at least one PD URL');
  }

  /** Sends one internal call (see placement/pd/http.ts) to the PD leader. */
  async call<T>(body: unknown): Promise<T> {
    const deadline = Date.now() + callTotalMsMax;
    const payload = pack(body);
    let lastError = 'no PD member answered';
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new PdUnavailableError('PD client closed');
      const order = this.leader ? [this.leader, ...this.urls.filter((u) => u !== this.leader)] : this.urls;
      for (const base of order) {
        try {
          const r = await this.post(base, payload);
          if (r.status === 200) {
            this.leader = base;
            return unpack<T>(r.body);
          }
          if (r.status === 503) {
            if (r.leader && r.leader !== base) this.leader = r.leader;
            lastError = `${base}: not the PD leader`;
            continue;
          }
          throw new PdUnavailableError(`${base}: ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
        } catch (e) {
          if (e instanceof PdUnavailableError) throw e;
          lastError = `${base}: ${(e as Error).message}`;
        }
      }
      if (Date.now() >= deadline) throw new PdUnavailableError(`PD unavailable: ${lastError}`);
      await new Promise((r) => setTimeout(r, retryDelayMs * Math.min(attempt + 1, 5)));
    }
  }

  private async post(base: string, payload: Uint8Array): Promise<{ status: number; body: Buffer; leader?: string }> {
    const r = await postMsgpack(this.agent, new URL('/pd/internal', base), payload, requestTimeoutMs);
    const leader = r.headers['x-flotilla-pd-leader'];
    return { status: r.status, body: r.body, ...(typeof leader === 'string' ? { leader } : {}) };
  }

  /** The first of `count` consecutive timestamps (revisions) from PD's oracle. */
  timestamps(count: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tsoWaiting.push({ count, resolve, reject });
      if (this.tsoScheduled) return;
      this.tsoScheduled = true;
      setImmediate(() => {
        this.tsoScheduled = false;
        const batch = this.tsoWaiting;
        this.tsoWaiting = [];
        const total = batch.reduce((n, w) => n + w.count, 0);
        this.call<{ first: number }>({ call: 'tso', count: total }).then(
          ({ first }) => {
            let next = first;
            for (const w of batch) {
              w.resolve(next);
              next += w.count;
            }
          },
          (err: Error) => {
            for (const w of batch) w.reject(err);
          },
        );
      });
    });
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}
