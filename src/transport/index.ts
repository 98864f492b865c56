// Store-to-store transport: one framed TCP link per peer pair, shared by all Raft groups.
export { Transport } from './transport.js';
export { peerAddressOf, socketHost } from './address.js';
export {
  defaultTransportLimits,
  type PeerAddress,
  type PeerId,
  type SnapshotRef,
  type TransportHandlers,
  type TransportLimits,
  type TransportLogger,
  type TransportOptions,
  type TransportTimers,
  TransportCallError,
} from './types.js';
export { FrameDecodeError, wireVersion } from './codec.js';
