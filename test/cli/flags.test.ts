import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  flagsExitCode,
  listenAddressOf,
  type MemberConfig,
  memberFlags,
  memberFlagsHelp,
  parseMemberFlags,
} from '../../src/cli/flags.js';

function config(argv: string[], env: Record<string, string> = {}): MemberConfig {
  const r = parseMemberFlags(argv, env);
  assert.ok('config' in r, `expected a config, got ${JSON.stringify(r)}`);
  return r.config;
}

function error(argv: string[], env: Record<string, string> = {}): string {
  const r = parseMemberFlags(argv, env);
  assert.ok('error' in r, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

// A three-member command line for member b, as in etcd's clustering guide.
const cluster = 'a=http://10.0.0.1:2380,b=http://10.0.0.2:2380,c=http://10.0.0.3:2380';
const memberB = [
  '--name', 'b',
  '--initial-advertise-peer-urls', 'http://10.0.0.2:2380',
  '--listen-peer-urls', 'http://10.0.0.2:2380',
  '--listen-client-urls', 'http://10.0.0.2:2379,http://127.0.0.1:2379',
  '--advertise-client-urls', 'http://10.0.0.2:2379',
  '--initial-cluster', cluster,
];

test('no flags give etcd\'s defaults, with the data dir named .flotilla', () => {
  assert.deepEqual(config([]), {
    name: 'default',
    dataDir: 'default.flotilla',
    listenClientUrls: ['http://localhost:2379'],
    advertiseClientUrls: ['http://localhost:2379'],
    listenPeerUrls: ['http://localhost:2380'],
    initialAdvertisePeerUrls: ['http://localhost:2380'],
    initialCluster: [{ name: 'default', peerUrls: ['http://localhost:2380'] }],
    initialClusterState: 'new',
    initialClusterToken: 'etcd-cluster',
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    snapshotCount: 100000,
    quotaBackendBytes: 2 * 1024 ** 3,
    maxRequestBytes: 1572864,
    maxTxnOps: 128,
    autoCompaction: { mode: 'periodic', retentionMs: 0 },
    unsafeNoFsync: false,
    flushDelayMs: 0,
    snapshotCatchUpEntries: 5000,
    tls: undefined,
    logLevel: 'info',
  });
});

test('localhost listen URLs bind 127.0.0.1, as etcd does', () => {
  const c = config([]);
  assert.deepEqual(listenAddressOf(c.listenClientUrls[0]!), { host: '127.0.0.1', port: 2379 });
  assert.deepEqual(listenAddressOf(c.listenPeerUrls[0]!), { host: '127.0.0.1', port: 2380 });
  assert.deepEqual(listenAddressOf('http://[::1]:2379'), { host: '::1', port: 2379 });
  assert.deepEqual(listenAddressOf('http://0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
});

test('a member of a three-member cluster gets every URL flag as given', () => {
  const c = config(memberB);
  assert.equal(c.name, 'b');
  assert.equal(c.dataDir, 'b.flotilla');
  assert.deepEqual(c.listenClientUrls, ['http://10.0.0.2:2379', 'http://127.0.0.1:2379']);
  assert.deepEqual(c.advertiseClientUrls, ['http://10.0.0.2:2379']);
  assert.deepEqual(c.listenPeerUrls, ['http://10.0.0.2:2380']);
  assert.deepEqual(c.initialAdvertisePeerUrls, ['http://10.0.0.2:2380']);
  assert.deepEqual(c.initialCluster, [
    { name: 'a', peerUrls: ['http://10.0.0.1:2380'] },
    { name: 'b', peerUrls: ['http://10.0.0.2:2380'] },
    { name: 'c', peerUrls: ['http://10.0.0.3:2380'] },
  ]);
});

test('--flag value and --flag=value and -flag mean the same', () => {
  const a = config(['--name', 'x', '--data-dir', '/d', '--max-txn-ops', '7']);
  const b = config(['--name=x', '--data-dir=/d', '-max-txn-ops=7']);
  const c = config(['-name', 'x', '-data-dir', '/d', '--max-txn-ops', '7']);
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  assert.equal(a.dataDir, '/d');
  assert.equal(a.maxTxnOps, 7);
});

test('the last of a repeated flag wins, as in etcd', () => {
  assert.equal(config(['--max-txn-ops', '1', '--max-txn-ops', '2']).maxTxnOps, 2);
});

test('a name alone makes a one-member cluster of that name at the advertised peer URLs', () => {
  assert.deepEqual(config(['--name', 'n1']).initialCluster, [{ name: 'n1', peerUrls: ['http://localhost:2380'] }]);
  assert.deepEqual(
    config(['--name', 'n1', '--initial-advertise-peer-urls', 'http://127.0.0.1:12380,http://127.0.0.1:12381']).initialCluster,
    [{ name: 'n1', peerUrls: ['http://127.0.0.1:12380', 'http://127.0.0.1:12381'] }],
  );
});

test('a member named twice in --initial-cluster has both peer URLs', () => {
  const c = config([
    '--name', 'x',
    '--initial-advertise-peer-urls', 'http://127.0.0.1:2381,http://127.0.0.1:2382',
    '--initial-cluster', 'x=http://127.0.0.1:2382,y=http://127.0.0.1:2383,x=http://127.0.0.1:2381',
  ]);
  assert.deepEqual(c.initialCluster, [
    { name: 'x', peerUrls: ['http://127.0.0.1:2382', 'http://127.0.0.1:2381'] },
    { name: 'y', peerUrls: ['http://127.0.0.1:2383'] },
  ]);
});

test('numeric flags', () => {
  const c = config([
    '--heartbeat-interval', '50', '--election-timeout', '500', '--snapshot-count', '10',
    '--quota-backend-bytes', '1048576', '--max-request-bytes', '100', '--max-txn-ops', '3',
  ]);
  assert.equal(c.heartbeatIntervalMs, 50);
  assert.equal(c.electionTimeoutMs, 500);
  assert.equal(c.snapshotCount, 10);
  assert.equal(c.quotaBackendBytes, 1048576);
  assert.equal(c.maxRequestBytes, 100);
  assert.equal(c.maxTxnOps, 3);
});

test('a zero snapshot count or quota means the default; a negative quota disables it', () => {
  assert.equal(config(['--snapshot-count', '0']).snapshotCount, 100000);
  assert.equal(config(['--quota-backend-bytes', '0']).quotaBackendBytes, 2 * 1024 ** 3);
  assert.equal(config(['--quota-backend-bytes', '-1']).quotaBackendBytes, null);
});

test('cluster state, token and log level', () => {
  const c = config(['--initial-cluster-state', 'existing', '--initial-cluster-token', 'tok', '--log-level', 'debug']);
  assert.equal(c.initialClusterState, 'existing');
  assert.equal(c.initialClusterToken, 'tok');
  assert.equal(c.logLevel, 'debug');
  for (const level of ['info', 'warn', 'error']) assert.equal(config(['--log-level', level]).logLevel, level);
});

test('auto compaction retention reads hours, Go durations, or revisions', () => {
  assert.deepEqual(config(['--auto-compaction-retention', '1']).autoCompaction, { mode: 'periodic', retentionMs: 3_600_000 });
  assert.deepEqual(config(['--auto-compaction-retention', '5m']).autoCompaction, { mode: 'periodic', retentionMs: 300_000 });
  assert.deepEqual(config(['--auto-compaction-retention', '1h30m']).autoCompaction, { mode: 'periodic', retentionMs: 5_400_000 });
  assert.deepEqual(config(['--auto-compaction-retention', '1.5h']).autoCompaction, { mode: 'periodic', retentionMs: 5_400_000 });
  assert.deepEqual(
    config(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000']).autoCompaction,
    { mode: 'revision', retentionRevisions: 1000 },
  );
  assert.match(error(['--auto-compaction-retention', 'foo']), /^error parsing CompactionRetention: time: invalid duration "foo"$/);
  assert.match(error(['--auto-compaction-retention', '1.5']), /missing unit in duration "1.5"/);
  assert.match(error(['--auto-compaction-retention', '-1']), /missing unit in duration "-1"/);
  assert.match(error(['--auto-compaction-retention', '-5m']), /must not be negative/);
  assert.match(error(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '5m']), /revision mode takes a number of revisions/);
  assert.match(error(['--auto-compaction-mode', 'foo']), /invalid value "foo" for flag --auto-compaction-mode: must be one of periodic, revision/);
});

test('booleans are set by --flag or --flag=true/false', () => {
  assert.equal(config(['--unsafe-no-fsync']).unsafeNoFsync, true);
  assert.equal(config(['--unsafe-no-fsync=true']).unsafeNoFsync, true);
  assert.equal(config(['--unsafe-no-fsync=false']).unsafeNoFsync, false);
  assert.equal(config(['--unsafe-no-fsync=1']).unsafeNoFsync, true);
  assert.match(error(['--unsafe-no-fsync=maybe']), /invalid value "maybe" for flag --unsafe-no-fsync/);
  assert.match(
    error(['--unsafe-no-fsync', 'true']),
    /^'true' is not a valid flag \(a boolean flag takes its value after '=': --unsafe-no-fsync=true\)$/,
  );
});

test('client TLS flags', () => {
  const c = config([
    '--cert-file', 's.crt', '--key-file', 's.key', '--trusted-ca-file', 'ca.crt', '--client-cert-auth',
    '--listen-client-urls', 'https://127.0.0.1:2379', '--advertise-client-urls', 'https://127.0.0.1:2379',
  ]);
  assert.deepEqual(c.tls, { certFile: 's.crt', keyFile: 's.key', trustedCaFile: 'ca.crt', clientCertAuth: true });
  assert.deepEqual(config(['--cert-file', 's.crt', '--key-file', 's.key']).tls, {
    certFile: 's.crt',
    keyFile: 's.key',
    clientCertAuth: false,
  });
  assert.match(error(['--cert-file', 's.crt']), /--cert-file and --key-file must be given together/);
  assert.match(error(['--key-file', 's.key']), /--cert-file and --key-file must be given together/);
  assert.match(error(['--client-cert-auth']), /need --cert-file and --key-file/);
  assert.match(
    error(['--listen-client-urls', 'https://127.0.0.1:2379', '--advertise-client-urls', 'https://127.0.0.1:2379']),
    /^TLS key\/cert \(--cert-file, --key-file\) must be provided for client url https:\/\/127.0.0.1:2379 with HTTPS scheme$/,
  );
});

test('ETCD_* variables set flags that the command line does not', () => {
  const c = config([], {
    ETCD_NAME: 'e',
    ETCD_DATA_DIR: '/var/lib/e',
    ETCD_HEARTBEAT_INTERVAL: '20',
    ETCD_ELECTION_TIMEOUT: '200',
    ETCD_UNSAFE_NO_FSYNC: 'true',
    ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:12379',
    ETCD_ADVERTISE_CLIENT_URLS: 'http://127.0.0.1:12379',
    ETCD_INITIAL_CLUSTER_TOKEN: 't',
  });
  assert.equal(c.name, 'e');
  assert.equal(c.dataDir, '/var/lib/e');
  assert.equal(c.heartbeatIntervalMs, 20);
  assert.equal(c.electionTimeoutMs, 200);
  assert.equal(c.unsafeNoFsync, true);
  assert.deepEqual(c.listenClientUrls, ['http://127.0.0.1:12379']);
  assert.equal(c.initialClusterToken, 't');
  assert.equal(config([], { ETCD_NAME: '' }).name, 'default', 'an empty variable counts as unset');
});

test('every flag has its ETCD_* variable', () => {
  const defaults = parseMemberFlags([], {});
  for (const f of memberFlags) {
    const env = `ETCD_${f.name.toUpperCase().replaceAll('-', '_')}`;
    const r = parseMemberFlags([], { [env]: 'not-valid-for-any-flag' });
    // Taken (a different config) or rejected, never ignored.
    assert.notDeepEqual(r, defaults, f.name);
    if ('config' in r) assert.deepEqual(r.warnings, [], f.name);
  }
});

test('a flag given both ways is an error, in etcd\'s words', () => {
  assert.equal(
    error(['--name', 'y'], { ETCD_NAME: 'x' }),
    'conflicting environment variable "ETCD_NAME" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)',
  );
});

test('unknown and unsupported ETCD_* variables only warn', () => {
  const r = parseMemberFlags([], { ETCD_FOO: '1', ETCD_WAL_DIR: '/w', ETCDCTL_API: '3', PATH: '/bin' });
  assert.ok('config' in r);
  assert.deepEqual(r.warnings, [
    'unrecognized environment variable ETCD_FOO=1',
    "environment variable ETCD_WAL_DIR sets etcd's --wal-dir, which Flotilla does not support; ignored",
  ]);
});

test('an invalid ETCD_* value names the variable', () => {
  assert.equal(
    error([], { ETCD_HEARTBEAT_INTERVAL: 'abc' }),
    'invalid value "abc" for ETCD_HEARTBEAT_INTERVAL: not a non-negative integer',
  );
});

test('unknown, unsupported and malformed flags are errors naming the flag', () => {
  assert.equal(error(['--bogus']), 'flag provided but not defined: --bogus');
  assert.equal(error(['--wal-dir', '/w']), 'flag --wal-dir is an etcd flag that Flotilla does not support');
  assert.equal(error(['---name', 'x']), 'bad flag syntax: ---name');
  assert.equal(error(['--name']), 'flag needs an argument: --name');
  assert.equal(error(['x']), "'x' is not a valid flag");
  assert.equal(error(['--name', 'a', '--', 'x']), "'x' is not a valid flag");
  assert.equal(flagsExitCode, 2);
});

test('invalid numbers and choices name the flag', () => {
  assert.equal(error(['--heartbeat-interval', 'abc']), 'invalid value "abc" for flag --heartbeat-interval: not a non-negative integer');
  assert.equal(error(['--snapshot-count', '-1']), 'invalid value "-1" for flag --snapshot-count: not a non-negative integer');
  assert.equal(error(['--max-request-bytes=1e6']), 'invalid value "1e6" for flag --max-request-bytes: not a non-negative integer');
  assert.equal(error(['--max-txn-ops', '99999999999999999999']), 'invalid value "99999999999999999999" for flag --max-txn-ops: value out of range');
  assert.equal(error(['--quota-backend-bytes', 'abc']), 'invalid value "abc" for flag --quota-backend-bytes: not an integer');
  assert.equal(error(['--initial-cluster-state', 'foo']), 'invalid value "foo" for flag --initial-cluster-state: must be one of new, existing');
  assert.equal(error(['--log-level', 'foo']), 'invalid value "foo" for flag --log-level: must be one of debug, info, warn, error');
});

test('heartbeat and election timeout follow etcd\'s rules and words', () => {
  assert.equal(error(['--heartbeat-interval=0']), '--heartbeat-interval must be >0 (set to 0ms)');
  assert.equal(error(['--election-timeout=0']), '--election-timeout must be >0 (set to 0ms)');
  assert.equal(
    error(['--heartbeat-interval', '100', '--election-timeout', '400']),
    '--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]',
  );
  assert.equal(config(['--heartbeat-interval', '100', '--election-timeout', '500']).electionTimeoutMs, 500);
  assert.equal(config(['--election-timeout', '50000']).electionTimeoutMs, 50000);
  assert.equal(error(['--election-timeout', '50001']), '--election-timeout[50001ms] is too long, and should be set less than 50000ms');
});

test('URLs are checked as etcd checks them', () => {
  const withAdvertise = (u: string) => ['--listen-client-urls', u, '--advertise-client-urls', 'http://127.0.0.1:2379'];
  assert.equal(error(withAdvertise('foo')), 'invalid value "foo" for flag --listen-client-urls: URL scheme must be http, https, unix, or unixs: foo');
  assert.equal(
    error(withAdvertise('http://localhost:2379/')),
    'invalid value "http://localhost:2379/" for flag --listen-client-urls: URL must not contain a path: http://localhost:2379/',
  );
  assert.equal(
    error(withAdvertise('http://localhost')),
    'invalid value "http://localhost" for flag --listen-client-urls: URL address does not have the form "host:port": http://localhost',
  );
  assert.match(error(withAdvertise('http://localhost:99999')), /invalid port 99999/);
  assert.match(error(withAdvertise('unix://sock:1')), /unix socket URLs are not supported/);
  assert.deepEqual(config(withAdvertise('http://127.0.0.1:2379, http://127.0.0.1:2377')).listenClientUrls, [
    'http://127.0.0.1:2379',
    'http://127.0.0.1:2377',
  ]);
});

test('listening on chosen client URLs requires advertising some', () => {
  assert.equal(
    error(['--listen-client-urls', 'http://127.0.0.1:2379']),
    '--advertise-client-urls is required when --listen-client-urls is set explicitly',
  );
  assert.match(error([], { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:2379' }), /--advertise-client-urls is required/);
});

test('peer URLs must be http:// for now', () => {
  assert.equal(
    error(['--listen-peer-urls', 'https://127.0.0.1:2380']),
    '--listen-peer-urls: only http:// peer URLs are supported: https://127.0.0.1:2380',
  );
  assert.match(
    error(['--initial-advertise-peer-urls', 'https://127.0.0.1:2380', '--initial-cluster', 'default=https://127.0.0.1:2380']),
    /--initial-advertise-peer-urls: only http:\/\/ peer URLs are supported/,
  );
  assert.match(error(['--initial-cluster', 'default=http://localhost:2380,b=https://h:2380']), /member b: only http:\/\//);
});

test('this member must be in --initial-cluster with exactly its advertised peer URLs', () => {
  assert.equal(
    error(['--initial-cluster', 'x=http://127.0.0.1:2380']),
    'couldn\'t find local name "default" in the initial cluster configuration',
  );
  assert.equal(
    error(['--initial-advertise-peer-urls', 'http://127.0.0.1:2380']),
    '--initial-cluster has default=http://localhost:2380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:2380 ("http://127.0.0.1:2380" != "http://localhost:2380")',
  );
  assert.match(error(['--initial-cluster', 'default=http://localhost:2380,default=http://localhost:2381']), /but missing from --initial-advertise-peer-urls/);
  assert.match(error([...memberB, '--name', 'd']), /couldn't find local name "d"/);
  assert.match(error([...memberB, '--initial-cluster', cluster.replace('10.0.0.2', '10.0.0.9')]), /--initial-cluster has b=http:\/\/10.0.0.9:2380/);
  assert.equal(error(['--name', '']), '--name must not be empty');
});

test('--initial-cluster must be well formed and name each URL once', () => {
  assert.equal(error(['--initial-cluster', 'foo']), 'error setting up initial cluster: URL scheme must be http, https, unix, or unixs: ');
  assert.equal(
    error(['--initial-cluster', 'default=http://localhost:2380,b=http://localhost:2380']),
    'initial cluster default=http://localhost:2380,b=http://localhost:2380 has duplicate url http://localhost:2380',
  );
  assert.match(error(['--initial-cluster', 'default=http://localhost:2380,=http://h:1']), /a member has no name/);
});

test('--help and --version stop parsing, wherever they are', () => {
  assert.deepEqual(parseMemberFlags(['--help'], {}), { help: true });
  assert.deepEqual(parseMemberFlags(['-h'], {}), { help: true });
  assert.deepEqual(parseMemberFlags(['--name', 'x', '--help', '--bogus'], {}), { help: true });
  assert.deepEqual(parseMemberFlags(['--version'], {}), { version: true });
});

test('the help text lists every flag with its default', () => {
  const help = memberFlagsHelp();
  for (const f of memberFlags) assert.ok(help.includes(`  --${f.name} '${f.default}'`), f.name);
  assert.match(help, /--data-dir '\$\{name\}\.flotilla'/);
  assert.match(help, /ETCD_NAME/);
});

test('--experimental-flush-delay-ms takes whole milliseconds', () => {
  assert.equal(config(['--experimental-flush-delay-ms', '2']).flushDelayMs, 2);
  assert.match(error(['--experimental-flush-delay-ms=-1']), /invalid value "-1" for flag --experimental-flush-delay-ms/);
});
