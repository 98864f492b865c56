// Raw flag values to a validated MemberConfig. Every check that etcd makes before it starts
// serving is made here, so a bad command line never half-starts a member.

import type { RawValue } from './scan.js';
import { type FlagSpec, memberFlags } from './spec.js';
import type { AutoCompaction, ClientTls, InitialClusterMember, LogLevel, MemberConfig } from './types.js';
import {
  type ParsedUrl,
  parseBool,
  parseGoDurationMs,
  parseInitialCluster,
  parseInt64,
  parseUint,
  parseUrlList,
} from './values.js';

/** etcd's limit on --election-timeout. */
const electionTimeoutMsMax = 50_000;
const snapshotCountDefault = 100_000;
const quotaBackendBytesDefault = 2 * 1024 * 1024 * 1024;
const defaultName = 'default';
const defaultInitialCluster = 'default=http://localhost:2380';

class FlagError extends Error {}

type Value = string | boolean | number | ParsedUrl[];

export function buildConfig(values: ReadonlyMap<string, RawValue>): { config: MemberConfig } | { error: string } {
  try {
    return { config: build(values) };
  } catch (err) {
    if (err instanceof FlagError) return { error: err.message };
    throw err;
  }
}

function build(raw: ReadonlyMap<string, RawValue>): MemberConfig {
  const typed = new Map<string, Value>();
  for (const spec of memberFlags) {
    const r = raw.get(spec.name);
    if (spec.name === 'data-dir' && r === undefined) continue; // its default depends on --name
    typed.set(spec.name, convert(spec, r?.text ?? spec.default, r?.source ?? `default of --${spec.name}`));
  }
  const isSet = (name: string): boolean => raw.has(name);
  const str = (name: string): string => typed.get(name) as string;
  const num = (name: string): number => typed.get(name) as number;
  const bool = (name: string): boolean => typed.get(name) as boolean;
  const urls = (name: string): ParsedUrl[] => typed.get(name) as ParsedUrl[];

  const name = str('name');
  if (name === '') fail('--name must not be empty');
  // etcd: an empty --data-dir also means "${name}.etcd"; ours is "${name}.flotilla".
  const dataDir = raw.get('data-dir')?.text || `${name}.flotilla`;

  const heartbeatIntervalMs = num('heartbeat-interval');
  const electionTimeoutMs = num('election-timeout');
  checkTimeouts(heartbeatIntervalMs, electionTimeoutMs);

  // etcd: listening on chosen addresses means the default advertised localhost is wrong.
  if (isSet('listen-client-urls') && !isSet('advertise-client-urls')) {
    fail('--advertise-client-urls is required when --listen-client-urls is set explicitly');
  }
  const tls = clientTls(str('cert-file'), str('key-file'), str('trusted-ca-file'), bool('client-cert-auth'));
  for (const flag of ['listen-client-urls', 'advertise-client-urls']) {
    for (const u of urls(flag)) checkClientUrl(flag, u, tls);
  }
  for (const flag of ['listen-peer-urls', 'initial-advertise-peer-urls']) {
    for (const u of urls(flag)) checkPeerUrl(`--${flag}`, u);
  }

  const advertisePeer = urls('initial-advertise-peer-urls');
  let clusterText = str('initial-cluster');
  // etcd's rule: `--name x` alone means a one-member cluster named x at the advertised peer URLs.
  if (name !== defaultName && clusterText === defaultInitialCluster) {
    clusterText = advertisePeer.map((u) => `${name}=${u.text}`).join(',');
  }
  const initialCluster = checkInitialCluster(clusterText, name, advertisePeer);

  const quota = num('quota-backend-bytes');
  const snapshotCount = num('snapshot-count');
  return {
    name,
    dataDir,
    listenClientUrls: urls('listen-client-urls').map((u) => u.text),
    advertiseClientUrls: urls('advertise-client-urls').map((u) => u.text),
    listenPeerUrls: urls('listen-peer-urls').map((u) => u.text),
    initialAdvertisePeerUrls: advertisePeer.map((u) => u.text),
    initialCluster,
    initialClusterState: str('initial-cluster-state') as MemberConfig['initialClusterState'],
    initialClusterToken: str('initial-cluster-token'),
    heartbeatIntervalMs,
    electionTimeoutMs,
    snapshotCount: snapshotCount === 0 ? snapshotCountDefault : snapshotCount,
    quotaBackendBytes: quota < 0 ? null : quota === 0 ? quotaBackendBytesDefault : quota,
    maxRequestBytes: num('max-request-bytes'),
    maxTxnOps: num('max-txn-ops'),
    autoCompaction: autoCompaction(str('auto-compaction-mode'), str('auto-compaction-retention')),
    unsafeNoFsync: bool('unsafe-no-fsync'),
    flushDelayMs: num('experimental-flush-delay-ms'),
    snapshotCatchUpEntries: num('experimental-snapshot-catchup-entries'),
    tls,
    logLevel: str('log-level') as LogLevel,
  };
}

function fail(message: string): never {
  throw new FlagError(message);
}

function convert(spec: FlagSpec, text: string, source: string): Value {
  const bad = (why: string): never => fail(`invalid value ${JSON.stringify(text)} for ${source}: ${why}`);
  switch (spec.kind) {
    case 'string':
      return text;
    case 'choice':
      if (!spec.choices!.includes(text)) bad(`must be one of ${spec.choices!.join(', ')}`);
      return text;
    case 'bool': {
      const v = parseBool(text);
      return 'error' in v ? bad(v.error) : v.value;
    }
    case 'uint': {
      const v = parseUint(text);
      return 'error' in v ? bad(v.error) : v.value;
    }
    case 'int64': {
      const v = parseInt64(text);
      return 'error' in v ? bad(v.error) : v.value;
    }
    case 'urls': {
      const v = parseUrlList(text);
      return 'error' in v ? bad(v.error) : v.value;
    }
  }
}

/** etcd's checks, in etcd's order and words. */
function checkTimeouts(heartbeatMs: number, electionMs: number): void {
  if (heartbeatMs <= 0) fail(`--heartbeat-interval must be >0 (set to ${heartbeatMs}ms)`);
  if (electionMs <= 0) fail(`--election-timeout must be >0 (set to ${electionMs}ms)`);
  if (5 * heartbeatMs > electionMs) {
    fail(`--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatMs}ms]`);
  }
  if (electionMs > electionTimeoutMsMax) {
    fail(`--election-timeout[${electionMs}ms] is too long, and should be set less than ${electionTimeoutMsMax}ms`);
  }
}

function clientTls(certFile: string, keyFile: string, trustedCaFile: string, clientCertAuth: boolean): ClientTls | undefined {
  if ((certFile === '') !== (keyFile === '')) fail('--cert-file and --key-file must be given together');
  if (certFile === '') {
    if (clientCertAuth || trustedCaFile !== '') {
      fail('--client-cert-auth and --trusted-ca-file need --cert-file and --key-file (client TLS)');
    }
    return undefined;
  }
  return { certFile, keyFile, clientCertAuth, ...(trustedCaFile !== '' ? { trustedCaFile } : {}) };
}

function checkClientUrl(flag: string, u: ParsedUrl, tls: ClientTls | undefined): void {
  if (u.scheme === 'unix' || u.scheme === 'unixs') fail(`--${flag}: unix socket URLs are not supported: ${u.text}`);
  if (u.scheme === 'https' && tls === undefined && flag === 'listen-client-urls') {
    fail(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${u.text} with HTTPS scheme`);
  }
}

function checkPeerUrl(where: string, u: ParsedUrl): void {
  // We speak our own framing on the peer port; peer TLS is not built yet.
  if (u.scheme !== 'http') fail(`${where}: only http:// peer URLs are supported: ${u.text}`);
}

/** Parses --initial-cluster and checks this member is in it with its advertised peer URLs. */
function checkInitialCluster(text: string, name: string, advertise: readonly ParsedUrl[]): InitialClusterMember[] {
  const parsed = parseInitialCluster(text);
  if ('error' in parsed) fail(`error setting up initial cluster: ${parsed.error}`);
  const members = parsed.value;
  const owner = new Map<string, string>();
  for (const m of members) {
    if (m.name === '') fail(`--initial-cluster ${text}: a member has no name`);
    for (const u of m.peerUrls) {
      checkPeerUrl(`--initial-cluster member ${m.name}`, u);
      if (owner.has(u.text)) fail(`initial cluster ${text} has duplicate url ${u.text}`);
      owner.set(u.text, m.name);
    }
  }
  const self = members.find((m) => m.name === name);
  if (self === undefined) fail(`couldn't find local name ${JSON.stringify(name)} in the initial cluster configuration`);
  const inCluster = self.peerUrls.map((u) => u.text).sort();
  const advertised = advertise.map((u) => u.text).sort();
  // NB: etcd resolves host names before comparing; we compare the strings (no DNS at parse time).
  if (inCluster.join(',') !== advertised.join(',')) {
    fail(
      `--initial-cluster has ${name}=${inCluster.join(',')} but missing from ` +
        `--initial-advertise-peer-urls=${advertised.join(',')} ` +
        `(${JSON.stringify(advertised.join(','))} != ${JSON.stringify(inCluster.join(','))})`,
    );
  }
  return members.map((m) => ({ name: m.name, peerUrls: m.peerUrls.map((u) => u.text) }));
}

/**
 * etcd's rule: a bare integer is hours (periodic) or revisions (revision); anything else must be
 * a Go duration. NB: etcd also accepts a duration in revision mode and counts its nanoseconds as
 * revisions ("5m" keeps 300000000000 revisions); we refuse that instead of guessing.
 */
function autoCompaction(mode: string, retention: string): AutoCompaction {
  const text = retention === '' ? '0' : retention;
  const whole = /^[0-9]+$/.test(text) ? Number(text) : undefined;
  if (mode === 'revision') {
    if (whole === undefined || !Number.isSafeInteger(whole)) {
      fail(`--auto-compaction-retention ${JSON.stringify(retention)}: revision mode takes a number of revisions`);
    }
    return { mode: 'revision', retentionRevisions: whole };
  }
  if (whole !== undefined) return { mode: 'periodic', retentionMs: whole * 3_600_000 };
  const ms = parseGoDurationMs(text);
  if ('error' in ms) fail(`error parsing CompactionRetention: ${ms.error}`);
  if (ms.value < 0) fail(`--auto-compaction-retention ${JSON.stringify(retention)} must not be negative`);
  return { mode: 'periodic', retentionMs: ms.value };
}
