// Peer URLs to socket addresses. We speak our own framing on the peer port, so only http://
// peer URLs are accepted for now (TLS between stores is not built yet).

import type { PeerAddress } from './types.js';

/** The host and port of an http:// peer URL, or an error message naming what is wrong. */
export function peerAddressOf(url: string): PeerAddress | { error: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { error: `invalid peer URL ${JSON.stringify(url)}` };
  }
  if (u.protocol !== 'http:') {
    return { error: `peer URL ${url}: only http:// peer URLs are supported` };
  }
  if (u.port === '') return { error: `peer URL ${url}: URL address does not have the form "host:port"` };
  return { host: socketHost(u.hostname), port: Number(u.port) };
}

/**
 * The host to give net.listen/net.connect. `localhost` means 127.0.0.1, as it does for etcd
 * (Go binds the first address it resolves); Node could otherwise pick ::1 and a peer that
 * listens on 127.0.0.1 would not be reached.
 */
export function socketHost(hostname: string): string {
  if (hostname === 'localhost') return '127.0.0.1';
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  return hostname;
}

export function formatAddress(a: PeerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
