// What a member is configured with once its flags parsed and validated.

export type InitialClusterState = 'new' | 'existing';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface InitialClusterMember {
  name: string;
  /** As written in --initial-cluster: member IDs hash these exact strings. */
  peerUrls: string[];
}

/**
 * etcd's --auto-compaction-mode/--auto-compaction-retention, resolved: `periodic` keeps
 * `retentionMs` of history ("1h", "5m", or a bare number of hours), `revision` keeps the last
 * `retentionRevisions` revisions. 0 disables auto compaction.
 */
export type AutoCompaction =
  | { mode: 'periodic'; retentionMs: number }
  | { mode: 'revision'; retentionRevisions: number };

/** Client TLS (etcd's --cert-file, --key-file, --trusted-ca-file, --client-cert-auth). */
export interface ClientTls {
  certFile: string;
  keyFile: string;
  trustedCaFile?: string;
  clientCertAuth: boolean;
}

export interface MemberConfig {
  name: string;
  dataDir: string;
  /** URL strings as given (etcd form, `http://host:port`); see listenAddressOf for sockets. */
  listenClientUrls: string[];
  advertiseClientUrls: string[];
  /** http:// only: peers speak Flotilla's framing on this port. */
  listenPeerUrls: string[];
  initialAdvertisePeerUrls: string[];
  /** Includes this member, with exactly its --initial-advertise-peer-urls. */
  initialCluster: InitialClusterMember[];
  initialClusterState: InitialClusterState;
  initialClusterToken: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  /** Committed entries between snapshots (etcd's 0 means the default, 100000). */
  snapshotCount: number;
  /** The backend size that raises the NOSPACE alarm; null when disabled (a negative flag). */
  quotaBackendBytes: number | null;
  maxRequestBytes: number;
  maxTxnOps: number;
  autoCompaction: AutoCompaction;
  unsafeNoFsync: boolean;
  /** Extra wait after each durable commit (experiments: emulates a slower disk); 0 = none. */
  flushDelayMs: number;
  /** Entries kept behind a Raft log compaction for slow followers (etcd 3.5's flag; 5000). */
  snapshotCatchUpEntries: number;
  /** Set when --cert-file and --key-file are; https client URLs need it. */
  tls: ClientTls | undefined;
  logLevel: LogLevel;
}
