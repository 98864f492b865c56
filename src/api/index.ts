// The API layer: etcd's gRPC services and JSON gateway over an EtcdBackend, and etcd's metrics.

export type { EtcdBackend } from './backend.js';
export { apiServices, startClientServer } from './client-server.js';
export type { ClientServer, ClientServerOptions, ClientTlsOptions } from './client-server.js';
export { GrpcCode, httpStatusOf, statusOf, StatusError } from './errors.js';
export { loadProtos, protoDir } from './grpc-server.js';
export { ServerMetrics } from './metrics.js';
export type { ApiMetrics, ServerMetricsOptions } from './metrics.js';
export { defaultLimits, grpcOverheadBytes } from './validate.js';
export type { Limits } from './validate.js';
