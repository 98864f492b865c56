// Makes client output comparable between runs and between servers: whatever differs from one run
// to the next (ports, member and cluster IDs, lease IDs, raft terms and indexes, db sizes,
// durations, hashes, remaining TTLs) becomes a placeholder; everything else (keys, values,
// revisions, versions, counts, errors, layout) is kept.
//
//   http://127.0.0.1:41231, bdae9bbc11dd390d, 3.4.23, 57 kB, true, false, 2, 36, 36,
//   → <client:m0>, <member:m0>, 3.4.23, <db-size>, true, false, <term>, <raft-index>, <raft-index>,
//
//   lease 390da200411ea03a granted with TTL(60s)        → lease <lease-1> granted with TTL(60s)
//   {"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":9,"raft_term":2}}
//   → {"header":{"cluster_id":"<cluster>","member_id":"<member:m0>","revision":9,"raft_term":"<term>"}}
//
// Member IDs are named after the member (`<member:m1>`), so "which member answered" and "who is
// the leader" survive. Lease IDs and hashes are numbered in order of first appearance
// (`<lease-1>`, `<hash-2>`), so "the same lease" and "equal hashes" survive too. Placeholders in
// JSON are quoted strings, so normalized JSON stays JSON.

export interface MemberIdentity {
  readonly name: string;
  /** The member ID as etcd gives it in JSON: an unsigned 64-bit decimal. */
  readonly id: bigint;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

export interface NormalizerOptions {
  readonly members: readonly MemberIdentity[];
  readonly clusterId: bigint;
  /**
   * Key prefixes whose keys end in a lease ID in hex, as lock and election keys do
   * (`mylock/694d7c8a2b0a4c05`); the ID is learned as a lease when one of these keys is seen.
   */
  readonly leaseKeyPrefixes?: readonly string[];
}

/** JSON fields that hold only IDs, so that even a short number there is replaced when known. */
const idFields: ReadonlySet<string> = new Set(['ID', 'id', 'lease', 'leader', 'member_id', 'cluster_id', 'memberID']);

export class Normalizer {
  private readonly names = new Map<string, string>(); // raw token → placeholder, for IDs known up front
  private readonly urls = new Map<string, string>(); // host:port → placeholder
  private readonly leases = new Map<bigint, string>();
  private readonly hashes = new Map<string, string>();
  private readonly leaseKeyPrefixes: readonly string[];

  constructor(options: NormalizerOptions) {
    for (const m of options.members) {
      this.learnId(m.id, `<member:${m.name}>`);
      this.urls.set(hostPort(m.clientUrl), `<client:${m.name}>`);
      this.urls.set(hostPort(m.peerUrl), `<peer:${m.name}>`);
    }
    this.learnId(options.clusterId, '<cluster>');
    this.leaseKeyPrefixes = options.leaseKeyPrefixes ?? [];
  }

  /** Records `id` as a lease; later text has it replaced. Idempotent. */
  learnLease(id: bigint): string {
    if (this.names.has(id.toString())) return this.names.get(id.toString())!;
    let name = this.leases.get(id);
    if (name === undefined) {
      name = `<lease-${this.leases.size + 1}>`;
      this.leases.set(id, name);
      this.learnId(id, name);
    }
    return name;
  }

  /** Normalizes a whole output; line structure is kept. */
  normalize(text: string): string {
    return text
      .split('\n')
      .map((line) => this.line(line))
      .join('\n');
  }

  private learnId(id: bigint, name: string): void {
    this.names.set(id.toString(), name); // decimal, as in JSON
    this.names.set(id.toString(16), name); // %x, as in lock keys and member list
    this.names.set(id.toString(16).padStart(16, '0'), name); // %016x, as in lease grant
  }

  private line(raw: string): string {
    this.learnLeases(raw);
    let s = raw;
    // URLs first: ports are numbers that other rules would otherwise take for something else.
    s = s.replace(/(?:https?:\/\/)?(?:127\.0\.0\.1|localhost):(\d+)/g, (whole) => {
      const hp = hostPort(whole);
      return this.urls.get(hp) ?? whole.replace(/:\d+$/, ':<port>');
    });
    // JSON fields whose values vary from run to run.
    s = s.replace(/"(raft_term|raftTerm)":"?\d+"?/g, '"$1":"<term>"');
    s = s.replace(/"(raftIndex|raftAppliedIndex)":"?\d+"?/g, '"$1":"<raft-index>"');
    s = s.replace(/"(dbSize|dbSizeInUse)":"?\d+"?/g, '"$1":"<db-size>"');
    s = s.replace(/"(took)":"[^"]*"/g, '"$1":"<duration>"');
    s = s.replace(/"(hash)":"?(\d+)"?/g, (_, f: string, h: string) => `"${f}":"${this.hash(h)}"`);
    // timetolive -w json: {"...","id":N,"ttl":59,"granted-ttl":60,...}: the remaining TTL ticks.
    s = s.replace(/"ttl":-?\d+(,"granted-ttl")/g, '"ttl":"<ttl>"$1');
    // Known IDs as JSON numbers (member, cluster, lease, leader).
    s = s.replace(/"([A-Za-z_]+)":"?(\d+)"?/g, (whole, f: string, n: string) => {
      if (n.length < 4 && !idFields.has(f)) return whole;
      const name = this.names.get(n);
      return name === undefined ? whole : `"${f}":"${name}"`;
    });
    // Simple output.
    s = s.replace(/took = [0-9.]+[µnm]?s/g, 'took = <duration>');
    s = s.replace(/remaining\(-?\d+s\)/g, 'remaining(<ttl>)');
    // etcd lists a lease's keys in map order.
    s = s.replace(/attached keys\(\[(.*)\]\)/, (_, keys: string) => `attached keys([${keys.split(' ').sort().join(' ')}])`);
    s = s.replace(
      // endpoint status: endpoint, ID, version, db size, is leader, is learner, term, index, applied index, errors
      /^(\S+, \S+, \S+, )\d+(?:\.\d+)? [kMGT]?B(, (?:true|false), (?:true|false), )\d+, \d+, \d+(, .*)?$/,
      '$1<db-size>$2<term>, <raft-index>, <raft-index>$3',
    );
    // endpoint hashkv: "endpoint, hash"
    s = s.replace(/^(<client:[^>]+>|\S+:\/\/\S+), (\d+)$/, (_, ep: string, h: string) => `${ep}, ${this.hash(h)}`);
    // Known IDs where only IDs can be, whatever their length.
    const known = (tok: string) => this.names.get(tok) ?? tok;
    s = s.replace(/\b(lease |--lease=)([0-9a-f]+)\b/g, (_, before: string, id: string) => before + known(id));
    for (const prefix of this.leaseKeyPrefixes) {
      s = s.replace(new RegExp(`((?:^|[^\\w/])${escapeRegExp(prefix)})([0-9a-f]{1,16})\\b`, 'g'), (_, before: string, id: string) => before + known(id));
    }
    s = s.replace(/^[0-9a-f]{1,16}$/, known); // lease list
    // Elsewhere only long tokens: a short one could as well be a revision or a value.
    s = s.replace(/\b[0-9a-f]{4,20}\b/g, known);
    return s;
  }

  private learnLeases(line: string): void {
    const learnHex = (hex: string) => {
      if (!this.names.has(hex)) this.learnLease(BigInt(`0x${hex}`));
    };
    for (const m of line.matchAll(/\blease ([0-9a-f]{1,16}) (?:granted|keepalived|revoked|expired|already expired)/g)) learnHex(m[1]!);
    for (const prefix of this.leaseKeyPrefixes) {
      const re = new RegExp(`(?:^|[^\\w/])${escapeRegExp(prefix)}([0-9a-f]{1,16})\\b`, 'g');
      for (const m of line.matchAll(re)) learnHex(m[1]!);
    }
    // lease grant -w json: {"cluster_id":...,"ID":N,"TTL":60}; kv JSON: "lease":N.
    for (const m of line.matchAll(/"(?:ID|lease)":"?(\d+)"?/g)) {
      const n = m[1]!;
      if (n !== '0' && !this.names.has(n)) this.learnLease(BigInt(n));
    }
  }

  private hash(h: string): string {
    let name = this.hashes.get(h);
    if (name === undefined) {
      name = `<hash-${this.hashes.size + 1}>`;
      this.hashes.set(h, name);
    }
    return name;
  }
}

function hostPort(url: string): string {
  const m = /(?:127\.0\.0\.1|localhost):(\d+)/.exec(url);
  return m === null ? url : `127.0.0.1:${m[1]}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Reads member IDs, names, URLs and the cluster ID from `etcdctl member list -w json` (or the
 * JSON gateway's /v3/cluster/member/list), keeping the 64-bit IDs exact.
 */
export function identitiesFromMemberList(json: string): { clusterId: bigint; members: MemberIdentity[] } {
  // NB: etcdctl prints 64-bit IDs as bare JSON numbers; quote them before parsing to keep them exact.
  const parsed = JSON.parse(json.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"')) as {
    header?: { cluster_id?: string | number };
    members?: { ID?: string | number; name?: string; peerURLs?: string[]; clientURLs?: string[] }[];
  };
  const clusterId = parsed.header?.cluster_id;
  if (clusterId === undefined) throw new Error(`no cluster_id in member list: ${json}`);
  const members = (parsed.members ?? []).map((m): MemberIdentity => {
    if (m.ID === undefined || m.name === undefined) throw new Error(`a member without ID or name in member list: ${json}`);
    return { id: BigInt(m.ID), name: m.name, peerUrl: m.peerURLs?.[0] ?? '', clientUrl: m.clientURLs?.[0] ?? '' };
  });
  if (members.length === 0) throw new Error(`no members in member list: ${json}`);
  return { clusterId: BigInt(clusterId), members };
}
