// The prom-client adapter (the only module importing prom-client): etcd's metric names, types,
// labels and buckets where etcd has them, so dashboards and alerts written for etcd work as is.
// One registry per member, updated through methods (no global registry), plus Node's process
// metrics. Served at GET /metrics by the gateway.

import * as prom from 'prom-client';

/** What the API layer reports about gRPC traffic (the adapter calls these). */
export interface ApiMetrics {
  grpcStarted(service: string, method: string, type: string): void;
  grpcHandled(service: string, method: string, type: string, code: string): void;
  grpcReceivedBytes(bytes: number): void;
  grpcSentBytes(bytes: number): void;
}

/** etcd's buckets for disk latencies: 1 ms doubling to ~8 s (prometheus.ExponentialBuckets(0.001, 2, 14)). */
const diskSecondsBuckets = prom.exponentialBuckets(0.001, 2, 14);

export interface ServerMetricsOptions {
  /** The version etcd_server_version reports. */
  serverVersion?: string;
  /** Collect Node's process metrics (process_*, nodejs_*): off in tests that make many registries. */
  processMetrics?: boolean;
}

export class ServerMetrics implements ApiMetrics {
  readonly registry = new prom.Registry();
  private readonly hasLeader: prom.Gauge;
  private readonly isLeader: prom.Gauge;
  private readonly leaderChanges: prom.Counter;
  private readonly proposalsCommitted: prom.Gauge;
  private readonly proposalsApplied: prom.Gauge;
  private readonly proposalsPending: prom.Gauge;
  private readonly proposalsFailed: prom.Counter;
  private readonly walFsyncSeconds: prom.Histogram;
  private readonly backendCommitSeconds: prom.Histogram;
  private readonly dbTotalSizeBytes: prom.Gauge;
  private readonly dbTotalSizeInUseBytes: prom.Gauge;
  private readonly keysTotal: prom.Gauge;
  private readonly grpcReceived: prom.Counter;
  private readonly grpcSent: prom.Counter;
  private readonly grpcStartedTotal: prom.Counter;
  private readonly grpcHandledTotal: prom.Counter;
  private readonly snapshotSendSuccess: prom.Counter;
  private readonly snapshotSendFailures: prom.Counter;
  private readonly snapshotReceiveSuccess: prom.Counter;

  constructor(opts: ServerMetricsOptions = {}) {
    const registers = [this.registry];
    const gauge = (name: string, help: string, labelNames: string[] = []) =>
      new prom.Gauge({ name, help, labelNames, registers });
    const counter = (name: string, help: string, labelNames: string[] = []) =>
      new prom.Counter({ name, help, labelNames, registers });
    const histogram = (name: string, help: string) =>
      new prom.Histogram({ name, help, buckets: diskSecondsBuckets, registers });

    this.hasLeader = gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.');
    this.isLeader = gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.');
    this.leaderChanges = counter('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.');
    // NB: etcd exports committed/applied as gauges of the raft index, not as counters of proposals.
    this.proposalsCommitted = gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.');
    this.proposalsApplied = gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.');
    this.proposalsPending = gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.');
    this.proposalsFailed = counter('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.');
    this.walFsyncSeconds = histogram('etcd_disk_wal_fsync_duration_seconds', 'The latency distributions of fsync called by WAL.');
    this.backendCommitSeconds = histogram(
      'etcd_disk_backend_commit_duration_seconds',
      'The latency distributions of commit called by backend.',
    );
    this.dbTotalSizeBytes = gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.');
    this.dbTotalSizeInUseBytes = gauge(
      'etcd_mvcc_db_total_size_in_use_in_bytes',
      'Total size of the underlying database logically in use in bytes.',
    );
    this.keysTotal = gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.');
    this.grpcReceived = counter('etcd_network_client_grpc_received_bytes_total', 'The total number of bytes received from grpc clients.');
    this.grpcSent = counter('etcd_network_client_grpc_sent_bytes_total', 'The total number of bytes sent to grpc clients.');
    const grpcLabels = ['grpc_type', 'grpc_service', 'grpc_method'];
    this.grpcStartedTotal = counter('grpc_server_started_total', 'Total number of RPCs started on the server.', grpcLabels);
    this.grpcHandledTotal = counter(
      'grpc_server_handled_total',
      'Total number of RPCs completed on the server, regardless of success or failure.',
      [...grpcLabels, 'grpc_code'],
    );
    this.snapshotSendSuccess = counter('etcd_network_snapshot_send_success', 'Total number of successful snapshot sends', ['To']);
    this.snapshotSendFailures = counter('etcd_network_snapshot_send_failures', 'Total number of snapshot send failures', ['To']);
    this.snapshotReceiveSuccess = counter('etcd_network_snapshot_receive_success', 'Total number of successful snapshot receives', ['From']);
    gauge('etcd_server_version', 'Which version is running. 1 for \'server_version\' label with current version.', [
      'server_version',
    ])
      .labels(opts.serverVersion ?? '3.4.23')
      .set(1);
    if (opts.processMetrics ?? true) prom.collectDefaultMetrics({ register: this.registry });
  }

  setHasLeader(hasLeader: boolean): void {
    this.hasLeader.set(hasLeader ? 1 : 0);
  }
  setIsLeader(isLeader: boolean): void {
    this.isLeader.set(isLeader ? 1 : 0);
  }
  leaderChanged(): void {
    this.leaderChanges.inc();
  }
  /** The raft index of the last committed entry. */
  setProposalsCommitted(index: number): void {
    this.proposalsCommitted.set(index);
  }
  /** The raft index of the last applied entry. */
  setProposalsApplied(index: number): void {
    this.proposalsApplied.set(index);
  }
  setProposalsPending(count: number): void {
    this.proposalsPending.set(count);
  }
  proposalFailed(): void {
    this.proposalsFailed.inc();
  }
  observeWalFsync(seconds: number): void {
    this.walFsyncSeconds.observe(seconds);
  }
  observeBackendCommit(seconds: number): void {
    this.backendCommitSeconds.observe(seconds);
  }
  setDbSize(totalBytes: number, inUseBytes: number): void {
    this.dbTotalSizeBytes.set(totalBytes);
    this.dbTotalSizeInUseBytes.set(inUseBytes);
  }
  /** A snapshot went to member `to` (hex ID), delivered or not. */
  snapshotSent(to: string, ok: boolean): void {
    (ok ? this.snapshotSendSuccess : this.snapshotSendFailures).labels(to).inc();
  }
  /** A snapshot from member `from` (hex ID) was installed. */
  snapshotReceived(from: string): void {
    this.snapshotReceiveSuccess.labels(from).inc();
  }
  setKeysTotal(count: number): void {
    this.keysTotal.set(count);
  }
  grpcReceivedBytes(bytes: number): void {
    this.grpcReceived.inc(bytes);
  }
  grpcSentBytes(bytes: number): void {
    this.grpcSent.inc(bytes);
  }
  grpcStarted(service: string, method: string, type: string): void {
    this.grpcStartedTotal.labels(type, service, method).inc();
  }
  grpcHandled(service: string, method: string, type: string, code: string): void {
    this.grpcHandledTotal.labels(type, service, method, code).inc();
  }

  /** The exposition text and its content type, for GET /metrics. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
