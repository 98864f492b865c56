// `flotilla cluster`: a whole cluster on loopback with one command, each server its own process
// (as in a real deployment), their logs prefixed with their names. Prints the endpoints once all
// serve; Ctrl-C stops them all.
//
//   flotilla cluster --mode range --stores 3            PD (1 member) + 3 stores
//   flotilla cluster --mode unsharded --stores 3        3 etcd-style members, no PD
//
// Ports (--base-port P, default 2379): PD member i listens on P+2i (clients) and P+2i+1 (peers);
// store i on P+18000+10i (clients: 20379, 20389 ...) and P+18001+10i (peers); unsharded member i
// on P+2i and P+2i+1, as etcd's usual 2379/2380.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { Subcommand } from '../src/cli/main.js';

interface ClusterArgs {
  mode: 'unsharded' | 'range' | 'hash';
  stores: number;
  pd: number;
  replicas: number;
  lanes: number | undefined;
  hashGroups: number;
  dataDir: string;
  basePort: number;
  extra: string[];
}

const usage = `Usage: flotilla cluster --mode unsharded|range|hash --stores N [options]

Starts a cluster on 127.0.0.1, each server in its own process; Ctrl-C stops them all.
  --mode M          unsharded (etcd-style members), range (PD + stores), hash (PD + stores)
  --stores N        stores (members in unsharded mode), default 3
  --pd 1|3          PD members (sharded modes), default 1
  --replicas R      voters per region, default min(3, stores)
  --lanes N         worker threads per store (default: one per core)
  --hash-groups G   hash mode: slot groups (Raft groups), default max(3, stores)
  --data-dir D      where the servers keep their data, default ./flotilla-cluster
  --base-port P     first port, default 2379 (see the port plan in the README)
  --                what follows goes to every store (or member), e.g. -- --unsafe-no-fsync
`;

function parse(argv: string[]): ClusterArgs | { error: string } | { help: true } {
  const a: ClusterArgs = { mode: 'range', stores: 3, pd: 1, replicas: 0, lanes: undefined, hashGroups: 0, dataDir: 'flotilla-cluster', basePort: 2379, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      a.extra = argv.slice(i + 1);
      break;
    }
    if (arg === '-h' || arg === '--help') return { help: true };
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) return { error: `unexpected argument ${JSON.stringify(arg)}` };
    const v = m[2] ?? argv[++i];
    if (v === undefined) return { error: `flag needs an argument: --${m[1]}` };
    const int = () => (/^\d+$/.test(v) ? Number(v) : NaN);
    switch (m[1]) {
      case 'mode':
        if (v !== 'unsharded' && v !== 'range' && v !== 'hash') return { error: `--mode must be unsharded, range or hash` };
        a.mode = v;
        break;
      case 'stores':
        a.stores = int();
        break;
      case 'pd':
        a.pd = int();
        break;
      case 'replicas':
        a.replicas = int();
        break;
      case 'lanes':
        a.lanes = int();
        break;
      case 'hash-groups':
        a.hashGroups = int();
        break;
      case 'data-dir':
        a.dataDir = v;
        break;
      case 'base-port':
        a.basePort = int();
        break;
      default:
        return { error: `flag provided but not defined: --${m[1]}` };
    }
  }
  if (!(a.stores >= 1 && a.stores <= 50)) return { error: '--stores must be between 1 and 50' };
  if (a.pd !== 1 && a.pd !== 3) return { error: '--pd must be 1 or 3' };
  if (a.replicas === 0) a.replicas = Math.min(3, a.stores);
  if (a.hashGroups === 0) a.hashGroups = Math.max(3, a.stores);
  if (!(a.hashGroups >= 1 && a.hashGroups <= 1024)) return { error: '--hash-groups must be between 1 and 1024' };
  if (!(a.replicas >= 1 && a.replicas <= a.stores)) return { error: '--replicas must be between 1 and --stores' };
  if (a.lanes !== undefined && !(a.lanes >= 1)) return { error: '--lanes must be at least 1' };
  if (!(a.basePort >= 1024 && a.basePort + 18001 + 10 * a.stores < 65536)) return { error: '--base-port leaves no room for the port plan' };
  return a;
}

const flotilla = fileURLToPath(new URL('../../bin/flotilla', import.meta.url));

interface Proc {
  name: string;
  child: ChildProcess;
  ready: Promise<void>;
}

function start(name: string, args: string[], onExit: (name: string, code: number | null) => void): Proc {
  const child = spawn(process.execPath, [flotilla, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const prefix = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      process.stderr.write(`[${name}] ${line}\n`);
      if (/serving clients on|serving on/.test(line)) readyResolve();
    }
  };
  child.stdout!.on('data', prefix);
  child.stderr!.on('data', prefix);
  child.on('exit', (code) => onExit(name, code));
  return { name, child, ready };
}

export const clusterCommand: Subcommand = {
  summary: 'start PD and stores (or unsharded members) on loopback',
  async run(argv: string[]): Promise<number> {
    const a = parse(argv);
    if ('help' in a) {
      process.stdout.write(usage);
      return 0;
    }
    if ('error' in a) {
      process.stderr.write(`flotilla cluster: ${a.error}\n`);
      return 2;
    }
    const dir = resolve(a.dataDir);
    mkdirSync(dir, { recursive: true });
    const procs: Proc[] = [];
    let stopping = false;
    let failed = false;
    const onExit = (name: string, code: number | null) => {
      if (stopping) return;
      process.stderr.write(`flotilla cluster: ${name} exited (${code}); stopping the others\n`);
      failed = true;
      void stopAll();
    };
    const url = (port: number) => `http://127.0.0.1:${port}`;
    const endpoints: string[] = [];
    let pdUrls: string[] = [];
    if (a.mode === 'unsharded') {
      const names = Array.from({ length: a.stores }, (_, i) => `member${i + 1}`);
      const initial = names.map((n, i) => `${n}=${url(a.basePort + 2 * i + 1)}`).join(',');
      names.forEach((n, i) => {
        const client = url(a.basePort + 2 * i);
        endpoints.push(client);
        procs.push(start(n, [
          '--name', n, '--data-dir', join(dir, n),
          '--listen-client-urls', client, '--advertise-client-urls', client,
          '--listen-peer-urls', url(a.basePort + 2 * i + 1), '--initial-advertise-peer-urls', url(a.basePort + 2 * i + 1),
          '--initial-cluster', initial, '--initial-cluster-token', 'flotilla-cluster',
          ...a.extra,
        ], onExit));
      });
    } else {
      const names = Array.from({ length: a.pd }, (_, i) => `pd${i + 1}`);
      const initial = names.map((n, i) => `${n}=${url(a.basePort + 2 * i + 1)}`).join(',');
      pdUrls = names.map((_, i) => url(a.basePort + 2 * i));
      names.forEach((n, i) => {
        procs.push(start(n, [
          'pd', '--mode', a.mode, '--replicas', String(a.replicas), '--hash-groups', String(a.hashGroups),
          '--name', n, '--data-dir', join(dir, n),
          '--listen-client-urls', pdUrls[i]!, '--advertise-client-urls', pdUrls[i]!,
          '--listen-peer-urls', url(a.basePort + 2 * i + 1), '--initial-advertise-peer-urls', url(a.basePort + 2 * i + 1),
          '--initial-cluster', initial, '--initial-cluster-token', 'flotilla-pd',
        ], onExit));
      });
      for (let i = 0; i < a.stores; i++) {
        const client = url(a.basePort + 18000 + 10 * i);
        endpoints.push(client);
        procs.push(start(`store${i + 1}`, [
          'store', '--name', `store${i + 1}`, '--data-dir', join(dir, `store${i + 1}`), '--pd', pdUrls.join(','),
          '--listen-client-urls', client, '--listen-peer-urls', url(a.basePort + 18001 + 10 * i),
          ...(a.lanes ? ['--lanes', String(a.lanes)] : []),
          ...a.extra,
        ], onExit));
      }
    }
    const stopAll = async () => {
      stopping = true;
      await Promise.all(procs.map((p) => new Promise<void>((resolveExit) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return resolveExit();
        p.child.once('exit', () => resolveExit());
        p.child.kill('SIGTERM');
        setTimeout(() => p.child.kill('SIGKILL'), 10_000).unref();
      })));
    };
    const signalled = new Promise<void>((resolveSignal) => {
      process.once('SIGINT', () => resolveSignal());
      process.once('SIGTERM', () => resolveSignal());
    });
    await Promise.race([Promise.all(procs.map((p) => p.ready)), signalled]);
    if (!stopping) {
      const lines = [`flotilla cluster: ${a.mode} mode, ${a.stores} ${a.mode === 'unsharded' ? 'members' : 'stores'} serving`, `  endpoints: ${endpoints.join(',')}`];
      if (pdUrls.length > 0) lines.push(`  pd:        ${pdUrls.join(',')}`, `  try:       etcdctl --endpoints=${endpoints[0]} put hello world`, `             flotilla ctl --pd ${pdUrls[0]} regions`);
      else lines.push(`  try:       etcdctl --endpoints=${endpoints.join(',')} put hello world`);
      process.stdout.write(lines.join('\n') + '\nCtrl-C stops the cluster.\n');
      await signalled;
    }
    await stopAll();
    return failed ? 1 : 0;
  },
};
