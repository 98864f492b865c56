// Store-to-store links shared by every Raft group of a store (DESIGN layer 6).
//
//   const t = await Transport.start({ memberId, clusterId, listen, onMessages, onUnreachable, onSnapshotStatus });
//   t.addPeer('13893005767132613710', 'http://10.0.0.2:2380');
//   t.send('13893005767132613710', ready.messages);   // many groups, one queue, one batch per turn
//   ...
//   await t.close();

import { createServer, type Server } from 'node:net';
import { parseUint64Decimal } from '../cluster/ids.js';
import { assert } from '../util/assert.js';
import type { Message } from '../raft/types.js';
import { peerAddressOf } from './address.js';
import type { Connection } from './connection.js';
import { acceptPeer, dialPeer, type HandshakeContext } from './handshake.js';
import { type LinkContext, PeerLink } from './peer_link.js';
import {
  TransportCallError,
  defaultTransportLimits,
  type PeerAddress,
  type PeerId,
  type TransportHandlers,
  type TransportLimits,
  type TransportLogger,
  type TransportOptions,
  type TransportTimers,
} from './types.js';

const realTimers: TransportTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setImmediate: (fn) => void setImmediate(fn),
};

const stderrLogger: TransportLogger = {
  info: (msg) => process.stderr.write(`${msg}\n`),
  warn: (msg) => process.stderr.write(`${msg}\n`),
};

export class Transport {
  private readonly links = new Map<PeerId, PeerLink>();
  private readonly connections = new Set<Connection>();
  private readonly handshake: HandshakeContext;
  private readonly linkContext: LinkContext;
  private readonly memberIdValue: bigint;
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly memberId: PeerId,
    limits: TransportLimits,
    opts: TransportOptions,
  ) {
    const member = parseUint64Decimal(opts.memberId);
    assert(member !== undefined && member !== 0n, `member ID ${opts.memberId} is not a decimal uint64`);
    assert(parseUint64Decimal(opts.clusterId) !== undefined, `cluster ID ${opts.clusterId} is not a decimal uint64`);
    assert(limits.batchBytesMax <= limits.frameBytesMax, 'batchBytesMax must not exceed frameBytesMax');
    this.memberIdValue = member;
    const timers = opts.timers ?? realTimers;
    const logger = opts.logger ?? stderrLogger;
    const handlers: TransportHandlers = {
      onMessages: opts.onMessages,
      onUnreachable: opts.onUnreachable,
      onSnapshotStatus: opts.onSnapshotStatus,
      ...(opts.onCall ? { onCall: opts.onCall } : {}),
    };
    this.handshake = { memberId: opts.memberId, clusterId: opts.clusterId, limits, timers, logger, connections: this.connections };
    this.linkContext = {
      limits,
      timers,
      logger,
      handlers,
      random: opts.random ?? Math.random,
      live: () => !this.closed,
      dial: (link, address) => dialPeer(this.handshake, link, address),
    };
    server.on('connection', (socket) => {
      if (this.closed) socket.destroy();
      else acceptPeer(this.handshake, socket, (peer) => this.linkFor(peer));
    });
  }

  /** Listens on `opts.listen` and resolves once it accepts connections. */
  static start(opts: TransportOptions): Promise<Transport> {
    const limits: TransportLimits = { ...defaultTransportLimits, ...opts.limits };
    const server = createServer();
    const transport = new Transport(server, opts.memberId, limits, opts);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.listen.port, opts.listen.host, () => {
        server.off('error', reject);
        server.on('error', (err) => (opts.logger ?? stderrLogger).warn(`transport: listener error: ${err.message}`));
        resolve(transport);
      });
    });
  }

  /** Where links are accepted (the real port when `listen.port` was 0). */
  get address(): PeerAddress {
    const a = this.server.address();
    assert(a !== null && typeof a === 'object', 'transport is not listening');
    return { host: a.address, port: a.port };
  }

  /**
   * Adds a peer, or moves it to a new peer URL. The side with the smaller member ID dials at
   * once and keeps redialing; the other side waits for it.
   */
  addPeer(peer: PeerId, peerUrl: string): void {
    assert(!this.closed, 'transport is closed');
    const address = peerAddressOf(peerUrl);
    assert(!('error' in address), 'error' in address ? address.error : '');
    this.linkFor(peer).setAddress(address);
  }

  /** Forgets a peer: its link closes, queued snapshots are reported failed. */
  removePeer(peer: PeerId): void {
    const link = this.links.get(peer);
    if (link === undefined) return;
    this.links.delete(peer);
    link.remove();
  }

  /**
   * Queues `msgs` for `to`. They are encoded before send returns, so the caller may reuse them.
   * Messages to an unknown peer are dropped and the peer reported unreachable.
   */
  send(to: PeerId, msgs: readonly Message[]): void {
    if (this.closed || msgs.length === 0) return;
    const link = this.links.get(to);
    if (link === undefined) {
      const { handlers } = this.linkContext;
      for (const m of msgs) {
        if (m.snapshot) {
          handlers.onSnapshotStatus(to, false, { group: m.group, from: m.from, to: m.to, index: m.snapshot.metadata.index });
        }
      }
      handlers.onUnreachable(to);
      return;
    }
    link.enqueue(msgs);
  }

  /**
   * Sends `payload` to `peer`'s onCall handler over the link shared with Raft messages, and
   * resolves with its answer. Rejects with TransportCallError: `sent` false when the request
   * certainly did not leave (no open link: use another way, or retry), true when its outcome is
   * unknown (the link closed or `timeoutMs` passed first) or the peer's handler failed.
   */
  call(peer: PeerId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const link = this.closed ? undefined : this.links.get(peer);
    if (link === undefined) return Promise.reject(new TransportCallError(`no link to member ${peer}`, false));
    return link.call(payload, timeoutMs);
  }

  /** Whether the link to `peer` is open (handshake done, socket up). */
  isConnected(peer: PeerId): boolean {
    return this.links.get(peer)?.isOpen ?? false;
  }

  /** Bytes waiting to go to `peer` (queue plus unflushed socket buffer). */
  pendingBytes(peer: PeerId): number {
    return this.links.get(peer)?.pendingBytes ?? 0;
  }

  /** Stops listening and closes every link. No callback runs after close() is called. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.remove();
    this.links.clear();
    for (const c of this.connections) c.destroy('transport closed');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private linkFor(peer: PeerId): PeerLink {
    let link = this.links.get(peer);
    if (link === undefined) {
      const id = parseUint64Decimal(peer);
      assert(id !== undefined && id !== 0n, `peer ID ${peer} is not a decimal uint64`);
      assert(id !== this.memberIdValue, 'a store does not link to itself');
      link = new PeerLink(peer, this.memberIdValue < id, this.linkContext);
      this.links.set(peer, link);
    }
    return link;
  }
}
