// Starts a store of a sharded cluster: its identity (from PD, kept in the data directory), the
// lanes hosting its region peers, the peer transport shared by all regions, the router serving
// etcd's API for the whole key space, and the heartbeats to PD (whose replies carry the regions
// to create and the operators to run).

import { mkdirSync, readFileSync, renameSync, statfsSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { startClientServer } from '../../src/api/index.js';
import type { Member, StatusInfo } from '../../src/api/backend.js';
import { PdClient } from '../../src/cluster/pd_client.js';
import { keepAliveAgent, postMsgpack } from '../../src/cluster/msgpack_http.js';
import type { Region, RegionId, RegionPeer, SlotRanges, StoreId } from '../../src/cluster/region.js';
import { RegionCallError, type CallError, type RegionOp, type RegionPeerChange } from '../../src/cluster/region_ops.js';
import { listenAddressOf } from '../../src/cli/flags.js';
import { RegionCache } from '../../src/router/region_cache.js';
import type { RouteTable } from '../../src/router/route.js';
import { SlotTable } from '../../src/router/slot_table.js';
import { Router, type RegionSender } from '../../src/router/router.js';
import { peerAddressOf, Transport, TransportCallError } from '../../src/transport/index.js';
import { pack, unpack } from '../../src/util/msgpack.js';
import { Prng } from '../../src/util/prng.js';
import { LaneHost } from '../lane/host.js';
import type { RegionReport } from '../lane/protocol.js';
import type { StoreConfig } from './flags.js';
import { EtcdError, type EtcdErrorCode } from '../../src/mvcc/errors.js';
import { leaseReapIntervalMs, reapLeases } from './lease_reaper.js';
import { mergeRegions, resumeMerges } from './merger.js';
import { moveSlots, resumeMoves } from './slot_mover.js';

export interface RunningStore {
  id: StoreId;
  router: Router;
  lanes: LaneHost;
  stop(): Promise<void>;
}

interface StoreInfo {
  id: StoreId;
  clientUrl: string;
  peerUrl: string;
}

type RegionCommand =
  | { kind: 'split'; keys: Uint8Array[]; newRegionIds: RegionId[]; newPeerIds: number[][] }
  | { kind: 'transferLeader'; toPeer: number }
  | { kind: 'changePeer'; change: RegionPeerChange }
  | { kind: 'moveSlots'; slots: SlotRanges; to: RegionId }
  | { kind: 'merge'; target: RegionId };

/** Where another store's router sends a region op (msgpack both ways) while the peer link is down. */
const internalPath = '/flotilla/internal/region';
const remoteCallTimeoutMs = 8_000;
/** Ops that change nothing: safe to send again when a call to another store was cut off. */
const readOnlyOps = new Set<RegionOp['op']>(['range', 'events', 'localState', 'leases', 'leaseKeys', 'exportSlots']);
/** How often the store may send a round of region heartbeats (changes go out this fast). */
const regionRoundMs = 200;
/**
 * A round goes at least this often even with nothing to report: PD hands out commands (a split
 * or transfer asked for by hand, an operator) only in its replies, so this bounds their wait.
 */
const commandPollMs = 500;
/** A store PD has not heard from this long is taken for down: regions it leads wake here. */
const storeSilentMs = 3_000;
/** Region heartbeats per PD call. */
const regionHeartbeatsPerCall = 500;
/** Every region leader reports at least this often, changed or not (TiKV: 60 s). */
const regionKeepaliveMs = 60_000;
/** A region without a leader this long makes the store ask PD whether its peer still belongs. */
const stalePeerCheckMs = 10_000;

/** The data directory's file system, for PD's placement (a store nearly full gets no new replicas). */
function diskSpace(dir: string): { capacityBytes: number; availableBytes: number } {
  try {
    const st = statfsSync(dir);
    return { capacityBytes: st.blocks * st.bsize, availableBytes: st.bavail * st.bsize };
  } catch {
    return { capacityBytes: 0, availableBytes: 0 };
  }
}

function loadIdentity(dataDir: string): StoreId | undefined {
  try {
    return (JSON.parse(readFileSync(join(dataDir, 'store.json'), 'utf8')) as { id: StoreId }).id;
  } catch {
    return undefined;
  }
}

function saveIdentity(dataDir: string, id: StoreId): void {
  const tmp = join(dataDir, 'store.json.tmp');
  writeFileSync(tmp, JSON.stringify({ id }) + '\n', { flush: true });
  renameSync(tmp, join(dataDir, 'store.json'));
}

export async function startStore(cfg: StoreConfig, log: (line: string) => void): Promise<RunningStore> {
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const pd = new PdClient(cfg.pd);
  let id = loadIdentity(cfg.dataDir);
  if (id === undefined) {
    id = (await pd.call<{ first: number }>({ call: 'allocIds', count: 1 })).first as StoreId;
    saveIdentity(cfg.dataDir, id);
  }
  const storeId = id;
  const stores = new Map<StoreId, StoreInfo>();

  let host: LaneHost | undefined;
  let transport: Transport | undefined;
  const heartbeat = () => ({
    id: storeId,
    clientUrl: cfg.advertiseClientUrl,
    peerUrl: cfg.advertisePeerUrl,
    lanes: cfg.lanes,
    regionCount: host?.regions.size ?? 0,
    leaderCount: host ? [...host.regions.values()].filter((r) => r.isLeader).length : 0,
    ...diskSpace(cfg.dataDir),
  });
  const first = await pd.call<{ clusterId: string; mode: 'range' | 'hash'; stores: StoreInfo[]; bootstrap: Region[] }>({ call: 'storeHeartbeat', hb: heartbeat() });
  const table: RouteTable = first.mode === 'hash' ? new SlotTable() : new RegionCache();

  const peerListen = peerAddressOf(cfg.listenPeerUrl);
  if ('error' in peerListen) throw new Error(peerListen.error);
  transport = await Transport.start({
    memberId: String(storeId),
    clusterId: first.clusterId,
    listen: { host: listenAddressOf(cfg.listenPeerUrl).host, port: peerListen.port },
    onMessages: (from, msgs) => host?.receive(Number(from) as StoreId, msgs),
    onUnreachable: (peer) => {
      if (!host) return;
      for (const { region, peer: p } of host.regionsWithPeerOn(Number(peer) as StoreId)) host.unreachable(region, p);
    },
    onSnapshotStatus: () => {
      // Region peers are created with their data (bootstrap, split); snapshots come with moves.
    },
    onCall: (_from, payload) => serveCall(payload),
  });
  const learnStores = (list: StoreInfo[]) => {
    for (const s of list) {
      const known = stores.get(s.id);
      stores.set(s.id, s);
      if (s.id !== storeId && (!known || known.peerUrl !== s.peerUrl)) {
        if (known) transport!.removePeer(String(s.id));
        transport!.addPeer(String(s.id), s.peerUrl);
      }
    }
  };
  learnStores(first.stores);

  // Region heartbeats: leaders report on every change and every regionHeartbeatMs.
  const dueHeartbeat = new Map<RegionId, RegionReport>();
  const onRegions = (reports: RegionReport[]) => {
    for (const r of reports) {
      table.update([r.region]);
      if (r.leader) table.setLeader(r.region.id, r.leader);
      if (r.isLeader) dueHeartbeat.set(r.region.id, r);
    }
  };
  host = await LaneHost.start({
    lanes: cfg.lanes,
    dataDir: cfg.dataDir,
    storeId,
    noSync: cfg.noSync,
    flushDelayMs: cfg.flushDelayMs,
    heartbeatMs: cfg.heartbeatMs,
    electionMs: cfg.electionMs,
    raftLogEntriesMax: 10_000,
    hibernateTicks: cfg.hibernateTicks,
    statsIntervalMs: cfg.regionHeartbeatMs,
    send: (toStore, msgs) => {
      if (stores.has(toStore)) transport!.send(String(toStore), msgs);
    },
    timestamps: (count) => pd.timestamps(count),
    onRegions,
    onStats: (stats) => {
      for (const st of stats) {
        const r = host?.regions.get(st.region);
        if (r?.isLeader) dueHeartbeat.set(st.region, r);
      }
    },
    log,
    regionInfo: async (id) => (await pd.call<{ region: Region } | null>({ call: 'regionById', id }))?.region,
    onFatal: () => {
      log(`flotilla: store ${storeId}: a lane failed; exiting`);
      process.exit(70);
    },
  });
  const lanes = host;
  const createMissing = (regions: Region[]) => {
    for (const r of regions) {
      const mine = r.peers.find((p) => p.storeId === storeId);
      if (mine && !lanes.regions.has(r.id)) lanes.createPeer(r, mine.id);
    }
  };
  createMissing(first.bootstrap);

  // ---- calls to regions: this store's lanes, or another store's ----
  //
  // To another store, a call goes over the peer link shared with Raft messages (requests of one
  // event-loop turn share a frame; answers come back as they are ready). While that link is not
  // open, it goes to the store's internal HTTP route on its client port instead.
  const agent = keepAliveAgent(64);
  const sender: RegionSender = {
    async send(store, region, op) {
      if (store === storeId) return lanes.call(region.id, region.epoch, op);
      const info = stores.get(store);
      if (!info) throw new RegionCallError({ kind: 'region', error: { code: 'RegionNotFound', regionId: region.id } });
      const request = pack({ region: region.id, epoch: region.epoch, op });
      // Cut off after sending, a write may still apply there: its outcome is unknown, and
      // retrying it could apply it twice. etcd answers such a write with a timeout; so do we.
      // Reads, and anything certainly not sent (the store is down), try another peer.
      const cutOff = (notSent: boolean) => {
        table.clearLeader(region.id);
        if (notSent || readOnlyOps.has(op.op)) return new RegionCallError({ kind: 'region', error: { code: 'NotLeader', regionId: region.id } });
        return new RegionCallError({ kind: 'etcd', code: 'Timeout', message: 'etcdserver: request timed out' });
      };
      let body: Uint8Array;
      try {
        body = await transport!.call(String(store), request, remoteCallTimeoutMs);
      } catch (err) {
        if (!(err instanceof TransportCallError)) throw err;
        if (err.remote) throw new RegionCallError({ kind: 'etcd', code: 'Unavailable', message: `store ${store}: ${err.message}` });
        if (err.sent) throw cutOff(false);
        let answer;
        try {
          answer = await postMsgpack(agent, new URL(internalPath, info.clientUrl), request, remoteCallTimeoutMs);
        } catch (httpErr) {
          throw cutOff((httpErr as NodeJS.ErrnoException).code === 'ECONNREFUSED');
        }
        if (answer.status !== 200) throw new RegionCallError({ kind: 'etcd', code: 'Unavailable', message: `store ${store}: HTTP ${answer.status}` });
        body = answer.body;
      }
      const r = unpack<{ ok: boolean; value?: unknown; error?: CallError }>(body);
      if (r.ok) return r.value;
      throw new RegionCallError(r.error!);
    },
  };
  /** Runs another store's call on this store's lanes; the answer says ok or the region error. */
  async function serveCall(payload: Uint8Array): Promise<Uint8Array> {
    const call = unpack<{ region: RegionId; epoch: Region['epoch']; op: RegionOp }>(payload);
    if (!host) return pack({ ok: false, error: { kind: 'region', error: { code: 'RegionNotFound', regionId: call.region } } satisfies CallError });
    try {
      return pack({ ok: true, value: await host.call(call.region, call.epoch, call.op) });
    } catch (err) {
      return pack({ ok: false, error: err instanceof RegionCallError ? err.error : { kind: 'etcd', code: 'Unavailable', message: (err as Error).message } });
    }
  }
  const internalRoutes = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.url !== internalPath || req.method !== 'POST') return false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      serveCall(Buffer.concat(chunks)).then(
        (out) => {
          res.writeHead(200, { 'content-type': 'application/x-msgpack', 'content-length': out.length });
          res.end(out);
        },
        (err: Error) => {
          res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
    });
    return true;
  };

  const revision = () => {
    let rev = 0;
    for (const r of lanes.regions.values()) rev = Math.max(rev, r.appliedRevision);
    return rev;
  };
  const router = new Router({
    table,
    directory: {
      regionByKey: async (key) => (await pd.call<{ region: Region; leader: RegionPeer | undefined } | null>({ call: 'regionByKey', key })) ?? undefined,
      allRegions: () => pd.call<Array<{ region: Region; leader: RegionPeer | undefined }>>({ call: 'regions' }),
      timestamp: () => pd.timestamps(1),
      regionById: async (id) => (await pd.call<{ region: Region; leader: RegionPeer | undefined } | null>({ call: 'regionById', id })) ?? undefined,
      lease: async (c) => {
        const r = await pd.call<{ ok?: unknown; etcdError?: { code: string; message: string } }>({ call: 'lease', ...c });
        if (r.etcdError) throw new EtcdError(r.etcdError.code as EtcdErrorCode, r.etcdError.message);
        return r.ok;
      },
    },
    sender,
    rand: new Prng(Number(process.hrtime.bigint() % 0xffffffffn)),
    localStore: storeId,
    header: () => ({ clusterId: BigInt(first.clusterId), memberId: BigInt(storeId), revision: revision(), raftTerm: 0 }),
    status: async (): Promise<StatusInfo> => ({
      version: '3.4.23',
      dbSize: lanes.dbSize().bytes,
      dbSizeInUse: lanes.dbSize().inUse,
      leader: BigInt(storeId),
      raftIndex: 0,
      raftTerm: 0,
      raftAppliedIndex: 0,
      errors: [],
      isLearner: false,
    }),
    members: async (): Promise<Member[]> =>
      [...stores.values()].sort((a, b) => a.id - b.id).map((s) => ({
        id: BigInt(s.id),
        name: `store-${s.id}`,
        peerURLs: [s.peerUrl],
        clientURLs: [s.clientUrl],
        isLearner: false,
      })),
    fragmentBytesMax: cfg.maxRequestBytes,
    log,
  });

  const api = await startClientServer({
    urls: cfg.listenClientUrls.map((u) => new URL(u)),
    backend: router,
    requestBytesMax: cfg.maxRequestBytes,
    txnOpsMax: cfg.maxTxnOps,
    httpRoutes: internalRoutes,
  });

  // ---- heartbeats ----
  let stopped = false;
  const runCommand = (r: RegionReport, c: RegionCommand) => {
    if (c.kind === 'merge') {
      mergeRegions(merger, r.region.id, c.target).catch((err: Error) => log(`flotilla: store ${storeId}: merge of region ${r.region.id} into ${c.target} not done: ${err.message}`));
      return;
    }
    if (c.kind === 'moveSlots') {
      moveSlots(mover, r.region.id, c.slots, c.to).catch((err: Error) => log(`flotilla: store ${storeId}: slot move from group ${r.region.id} failed: ${err.message}`));
      return;
    }
    let op: RegionOp;
    switch (c.kind) {
      case 'split':
        op = { op: 'split', keys: c.keys, newRegionIds: c.newRegionIds, newPeerIds: c.newPeerIds };
        break;
      case 'transferLeader':
        op = { op: 'transferLeader', toPeer: c.toPeer };
        break;
      case 'changePeer':
        op = { op: 'changePeer', change: c.change };
        break;
    }
    lanes.call(r.region.id, r.region.epoch, op).catch((err: Error) => log(`flotilla: store ${storeId}: ${c.kind} of region ${r.region.id} failed: ${err.message}`));
  };
  const storeTimer = setInterval(() => {
    if (stopped) return;
    pd.call<{ stores: StoreInfo[]; bootstrap: Region[] }>({ call: 'storeHeartbeat', hb: heartbeat() }).then(
      (reply) => {
        learnStores(reply.stores);
        createMissing(reply.bootstrap);
        // Hibernating followers do not notice a dead leader (nothing ticks): wake the regions
        // led by a store PD has not heard from for a while, so they elect a new leader.
        const now = Date.now();
        for (const s of reply.stores as Array<StoreInfo & { lastHeartbeatMs: number }>) {
          if (s.id !== storeId && now - s.lastHeartbeatMs > storeSilentMs) lanes.wakeLedBy(s.id);
        }
      },
      (err: Error) => log(`flotilla: store ${storeId}: heartbeat to PD failed: ${err.message}`),
    );
  }, cfg.storeHeartbeatMs);
  // Region heartbeats go to PD in one call per round: leaders whose shape, leader or load
  // changed, and every leader at least once per regionKeepaliveMs. Every commandPollMs a round
  // goes even if empty: its reply carries commands for any region led here, so an idle,
  // hibernating region still gets its operators.
  const lastSent = new Map<RegionId, number>();
  let lastRound = 0;
  let roundInFlight = false;
  const regionTimer = setInterval(() => {
    if (stopped || roundInFlight) return;
    const now = Date.now();
    for (const [id, r] of lanes.regions) {
      if (r.isLeader && now - (lastSent.get(id) ?? 0) >= regionKeepaliveMs) dueHeartbeat.set(id, r);
    }
    if (dueHeartbeat.size === 0 && now - lastRound < Math.min(cfg.regionHeartbeatMs, commandPollMs)) return;
    lastRound = now;
    const due = [...dueHeartbeat.values()].filter((r) => r.leader !== undefined && r.isLeader);
    dueHeartbeat.clear();
    const hbs = due.map((r) => {
      const st = lanes.stats.get(r.region.id);
      lastSent.set(r.region.id, now);
      return {
        region: r.region,
        leader: r.leader!,
        approximateBytes: st?.approximateBytes ?? 0,
        approximateKeys: st?.approximateKeys ?? 0,
        writeQps: st?.writeQps ?? 0,
        readQps: st?.readQps ?? 0,
      };
    });
    roundInFlight = true;
    // In calls of at most regionHeartbeatsPerCall: one of 10,000 (after a big split) would
    // outlast the PD client's call timeout and be sent again while PD still works on it.
    const calls: Array<Promise<void>> = [];
    for (let i = 0; i === 0 || i < hbs.length; i += regionHeartbeatsPerCall) {
      const part = hbs.slice(i, i + regionHeartbeatsPerCall);
      const partDue = due.slice(i, i + regionHeartbeatsPerCall);
      calls.push(
        pd.call<{ commands: Array<{ regionId: RegionId; command: RegionCommand }> }>({ call: 'regionHeartbeats', store: storeId, hbs: part }).then(
          (reply) => {
            for (const { regionId, command } of reply.commands) {
              const r = lanes.regions.get(regionId);
              if (r) runCommand(r, command);
            }
          },
          () => {
            for (const r of partDue) if (!dueHeartbeat.has(r.region.id)) dueHeartbeat.set(r.region.id, r);
          },
        ),
      );
    }
    void Promise.all(calls).finally(() => (roundInFlight = false));
  }, regionRoundMs);

  // Peers left behind: a peer removed from its region while this store was down or cut off never
  // applies its own removal; it only sees no leader. Ask PD about regions leaderless for a while.
  const leaderlessSince = new Map<RegionId, number>();
  const mover = { lanes, callRegion: (id: RegionId, op: RegionOp) => router.callRegion(id, op), log };
  const merger = { ...mover, callOnStore: (store: StoreId, region: Region, op: RegionOp) => router.callOnStore(store, region, op) };
  let reaping = false;
  const reapTimer = setInterval(() => {
    if (stopped || reaping) return;
    reaping = true;
    reapLeases({ lanes, liveLeases: () => router.leaseLeases(), log })
      .catch(() => {})
      .finally(() => (reaping = false));
  }, leaseReapIntervalMs);
  const gcTimer = setInterval(() => {
    if (stopped) return;
    resumeMoves(mover);
    resumeMerges(merger);
    const now = Date.now();
    for (const [id, r] of lanes.regions) {
      if (r.leader) {
        leaderlessSince.delete(id);
        continue;
      }
      const since = leaderlessSince.get(id) ?? now;
      leaderlessSince.set(id, since);
      if (now - since < stalePeerCheckMs) continue;
      leaderlessSince.set(id, now);
      pd.call<{ region: Region } | null>({ call: 'regionById', id }).then(
        (found) => {
          const mine = found?.region.peers.some((p) => p.storeId === storeId);
          if (found && !mine && found.region.epoch.confVer > r.region.epoch.confVer) {
            log(`flotilla: store ${storeId}: region ${id} no longer has a peer here (confVer ${found.region.epoch.confVer}); dropping it`);
            lanes.destroy(id, found.region.epoch.confVer);
          }
        },
        () => {},
      );
    }
  }, stalePeerCheckMs / 2);

  log(`flotilla: store ${storeId} (${cfg.name}, ${first.mode} mode) serving clients on ${cfg.listenClientUrls.join(', ')} with ${cfg.lanes} lanes`);
  return {
    id: storeId,
    router,
    lanes,
    async stop() {
      stopped = true;
      clearInterval(storeTimer);
      clearInterval(regionTimer);
      clearInterval(gcTimer);
      clearInterval(reapTimer);
      router.close();
      await api.close();
      await lanes.stop();
      await transport!.close();
      pd.close();
      agent.destroy();
    },
  };
}
