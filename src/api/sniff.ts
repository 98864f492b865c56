// etcd serves gRPC (HTTP/2) and the JSON gateway (HTTP/1.1) on one port, telling them apart by
// the first bytes of a connection: HTTP/2 clients open with a fixed preface.

import type { Duplex } from 'node:stream';

const h2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * Reads until the first bytes tell HTTP/2 from anything else, puts them back, and hands the
 * paused socket on. `PRI` could start neither a gateway request nor anything we serve, so a
 * partial match waits for more bytes only while it is still a prefix of the preface.
 */
export function sniffProtocol(socket: Duplex, dispatch: (isHttp2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, h2Preface.length);
    const isPrefix = seen.subarray(0, n).equals(h2Preface.subarray(0, n));
    if (isPrefix && seen.length < h2Preface.length) return;
    socket.off('data', onData);
    socket.pause();
    socket.unshift(seen);
    dispatch(isPrefix);
  };
  socket.on('data', onData);
}
