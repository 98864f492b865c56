// Runs the scripts in test/raft/testdata/*.txt against a Network (see datadriven.ts).
//
// Commands (ids are node ids; `k=v` arguments are optional):
//   bootstrap voters=1,2,3 [learners=4] [pre-vote] [check-quorum] [election=10] [heartbeat=1]
//   campaign ID | propose ID DATA | tick [N] [nodes=1,2] | pump
//   isolate ID | cut A B | drop [type=app] [from=ID] [to=ID] | recover | crash ID | restart ID
//   transfer-leader FROM TO | read-index ID CTX... (in one turn) | compact ID
//   conf-change ID v4 l5 r3 [transition=joint-explicit]   (v: voter, l: learner, r: remove)
//   status | log ID
// Each command prints the messages sent while it ran (`x` marks one the network dropped).

import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { confChangeToString, decodeConfChange } from '../../src/raft/confchange/codec.js';
import type { ConfChangeSingle, ConfChangeTransition, Entry, Message, MessageType, NodeId } from '../../src/raft/types.js';
import { runScript } from './datadriven.js';
import { Network, text, type BootstrapOptions } from './network.js';

const testdata = fileURLToPath(new URL('../../../test/raft/testdata/', import.meta.url));

function fmtEntry(e: Entry): string {
  const what =
    e.type === 'conf-change'
      ? `conf(${confChangeToString(decodeConfChange(e.data))})`
      : e.data.length === 0
        ? 'empty'
        : JSON.stringify(text(e.data));
  return `${e.term}/${e.index} ${what}`;
}

function fmtMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  const ctx = m.context !== undefined ? ` ctx=${m.context}` : '';
  switch (m.type) {
    case 'app':
      s += ` log=${m.logTerm}/${m.index} commit=${m.commit}`;
      if (m.entries.length > 0) s += ` [${m.entries.map(fmtEntry).join(', ')}]`;
      break;
    case 'app-resp':
      s += m.reject ? ` rejected=${m.index} hint=${m.logTerm}/${m.rejectHint}` : ` index=${m.index}`;
      break;
    case 'vote':
    case 'pre-vote':
      s += ` last=${m.logTerm}/${m.index}${ctx}`;
      break;
    case 'vote-resp':
    case 'pre-vote-resp':
      s += m.reject ? ' rejected' : ' granted';
      break;
    case 'heartbeat':
      s += ` commit=${m.commit}${ctx}`;
      break;
    case 'heartbeat-resp':
      s += ctx;
      break;
    case 'snap': {
      const md = m.snapshot!.metadata;
      s += ` snapshot=${md.term}/${md.index} voters=${md.confState.voters.join(',')}`;
      break;
    }
    case 'prop':
      s += ` [${m.entries.map((e) => (e.type === 'normal' ? JSON.stringify(text(e.data)) : 'conf')).join(', ')}]`;
      break;
    case 'read-index':
    case 'read-index-resp':
      s += ` index=${m.index}${ctx}`;
      break;
    default:
      break;
  }
  return s;
}

function ids(v: string): NodeId[] {
  return v.split(',').map(Number);
}

class Interpreter {
  private net: Network | undefined;

  private get n(): Network {
    if (!this.net) throw new Error('bootstrap first');
    return this.net;
  }

  run(line: string): string {
    const [cmd, ...rest] = line.trim().split(/\s+/);
    const args = rest.filter((a) => !a.includes('='));
    const kv = new Map(rest.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string]));
    const mark = this.net?.sent.length ?? 0;
    const droppedBefore = this.net?.dropped.length ?? 0;
    const out: string[] = [];
    try {
      this.exec(cmd!, args, kv, out);
    } catch (err) {
      out.unshift(`error: ${(err as Error).message}`);
    }
    if (!this.net) return out.join('\n');
    const dropped = new Set(this.net.dropped.slice(droppedBefore));
    const msgs = this.net.sent.slice(mark).map((m) => (dropped.has(m) ? 'x ' : '') + fmtMessage(m));
    return [...msgs, ...out].join('\n');
  }

  private exec(cmd: string, args: string[], kv: Map<string, string>, out: string[]): void {
    const id = Number(args[0]);
    switch (cmd) {
      case 'bootstrap': {
        const opts: BootstrapOptions = {
          preVote: args.includes('pre-vote'),
          checkQuorum: args.includes('check-quorum'),
          electionTicks: Number(kv.get('election') ?? 10),
          heartbeatTicks: Number(kv.get('heartbeat') ?? 1),
          learners: kv.has('learners') ? ids(kv.get('learners')!) : [],
        };
        this.net = Network.bootstrap(ids(kv.get('voters')!), opts);
        return;
      }
      case 'campaign':
        this.n.campaign(id);
        return;
      case 'propose':
        this.n.propose(id, args[1]!);
        this.n.pump();
        return;
      case 'tick': {
        const only = kv.has('nodes') ? ids(kv.get('nodes')!) : undefined;
        this.n.tick(Number(args[0] ?? 1), only);
        return;
      }
      case 'pump':
        this.n.pump();
        return;
      case 'isolate':
        this.n.isolate(id);
        return;
      case 'cut':
        this.n.cut(id, Number(args[1]));
        return;
      case 'drop': {
        const rule: { type?: MessageType; from?: NodeId; to?: NodeId } = {};
        if (kv.has('type')) rule.type = kv.get('type') as MessageType;
        if (kv.has('from')) rule.from = Number(kv.get('from'));
        if (kv.has('to')) rule.to = Number(kv.get('to'));
        this.n.drop(rule);
        return;
      }
      case 'recover':
        this.n.recover();
        return;
      case 'crash':
        this.n.crash(id);
        return;
      case 'restart':
        this.n.restart(id);
        return;
      case 'transfer-leader':
        this.n.node(id).transferLeader(Number(args[1]));
        this.n.pump();
        return;
      case 'read-index':
        for (const ctx of args.slice(1)) this.n.node(id).readIndex(ctx);
        this.n.pump();
        for (const rs of this.n.readStates.get(id)!.splice(0)) out.push(`read-state index=${rs.index} ctx=${rs.requestCtx}`);
        return;
      case 'compact': {
        const snap = this.n.compact(id);
        out.push(`snapshot=${snap.metadata.term}/${snap.metadata.index}`);
        return;
      }
      case 'conf-change': {
        const letters: Record<string, ConfChangeSingle['type']> = { v: 'add-node', l: 'add-learner', r: 'remove-node' };
        const changes = args.slice(1).map((a) => ({ type: letters[a[0]!]!, nodeId: Number(a.slice(1)) }));
        const transition = (kv.get('transition') ?? 'auto') as ConfChangeTransition;
        this.n.proposeConfChange(id, { transition, changes });
        this.n.pump();
        return;
      }
      case 'status':
        for (const [nid, node] of [...this.n.nodes].sort((a, b) => a[0] - b[0])) {
          const st = node.status();
          const cs = st.config;
          let conf = `voters=(${cs.voters.join(' ')})`;
          if (cs.votersOutgoing.length > 0) conf += `&&(${cs.votersOutgoing.join(' ')})`;
          if (cs.learners.length > 0) conf += ` learners=(${cs.learners.join(' ')})`;
          out.push(
            `${nid}: ${st.softState.role} term=${st.hardState.term} lead=${st.softState.lead} commit=${st.hardState.commit} applied=${st.applied} ${conf}`,
          );
        }
        return;
      case 'log':
        for (const e of this.n.log(id)) out.push(fmtEntry(e));
        return;
      default:
        throw new Error(`unknown command ${cmd}`);
    }
  }
}

describe('data-driven scripts (test/raft/testdata)', () => {
  for (const file of readdirSync(testdata).filter((f) => f.endsWith('.txt')).sort()) {
    test(file.replace(/\.txt$/, '').replace(/_/g, ' '), () => {
      const interp = new Interpreter();
      runScript(testdata + file, (c) => interp.run(c));
    });
  }
});
