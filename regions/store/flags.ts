// `flotilla store` flags. The names follow etcd's where the meaning is the same (--name,
// --data-dir, --listen-client-urls ...); the rest are a store's own (--pd, --lanes). Parsed and
// checked completely before anything opens.

import { availableParallelism } from 'node:os';

export interface StoreConfig {
  name: string;
  dataDir: string;
  /** PD members' client URLs. */
  pd: string[];
  listenClientUrls: string[];
  advertiseClientUrl: string;
  listenPeerUrl: string;
  advertisePeerUrl: string;
  /** Worker threads hosting the region peers (default: one per core). */
  lanes: number;
  heartbeatMs: number;
  electionMs: number;
  noSync: boolean;
  flushDelayMs: number;
  maxRequestBytes: number;
  maxTxnOps: number;
  /** How often the store reports itself to PD. */
  storeHeartbeatMs: number;
  /** How often a leader reports its region to PD. */
  regionHeartbeatMs: number;
  /** Ticks without activity before a region hibernates. */
  hibernateTicks: number;
}

interface FlagDef {
  help: string;
  kind: 'string' | 'uint' | 'bool' | 'list';
  default: string;
}

const defs: Record<string, FlagDef> = {
  name: { kind: 'string', default: 'store', help: 'Human-readable name of this store.' },
  'data-dir': { kind: 'string', default: '${name}.flotilla', help: 'Path to the data directory.' },
  pd: { kind: 'list', default: 'http://127.0.0.1:2379', help: "PD members' client URLs (comma-separated)." },
  'listen-client-urls': { kind: 'list', default: 'http://127.0.0.1:20379', help: 'URLs to serve etcd clients on.' },
  'advertise-client-urls': { kind: 'list', default: '', help: 'Client URL other stores reach this one at (default: the first listen URL).' },
  'listen-peer-urls': { kind: 'list', default: 'http://127.0.0.1:20380', help: 'URL for Raft traffic between stores.' },
  'advertise-peer-urls': { kind: 'list', default: '', help: 'Peer URL other stores reach this one at (default: the listen URL).' },
  lanes: { kind: 'uint', default: String(availableParallelism()), help: 'Worker threads hosting region peers (default: one per core).' },
  'heartbeat-interval': { kind: 'uint', default: '100', help: 'Raft heartbeat interval of every region (ms).' },
  'election-timeout': { kind: 'uint', default: '1000', help: 'Raft election timeout of every region (ms).' },
  'unsafe-no-fsync': { kind: 'bool', default: 'false', help: 'Disables fsync, unsafe, will cause data loss.' },
  'experimental-flush-delay-ms': { kind: 'uint', default: '0', help: 'Waits this many ms after every durable commit (emulates a slower disk).' },
  'max-request-bytes': { kind: 'uint', default: '1572864', help: 'Maximum client request size in bytes.' },
  'max-txn-ops': { kind: 'uint', default: '128', help: 'Maximum number of operations in a transaction.' },
  'store-heartbeat-interval': { kind: 'uint', default: '1000', help: 'How often the store reports to PD (ms).' },
  'region-heartbeat-interval': { kind: 'uint', default: '2000', help: 'How often a region leader reports to PD (ms).' },
  'hibernate-ticks': { kind: 'uint', default: '20', help: 'Heartbeat intervals without activity before a region stops ticking.' },
};

export function storeFlagsHelp(): string {
  const lines = ['Usage: flotilla store [flags]', '', 'A store of a sharded cluster: serves etcd\'s API for the whole key space and hosts region peers.', ''];
  for (const [name, d] of Object.entries(defs)) lines.push(`  --${name}${d.kind === 'bool' ? '' : ` ${d.kind}`}`, `        ${d.help} (default ${JSON.stringify(d.default)})`);
  return lines.join('\n') + '\n';
}

export function parseStoreFlags(argv: readonly string[]): { config: StoreConfig } | { error: string } | { help: true } {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { help: true };
    const m = /^--?([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) return { error: `unexpected argument ${JSON.stringify(arg)}` };
    const name = m[1]!;
    const def = defs[name];
    if (!def) return { error: `flag provided but not defined: -${name}` };
    let value = m[2];
    if (value === undefined) {
      if (def.kind === 'bool') value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) return { error: `flag needs an argument: -${name}` };
      }
    }
    raw.set(name, value);
  }
  const get = (n: string) => raw.get(n) ?? defs[n]!.default;
  const uint = (n: string): number | string => {
    const v = get(n);
    if (!/^\d+$/.test(v)) return `invalid value ${JSON.stringify(v)} for flag -${n}: not a non-negative integer`;
    return Number(v);
  };
  const list = (n: string) => get(n).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const urls = (n: string): string[] | string => {
    const out = list(n);
    for (const u of out) {
      let parsed: URL;
      try {
        parsed = new URL(u);
      } catch {
        return `invalid URL ${JSON.stringify(u)} for flag -${n}`;
      }
      if (parsed.protocol !== 'http:') return `flag -${n}: only http:// URLs are supported (${u})`;
    }
    return out;
  };
  const bool = (n: string): boolean | string => {
    const v = get(n);
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return `invalid boolean value ${JSON.stringify(v)} for -${n}`;
  };
  const fields: Record<string, unknown> = {};
  for (const n of ['lanes', 'heartbeat-interval', 'election-timeout', 'experimental-flush-delay-ms', 'max-request-bytes', 'max-txn-ops', 'store-heartbeat-interval', 'region-heartbeat-interval', 'hibernate-ticks']) {
    const v = uint(n);
    if (typeof v === 'string') return { error: v };
    fields[n] = v;
  }
  for (const n of ['pd', 'listen-client-urls', 'advertise-client-urls', 'listen-peer-urls', 'advertise-peer-urls']) {
    const v = urls(n);
    if (typeof v === 'string') return { error: v };
    fields[n] = v;
  }
  const noSync = bool('unsafe-no-fsync');
  if (typeof noSync === 'string') return { error: noSync };
  const name = get('name');
  const dataDir = raw.get('data-dir') ?? `${name}.flotilla`;
  const pd = fields['pd'] as string[];
  const listenClient = fields['listen-client-urls'] as string[];
  const listenPeer = fields['listen-peer-urls'] as string[];
  if (pd.length === 0) return { error: '--pd needs at least one PD URL' };
  if (listenClient.length === 0 || listenPeer.length === 0) return { error: '--listen-client-urls and --listen-peer-urls need a URL' };
  if ((fields['lanes'] as number) < 1) return { error: '--lanes must be at least 1' };
  const heartbeatMs = fields['heartbeat-interval'] as number;
  const electionMs = fields['election-timeout'] as number;
  if (heartbeatMs < 1 || electionMs < 5 * heartbeatMs) return { error: '--election-timeout must be at least 5 times --heartbeat-interval' };
  return {
    config: {
      name,
      dataDir,
      pd,
      listenClientUrls: listenClient,
      advertiseClientUrl: (fields['advertise-client-urls'] as string[])[0] ?? listenClient[0]!,
      listenPeerUrl: listenPeer[0]!,
      advertisePeerUrl: (fields['advertise-peer-urls'] as string[])[0] ?? listenPeer[0]!,
      lanes: fields['lanes'] as number,
      heartbeatMs,
      electionMs,
      noSync,
      flushDelayMs: fields['experimental-flush-delay-ms'] as number,
      maxRequestBytes: fields['max-request-bytes'] as number,
      maxTxnOps: fields['max-txn-ops'] as number,
      storeHeartbeatMs: fields['store-heartbeat-interval'] as number,
      regionHeartbeatMs: fields['region-heartbeat-interval'] as number,
      hibernateTicks: fields['hibernate-ticks'] as number,
    },
  };
}
