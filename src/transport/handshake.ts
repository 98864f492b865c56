// Opening a link. The dialer sends a hello naming itself, the member it meant to reach and its
// cluster; the acceptor checks it and answers ok or a refusal with a reason. Batches flow only
// after an ok, so nothing reaches a store of another cluster.

import { connect, type Socket } from 'node:net';
import { parseUint64Decimal } from '../cluster/ids.js';
import {
  FrameDecodeError,
  type Hello,
  packHello,
  packHelloReply,
  unpackBatch,
  unpackCalls,
  unpackHello,
  unpackHelloReply,
  wireVersion,
} from './codec.js';
import { Connection } from './connection.js';
import { type Frame, FrameKind } from './frames.js';
import type { PeerLink } from './peer_link.js';
import type { PeerAddress, PeerId, TransportLimits, TransportLogger, TransportTimers } from './types.js';

export interface HandshakeContext {
  readonly memberId: PeerId;
  readonly clusterId: string;
  readonly limits: TransportLimits;
  readonly timers: TransportTimers;
  readonly logger: TransportLogger;
  /** Every connection, open or opening, so close() can end them all. */
  readonly connections: Set<Connection>;
}

/** A frame on an open link: Raft messages or calls. */
function receiveOpen(link: PeerLink, frame: Frame): void {
  if (frame.kind === FrameKind.batch) link.receive(unpackBatch(frame.body));
  else if (frame.kind === FrameKind.calls) link.receiveCalls(unpackCalls(frame.body));
  else throw new FrameDecodeError(`unexpected frame kind ${frame.kind}`);
}

/** Dials `address` for `link`; reports back with link.attach / link.dialFailed / link.detach. */
export function dialPeer(ctx: HandshakeContext, link: PeerLink, address: PeerAddress): void {
  const socket = connect({ host: address.host, port: address.port });
  let open = false;
  let refusal: string | undefined;
  const conn = new Connection(socket, ctx.limits.frameBytesMax, {
    onFrame(c, frame) {
      if (open) {
        receiveOpen(link, frame);
        return;
      }
      if (frame.kind !== FrameKind.helloReply) throw new FrameDecodeError('expected a hello reply');
      ctx.timers.clearTimeout(timer);
      const reply = unpackHelloReply(frame.body);
      if (!reply.ok) {
        refusal = reply.reason;
        c.destroy(reply.reason);
        return;
      }
      open = true;
      link.attach(c);
    },
    onClose(c, reason) {
      ctx.timers.clearTimeout(timer);
      ctx.connections.delete(c);
      if (open) link.detach(c, reason);
      else if (refusal !== undefined) link.dialFailed(refusal, true);
      else link.dialFailed(reason ?? 'connection closed during the handshake', false);
    },
  });
  ctx.connections.add(conn);
  const timer = ctx.timers.setTimeout(
    () => conn.destroy(`no hello reply within ${ctx.limits.helloTimeoutMs} ms`),
    ctx.limits.helloTimeoutMs,
  );
  socket.once('connect', () => {
    const hello: Hello = { version: wireVersion, clusterId: ctx.clusterId, from: ctx.memberId, to: link.id };
    conn.writeFrame(FrameKind.hello, [packHello(hello)]);
  });
}

/**
 * Serves one accepted socket: waits for a hello, refuses it or hands the connection to the
 * sender's link (`linkFor` creates the link if the peer is not known yet, e.g. a member added
 * at runtime that dials before this store applied the change).
 */
export function acceptPeer(ctx: HandshakeContext, socket: Socket, linkFor: (peer: PeerId) => PeerLink): void {
  let link: PeerLink | undefined;
  let refused = false;
  const conn = new Connection(socket, ctx.limits.frameBytesMax, {
    onFrame(c, frame) {
      if (refused) return;
      if (link !== undefined) {
        receiveOpen(link, frame);
        return;
      }
      if (frame.kind !== FrameKind.hello) throw new FrameDecodeError('expected a hello');
      ctx.timers.clearTimeout(timer);
      const hello = unpackHello(frame.body);
      const reason = refusalOf(ctx, hello);
      if (reason !== undefined) {
        refused = true;
        ctx.logger.warn(`transport: refused connection from member ${hello.from} (${c.remote}): ${reason}`);
        c.writeFrame(FrameKind.helloReply, [packHelloReply({ ok: false, reason })]);
        c.end();
        return;
      }
      c.writeFrame(FrameKind.helloReply, [packHelloReply({ ok: true })]);
      link = linkFor(hello.from);
      link.attach(c);
    },
    onClose(c, reason) {
      ctx.timers.clearTimeout(timer);
      ctx.connections.delete(c);
      if (link !== undefined) link.detach(c, reason);
      else if (reason !== undefined && !refused) {
        ctx.logger.warn(`transport: dropped connection from ${c.remote} before its hello: ${reason}`);
      }
    },
  });
  ctx.connections.add(conn);
  const timer = ctx.timers.setTimeout(
    () => conn.destroy(`no hello within ${ctx.limits.helloTimeoutMs} ms`),
    ctx.limits.helloTimeoutMs,
  );
}

/** Why a hello is refused, in words for both members' logs; undefined to accept it. */
function refusalOf(ctx: HandshakeContext, h: Hello): string | undefined {
  if (h.version !== wireVersion) {
    return `peer wire version ${h.version} is not supported (this member speaks version ${wireVersion})`;
  }
  if (h.clusterId !== ctx.clusterId) {
    return (
      `member ${h.from} belongs to cluster ${h.clusterId}, this member (${ctx.memberId}) to cluster ` +
      `${ctx.clusterId}; check --initial-cluster and --initial-cluster-token`
    );
  }
  if (parseUint64Decimal(h.from) === undefined || h.from === '0') return `invalid member ID ${JSON.stringify(h.from)}`;
  if (h.from === ctx.memberId) return `member ID ${h.from} is this member's own ID`;
  if (h.to !== ctx.memberId) {
    return `this is member ${ctx.memberId}, not ${h.to}; check the peer URLs in --initial-cluster`;
  }
  return undefined;
}
