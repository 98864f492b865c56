// `flotilla pd`: a PD member. It is an unsharded Flotilla member (etcd's flags, etcd's API: the
// directory lives in its keys) plus the PD services on the same client port.

import { startMember, type RunningMember } from '../../regions/server/start.js';
import type { MemberConfig } from '../../src/cli/flags.js';
import { pdRoutes } from './http.js';
import { PdService, type ClusterMode } from './service.js';

export interface PdConfig {
  member: MemberConfig;
  mode: ClusterMode;
  /** Voters per region (the first region waits until this many stores registered). */
  replicas: number;
  /** Hash mode: slot groups created at bootstrap. */
  hashGroups: number;
}

export interface RunningPd {
  member: RunningMember;
  service: PdService;
  stop(): Promise<void>;
}

/** How often the leader keeps its oracle window and ID batch ahead of need (tikv/pd: 50 ms). */
const maintainIntervalMs = 50;

export async function startPd(cfg: PdConfig, log: (line: string) => void): Promise<RunningPd> {
  let member: RunningMember | undefined;
  const service = new PdService({
    core: {
      // The member exists before any request reaches the routes (they listen once it started).
      range: (r) => member!.member.range(r),
      put: (r) => member!.member.put(r),
      header: (rev) => member!.member.header(rev),
      leaseGrant: (ttl: number, id: bigint) => member!.member.leaseGrant(ttl, id),
      leaseRevoke: (id: bigint) => member!.member.leaseRevoke(id),
      leaseKeepAlive: (id: bigint) => member!.member.leaseKeepAlive(id),
      leaseTimeToLive: (id: bigint, keys: boolean) => member!.member.leaseTimeToLive(id, keys),
      leaseLeases: () => member!.member.leaseLeases(),
    } as PdServiceCore,
    leadership: () => {
      const m = member?.member;
      if (!m) return { isLeader: false, leaderClientUrl: undefined };
      const lead = m.node.raft.lead;
      if (m.node.raft.state === 'leader') return { isLeader: true, leaderClientUrl: undefined };
      return { isLeader: false, leaderClientUrl: m.clientUrlOfRaftId(lead) };
    },
    mode: cfg.mode,
    replicas: cfg.replicas,
    hashGroups: cfg.hashGroups,
    clock: () => Date.now(),
  });
  member = await startMember(cfg.member, log, { httpRoutes: pdRoutes(service) });
  const timer = setInterval(() => {
    service.maintain().catch(() => {
      // A leader change mid-save: the next leader loads the saved bounds.
    });
  }, maintainIntervalMs);
  timer.unref();
  log(`flotilla: PD (${cfg.mode} mode, ${cfg.replicas} replicas) serving on ${cfg.member.listenClientUrls.join(', ')}`);
  return {
    member,
    service,
    async stop() {
      clearInterval(timer);
      await member!.stop();
    },
  };
}

type PdServiceCore = ConstructorParameters<typeof PdService>[0]['core'];
