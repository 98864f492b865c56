// Starts one unsharded member from a validated configuration: storage, MVCC, leases, watch,
// the Raft member, the peer transport and the client listeners. Nothing listens before every
// part opened successfully.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startClientServer, type ClientServerOptions } from '../../src/api/index.js';
import { ServerMetrics } from '../../src/api/index.js';
import { idsOfNewCluster } from '../../src/cluster/ids.js';
import { listenAddressOf, type MemberConfig } from '../../src/cli/flags.js';
import { Lessor, minLeaseTtlSeconds, type LeaseRecord, type LeaseTable } from '../../src/lease/index.js';
import { MvccStore } from '../../src/mvcc/index.js';
import type { ConfState, Index, NodeId, Term } from '../../src/raft/index.js';
import { captureTables, installTables, openEngine, RaftLogStore, type Engine } from '../../src/storage/index.js';
import { peerAddressOf, Transport } from '../../src/transport/index.js';
import { Prng } from '../../src/util/prng.js';
import { realScheduler, WatchHub } from '../../src/watch/index.js';
import type { AlarmType } from '../../src/api/backend.js';
import type { AlarmStore, MemberDirectory } from '../member/apply.js';
import { EtcdMember, type MemberHooks, type PeerInfo } from '../member/member.js';

export interface RunningMember {
  member: EtcdMember;
  stop(): Promise<void>;
}

const groupId = 1;
const leaseTableName = 'lease';
const membersTableName = 'members';
const alarmsTableName = 'alarms';

function leaseTableOf(engine: Engine): LeaseTable {
  const t = engine.table<LeaseRecord>(leaseTableName, { keys: 'string' });
  return {
    get: (id) => t.get(id.toString()),
    put: (r) => t.put(r.id.toString(), r),
    remove: (id) => void t.remove(id.toString()),
    all: () => [...t.range()].map((e) => e.value),
  };
}

function directoryOf(engine: Engine): MemberDirectory & { clientURLsOf(memberId: bigint): string[] | undefined } {
  const t = engine.table<{ name: string; clientURLs: string[] }>(membersTableName, { keys: 'string' });
  return {
    publish: (memberId, name, clientURLs) => t.put(memberId.toString(), { name, clientURLs }),
    clientURLsOf: (memberId) => t.get(memberId.toString())?.clientURLs,
  };
}

/**
 * Alarms keyed `${alarm}:${member ID, 20 digits}`: listing them in key order sorts them as etcd's
 * GET. Every write checks raised('NOSPACE'), so the raised types are also kept in memory, reread
 * when a write rolls back or a snapshot replaces the table.
 */
function alarmsOf(engine: Engine): AlarmStore & { reload(): void } {
  const t = engine.table<{ memberId: bigint; alarm: AlarmType }>(alarmsTableName, { keys: 'string' });
  const key = (memberId: bigint, alarm: AlarmType) => `${alarm}:${memberId.toString().padStart(20, '0')}`;
  const raised = new Map<AlarmType, number>();
  const reload = () => {
    raised.clear();
    for (const { value } of t.range()) raised.set(value.alarm, (raised.get(value.alarm) ?? 0) + 1);
  };
  reload();
  engine.onRollback(reload);
  return {
    activate(memberId, alarm) {
      const k = key(memberId, alarm);
      if (t.get(k) === undefined) raised.set(alarm, (raised.get(alarm) ?? 0) + 1);
      t.put(k, { memberId, alarm });
      return { memberId, alarm };
    },
    deactivate(memberId, alarm) {
      if (!t.remove(key(memberId, alarm))) return undefined;
      raised.set(alarm, raised.get(alarm)! - 1);
      return { memberId, alarm };
    },
    list: () => [...t.range()].map((e) => e.value),
    raised: (alarm) => (raised.get(alarm) ?? 0) > 0,
    reload,
  };
}

export interface MemberExtras {
  /** HTTP routes served beside the gateway (PD's API). */
  httpRoutes?: ClientServerOptions['httpRoutes'];
}

export async function startMember(cfg: MemberConfig, log: (line: string) => void, extras: MemberExtras = {}): Promise<RunningMember> {
  const ids = idsOfNewCluster(
    cfg.initialCluster.map((m) => ({ name: m.name, peerUrls: m.peerUrls })),
    cfg.initialClusterToken,
  );
  // Raft ids are small numbers: members in ascending order of their etcd member ID.
  const sorted = [...ids.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const peers: PeerInfo[] = sorted.map((m, i) => {
    const spec = cfg.initialCluster.find((c) => c.name === m.name)!;
    return {
      raftId: i + 1,
      memberId: m.id,
      name: m.name,
      peerURLs: [...spec.peerUrls],
      clientURLs: [],
    };
  });
  const self = peers.find((p) => p.name === cfg.name)!;

  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const engine = openEngine({ path: join(cfg.dataDir, 'member'), noSync: cfg.unsafeNoFsync, flushDelayMs: cfg.flushDelayMs });
  const raftStore = new RaftLogStore(engine, groupId);
  if (raftStore.lastIndex() === 0 && raftStore.snapshot().metadata.index === 0) {
    // A new member: every member of the initial cluster starts from the same point, a snapshot
    // at index 1 naming all voters, so the first election is in term 2 (as etcd's is).
    const confState: ConfState = {
      voters: peers.map((p) => p.raftId),
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    engine.write(() => {
      raftStore.applySnapshot({ metadata: { index: 1 as Index, term: 1 as Term, confState }, data: new Uint8Array(0) });
      raftStore.setApplied(1 as Index);
      raftStore.setHardState({ term: 1 as Term, vote: 0, commit: 1 as Index });
    });
  }

  const clock = (): number => Date.now();
  const lessor = new Lessor({
    table: leaseTableOf(engine),
    minTtlSeconds: minLeaseTtlSeconds(cfg.electionTimeoutMs, cfg.heartbeatIntervalMs),
    clock,
  });
  const kv = new MvccStore(engine, { leases: lessor });
  lessor.restoreKeys(kv.leasedKeys());
  const hub = new WatchHub({
    kv,
    scheduler: realScheduler,
    progressIntervalMs: 10 * 60 * 1000,
    fragmentBytesMax: cfg.maxRequestBytes,
    batchEventsMax: 1000,
  });
  // The state machine is every table but the Raft log's: what a snapshot carries.
  const alarms = alarmsOf(engine);
  const stateTables = [leaseTableName, membersTableName, alarmsTableName].map((n) => engine.binaryTable(n));
  stateTables.push(...kv.tables);
  const stateImage = {
    capture: () => captureTables(stateTables),
    install: (image: Uint8Array) => void installTables(stateTables, image),
    installed: () => {
      kv.reload();
      alarms.reload();
      const { orphans } = lessor.reload(kv.leasedKeys(), clock());
      if (orphans > 0) log(`flotilla: ${orphans} keys of the installed snapshot name leases it does not hold`);
      hub.restore(kv.currentRevision());
    },
  };
  const metrics = new ServerMetrics();
  const seed = Number(process.hrtime.bigint() % 0xffffffffn);
  const member = new EtcdMember({
    raftId: self.raftId,
    memberId: self.memberId,
    clusterId: ids.clusterId,
    peers,
    heartbeatMs: cfg.heartbeatIntervalMs,
    electionMs: cfg.electionTimeoutMs,
    write: (fn) => engine.write(fn),
    dbSize: () => ({ total: engine.sizeBytes(), inUse: engine.sizeInUseBytes() }),
    raftStore,
    stateImage,
    snapshotCount: cfg.snapshotCount,
    snapshotCatchUpEntries: cfg.snapshotCatchUpEntries,
    kv,
    replicatedLeases: lessor,
    leaderLeases: lessor,
    watchHub: hub,
    directory: directoryOf(engine),
    alarms,
    quotaBytes: cfg.quotaBackendBytes,
    autoCompaction: cfg.autoCompaction,
    clientURLs: cfg.advertiseClientUrls.map(String),
    clock,
    rand: new Prng(seed),
    hooks: memberHooks(metrics, () => member),
  });

  let transport: Transport | undefined;
  if (peers.length > 1) {
    const byRaft = new Map<NodeId, PeerInfo>(peers.map((p) => [p.raftId, p]));
    const byMember = new Map<string, PeerInfo>(peers.map((p) => [p.memberId.toString(), p]));
    const listen = peerAddressOf(cfg.listenPeerUrls[0]!);
    if ('error' in listen) throw new Error(listen.error);
    transport = await Transport.start({
      memberId: self.memberId.toString(),
      clusterId: ids.clusterId.toString(),
      listen: { host: listenAddressOf(cfg.listenPeerUrls[0]!).host, port: listen.port },
      onMessages: (_from, msgs) => member.receive(msgs),
      onUnreachable: (peer) => {
        const p = byMember.get(peer);
        if (p) member.reportUnreachable(p.raftId);
      },
      onSnapshotStatus: (peer, ok) => {
        const p = byMember.get(peer);
        if (p) member.reportSnapshot(p.raftId, ok);
      },
    });
    for (const p of peers) if (p !== self) transport.addPeer(p.memberId.toString(), p.peerURLs[0]!);
    const t = transport;
    member.attachTransport({ send: (to, msgs) => t.send(byRaft.get(to)!.memberId.toString(), msgs) });
  }

  member.start();
  // Like etcd, serve clients once this member's attributes are published (and so a leader exists).
  await member.published;
  const api = await startClientServer({
    urls: cfg.listenClientUrls.map((u) => new URL(u)),
    backend: member,
    requestBytesMax: cfg.maxRequestBytes,
    txnOpsMax: cfg.maxTxnOps,
    metrics,
    ...(cfg.tls ? { tls: { ...cfg.tls } } : {}),
    ...(extras.httpRoutes ? { httpRoutes: extras.httpRoutes } : {}),
  });
  log(`flotilla: member ${cfg.name} (${self.memberId.toString(16)}) of cluster ${ids.clusterId.toString(16)} serving clients on ${cfg.listenClientUrls.join(', ')}`);

  return {
    member,
    async stop() {
      member.stop();
      await api.close();
      await transport?.close();
      await engine.close();
    },
  };
}

/** The member's events as etcd's metrics. */
function memberHooks(m: ServerMetrics, member: () => EtcdMember): MemberHooks {
  return {
    leaderChanged(hasLeader, isLeader) {
      m.setHasLeader(hasLeader);
      m.setIsLeader(isLeader);
      if (hasLeader) m.leaderChanged();
    },
    committed() {
      m.setProposalsCommitted(member().node.raft.raftLog.committed);
    },
    applied() {
      m.setProposalsApplied(member().node.raft.raftLog.applied);
    },
    proposalFailed() {
      m.proposalFailed();
    },
    snapshotSent(to, ok) {
      m.snapshotSent(to.toString(16), ok);
    },
    snapshotInstalled(from) {
      m.snapshotReceived(from.toString(16));
    },
    fsync(seconds) {
      m.observeWalFsync(seconds);
      m.observeBackendCommit(seconds);
    },
  };
}
