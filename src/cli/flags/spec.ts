// The member flags Flotilla takes: etcd's names, meanings and defaults (etcd 3.4.23 `etcd --help`),
// one row each. Every flag can also come from ETCD_<NAME> (dashes as underscores), as in etcd.

export type FlagKind = 'string' | 'bool' | 'uint' | 'int64' | 'urls' | 'choice';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  choices?: readonly string[];
  /** As etcd's help shows it; the parsed default comes from the same text. */
  default: string;
  section: 'Member' | 'Clustering' | 'Security' | 'Logging' | 'Unsafe feature' | 'Experimental feature';
  help: string;
}

export const memberFlags: readonly FlagSpec[] = [
  { name: 'name', kind: 'string', default: 'default', section: 'Member', help: 'Human-readable name for this member.' },
  { name: 'data-dir', kind: 'string', default: '${name}.flotilla', section: 'Member', help: 'Path to the data directory.' },
  { name: 'snapshot-count', kind: 'uint', default: '100000', section: 'Member', help: 'Number of committed transactions to trigger a snapshot to disk (0 means the default).' },
  { name: 'heartbeat-interval', kind: 'uint', default: '100', section: 'Member', help: 'Time (in milliseconds) of a heartbeat interval.' },
  { name: 'election-timeout', kind: 'uint', default: '1000', section: 'Member', help: 'Time (in milliseconds) for an election to timeout. At least 5 heartbeat intervals, at most 50000.' },
  { name: 'listen-peer-urls', kind: 'urls', default: 'http://localhost:2380', section: 'Member', help: 'List of URLs to listen on for peer traffic (http:// only). localhost listens on 127.0.0.1.' },
  { name: 'listen-client-urls', kind: 'urls', default: 'http://localhost:2379', section: 'Member', help: 'List of URLs to listen on for client traffic. localhost listens on 127.0.0.1.' },
  { name: 'quota-backend-bytes', kind: 'int64', default: '0', section: 'Member', help: 'Raise alarms when backend size exceeds the given quota (0 defaults to 2 GiB, negative disables the quota).' },
  { name: 'max-txn-ops', kind: 'uint', default: '128', section: 'Member', help: 'Maximum number of operations permitted in a transaction.' },
  { name: 'max-request-bytes', kind: 'uint', default: '1572864', section: 'Member', help: 'Maximum client request size in bytes the server will accept.' },
  { name: 'initial-advertise-peer-urls', kind: 'urls', default: 'http://localhost:2380', section: 'Clustering', help: "List of this member's peer URLs to advertise to the rest of the cluster." },
  { name: 'initial-cluster', kind: 'string', default: 'default=http://localhost:2380', section: 'Clustering', help: 'Initial cluster configuration for bootstrapping (name=peer-url,...). Without it, --name and --initial-advertise-peer-urls form a one-member cluster.' },
  { name: 'initial-cluster-state', kind: 'choice', choices: ['new', 'existing'], default: 'new', section: 'Clustering', help: "Initial cluster state ('new' or 'existing')." },
  { name: 'initial-cluster-token', kind: 'string', default: 'etcd-cluster', section: 'Clustering', help: 'Initial cluster token for the cluster during bootstrap; member and cluster IDs derive from it.' },
  { name: 'advertise-client-urls', kind: 'urls', default: 'http://localhost:2379', section: 'Clustering', help: "List of this member's client URLs to advertise to the public. Required when --listen-client-urls is set." },
  { name: 'auto-compaction-retention', kind: 'string', default: '0', section: 'Clustering', help: 'Auto compaction retention length. 0 means disable auto compaction.' },
  { name: 'auto-compaction-mode', kind: 'choice', choices: ['periodic', 'revision'], default: 'periodic', section: 'Clustering', help: "Interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention." },
  { name: 'cert-file', kind: 'string', default: '', section: 'Security', help: 'Path to the client server TLS cert file.' },
  { name: 'key-file', kind: 'string', default: '', section: 'Security', help: 'Path to the client server TLS key file.' },
  { name: 'client-cert-auth', kind: 'bool', default: 'false', section: 'Security', help: 'Enable client cert authentication.' },
  { name: 'trusted-ca-file', kind: 'string', default: '', section: 'Security', help: 'Path to the client server TLS trusted CA cert file.' },
  { name: 'log-level', kind: 'choice', choices: ['debug', 'info', 'warn', 'error'], default: 'info', section: 'Logging', help: 'Configures log level. Only supports debug, info, warn, error.' },
  { name: 'unsafe-no-fsync', kind: 'bool', default: 'false', section: 'Unsafe feature', help: 'Disables fsync, unsafe, will cause data loss.' },
  { name: 'experimental-snapshot-catchup-entries', kind: 'uint', default: '5000', section: 'Experimental feature', help: 'Number of entries for a slow follower to catch up after compacting the raft storage entries.' },
  { name: 'experimental-flush-delay-ms', kind: 'uint', default: '0', section: 'Experimental feature', help: 'Flotilla only: waits this many milliseconds after every durable commit, to emulate a slower disk in benchmarks.' },
];

/**
 * etcd 3.4 flags Flotilla does not implement. Naming them gives a clearer error than "not
 * defined" to someone who copied an etcd command line.
 */
export const unsupportedEtcdFlags: ReadonlySet<string> = new Set([
  'config-file', 'wal-dir', 'max-snapshots', 'max-wals', 'backend-batch-interval', 'backend-batch-limit',
  'max-concurrent-streams', 'grpc-keepalive-min-time', 'grpc-keepalive-interval', 'grpc-keepalive-timeout',
  'initial-election-tick-advance', 'discovery', 'discovery-fallback', 'discovery-proxy', 'discovery-srv',
  'discovery-srv-name', 'strict-reconfig-check', 'pre-vote', 'enable-v2', 'client-crl-file',
  'client-cert-allowed-hostname', 'auto-tls', 'peer-cert-file', 'peer-key-file', 'peer-client-cert-auth',
  'peer-trusted-ca-file', 'peer-cert-allowed-cn', 'peer-cert-allowed-hostname', 'peer-auto-tls', 'peer-crl-file',
  'cipher-suites', 'cors', 'host-whitelist', 'auth-token', 'bcrypt-cost', 'auth-token-ttl', 'enable-pprof',
  'metrics', 'listen-metrics-urls', 'logger', 'log-outputs', 'proxy', 'proxy-failure-wait',
  'proxy-refresh-interval', 'proxy-dial-timeout', 'proxy-write-timeout', 'proxy-read-timeout',
  'force-new-cluster', 'debug', 'log-package-levels', 'experimental-initial-corrupt-check',
  'experimental-corrupt-check-time', 'experimental-enable-v2v3', 'experimental-backend-bbolt-freelist-type',
  'experimental-enable-lease-checkpoint', 'experimental-compaction-batch-limit',
  'experimental-peer-skip-client-san-verification', 'experimental-watch-progress-notify-interval',
  'experimental-warning-apply-duration',
]);

export function envNameOf(flag: string): string {
  return `ETCD_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** The member flags' help, laid out like `etcd --help`. */
export function memberFlagsHelp(): string {
  const lines = [
    'Usage:',
    '',
    '  flotilla [flags]',
    '    Start a Flotilla member (an etcd v3.4 compatible server).',
    '',
    '  flotilla --version',
    '    Show the version of Flotilla.',
    '',
    '  flotilla -h | --help',
    '    Show the help information about Flotilla.',
  ];
  let section = '';
  for (const f of memberFlags) {
    if (f.section !== section) {
      section = f.section;
      lines.push('', `${section}:`);
    }
    lines.push(`  --${f.name} '${f.default}'`, `    ${f.help}`);
  }
  lines.push(
    '',
    'Every flag can also be set with an environment variable: ETCD_ and the flag name in capitals,',
    'dashes as underscores (ETCD_NAME, ETCD_DATA_DIR ...). A flag and its variable must not both be set.',
  );
  return lines.join('\n') + '\n';
}
