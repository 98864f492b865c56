// `flotilla ctl`: PD's JSON API from the command line.
//
//   flotilla ctl [--pd URLS] [--json] regions | stores | split KEY | transfer-leader REGION STORE
//                | merge SOURCE TARGET | move-slots FROM TO SLOTS | scheduler show|add|remove|set ...
//
// Tables for people by default; --json prints PD's answer as it is (for scripts and jq).

import * as http from 'node:http';
import type { Subcommand } from './main.js';

const usage = `Usage: flotilla ctl [--pd URLS] [--json] <command>

Commands:
  regions                       the region directory: range, epoch, peers, leader
  stores                        stores with their region and leader counts
  split KEY                     split the region holding KEY at KEY
  transfer-leader REGION STORE  move a region's leadership to its peer on STORE
  move-slots FROM TO A-B[,C-D]  hash mode: move slots A..B (with their keys) from group FROM to TO
  merge SOURCE TARGET           range mode: merge region SOURCE into its neighbour TARGET
  scheduler show                the schedulers running and stopped, and PD's scheduling settings
  scheduler add|remove NAME     start or stop one scheduler (e.g. balance-leader)
  scheduler set KEY VALUE       change a setting (e.g. regionSplitKeysMax 1000); VALUE null resets it
  operators                     operators in flight and the recent ones
Options:
  --pd URLS   PD members' client URLs, comma-separated (default http://127.0.0.1:2379)
  --json      print PD's JSON answer
`;

function request(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(new URL(path, base), { method, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch {
          reject(new Error(`${base}: not a PD answer (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Asks each PD URL in turn, following the leader PD names. */
async function ask(urls: string[], method: string, path: string, body?: unknown): Promise<unknown> {
  const queue = [...urls];
  const errors: string[] = [];
  for (let hops = 0; queue.length > 0 && hops < 10; hops++) {
    const base = queue.shift()!;
    try {
      const r = await request(base, method, path, body);
      const j = r.json as { error?: string; leader?: string | null };
      if (r.status === 503 && j.leader) {
        queue.unshift(j.leader);
        continue;
      }
      if (r.status !== 200) throw new Error(j.error ?? `HTTP ${r.status}`);
      return r.json;
    } catch (e) {
      errors.push(`${base}: ${(e as Error).message}`);
    }
  }
  throw new Error(errors.join('; '));
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
}

interface RegionJson {
  id: number;
  slots?: Array<[number, number]>;
  start: string;
  end: string;
  epoch: { confVer: number; version: number };
  peers: Array<{ id: number; storeId: number; role: string }>;
  leader: { id: number; storeId: number } | null;
  approximateKeys: number;
  approximateBytes: number;
}

interface StoreJson {
  id: number;
  clientUrl: string;
  peerUrl: string;
  lanes: number;
  regionCount: number;
  leaderCount: number;
}

export const ctl: Subcommand = {
  summary: "PD's region directory and operators (regions, stores, split, transfer-leader)",
  async run(argv: string[]): Promise<number> {
    let pd = ['http://127.0.0.1:2379'];
    let json = false;
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-h' || a === '--help') {
        process.stdout.write(usage);
        return 0;
      }
      if (a === '--json') json = true;
      else if (a === '--pd') pd = (argv[++i] ?? '').split(',').filter((s) => s.length > 0);
      else if (a.startsWith('--pd=')) pd = a.slice(5).split(',').filter((s) => s.length > 0);
      else rest.push(a);
    }
    const [cmd, ...args] = rest;
    try {
      let out: unknown;
      switch (cmd) {
        case 'regions': {
          out = await ask(pd, 'GET', '/pd/api/v1/regions');
          if (!json) {
            const regions = (out as { regions: RegionJson[] }).regions;
            const hash = regions.some((r) => r.slots);
            const rows = [['ID', hash ? 'SLOTS' : 'START', hash ? '' : 'END', 'EPOCH', 'PEERS (peer@store)', 'LEADER']];
            for (const r of regions) {
              rows.push([
                String(r.id),
                hash ? (r.slots ?? []).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',') : r.start,
                hash ? '' : r.end === '' ? '(end)' : r.end,
                `${r.epoch.confVer}/${r.epoch.version}`,
                r.peers.map((p) => `${p.id}@${p.storeId}${p.role === 'learner' ? 'L' : ''}`).join(','),
                r.leader ? `${r.leader.id}@${r.leader.storeId}` : '-',
              ]);
            }
            process.stdout.write(table(rows));
            return 0;
          }
          break;
        }
        case 'stores': {
          out = await ask(pd, 'GET', '/pd/api/v1/stores');
          if (!json) {
            const stores = (out as { stores: StoreJson[] }).stores;
            const rows = [['ID', 'CLIENT URL', 'PEER URL', 'LANES', 'REGIONS', 'LEADERS']];
            for (const s of stores) rows.push([String(s.id), s.clientUrl, s.peerUrl, String(s.lanes), String(s.regionCount), String(s.leaderCount)]);
            process.stdout.write(table(rows));
            return 0;
          }
          break;
        }
        case 'split':
          if (args.length !== 1) throw new Error('split needs one KEY');
          out = await ask(pd, 'POST', '/pd/api/v1/split', { key: args[0] });
          break;
        case 'transfer-leader':
          if (args.length !== 2 || !/^\d+$/.test(args[0]!) || !/^\d+$/.test(args[1]!)) throw new Error('transfer-leader needs REGION and STORE (numbers)');
          out = await ask(pd, 'POST', '/pd/api/v1/transfer-leader', { region: Number(args[0]), store: Number(args[1]) });
          break;
        case 'merge':
          if (args.length !== 2 || !/^\d+$/.test(args[0]!) || !/^\d+$/.test(args[1]!)) throw new Error('merge needs SOURCE and TARGET (region IDs)');
          out = await ask(pd, 'POST', '/pd/api/v1/merge', { source: Number(args[0]), target: Number(args[1]) });
          break;
        case 'move-slots': {
          const [from, to, spec] = args;
          const slots = (spec ?? '').split(',').filter((x) => x.length > 0).map((r) => {
            const m = /^(\d+)(?:-(\d+))?$/.exec(r);
            if (!m) throw new Error(`bad slot range ${JSON.stringify(r)} (want A-B)`);
            return [Number(m[1]), Number(m[2] ?? m[1])];
          });
          if (!/^\d+$/.test(from ?? '') || !/^\d+$/.test(to ?? '') || slots.length === 0) throw new Error('move-slots needs FROM and TO (group IDs) and slot ranges A-B');
          out = await ask(pd, 'POST', '/pd/api/v1/move-slots', { from: Number(from), to: Number(to), slots });
          break;
        }
        case 'scheduler': {
          const [sub, name, value] = args;
          const current = async () => (await ask(pd, 'GET', '/pd/api/v1/schedulers')) as { enabled: string[]; disabled: Array<{ name: string; reason: string }>; config: Record<string, unknown> };
          if (sub === 'show' && args.length === 1) {
            out = await current();
            if (!json) {
              const s = out as Awaited<ReturnType<typeof current>>;
              const rows = [['SCHEDULER', 'STATE']];
              for (const n of s.enabled) rows.push([n, 'running']);
              for (const d of s.disabled) rows.push([d.name, `stopped: ${d.reason}`]);
              process.stdout.write(table(rows));
              const settings = Object.entries(s.config).filter(([k]) => k !== 'enabled' && k !== 'timeouts');
              process.stdout.write(table([['SETTING', 'VALUE'], ...settings.map(([k, v]) => [k, JSON.stringify(v)])]));
              return 0;
            }
          } else if ((sub === 'add' || sub === 'remove') && args.length === 2) {
            const enabled = new Set((await current()).enabled);
            if (sub === 'add') enabled.add(name!);
            else if (!enabled.delete(name!)) throw new Error(`scheduler ${name} is not running`);
            out = await ask(pd, 'POST', '/pd/api/v1/schedulers/config', { enabled: [...enabled] });
          } else if (sub === 'set' && args.length === 3) {
            let v: unknown;
            try {
              v = JSON.parse(value!);
            } catch {
              throw new Error(`VALUE must be JSON (a number, true/false or null), not ${JSON.stringify(value)}`);
            }
            out = await ask(pd, 'POST', '/pd/api/v1/schedulers/config', { [name!]: v });
          } else {
            throw new Error('scheduler needs show, add NAME, remove NAME or set KEY VALUE');
          }
          break;
        }
        case 'operators':
          out = await ask(pd, 'GET', '/pd/api/v1/operators');
          break;
        default:
          process.stderr.write(cmd === undefined ? usage : `flotilla ctl: unknown command ${JSON.stringify(cmd)}\n\n${usage}`);
          return 2;
      }
      process.stdout.write(JSON.stringify(out, null, 1) + '\n');
      return 0;
    } catch (e) {
      process.stderr.write(`flotilla ctl: ${(e as Error).message}\n`);
      return 1;
    }
  },
};
