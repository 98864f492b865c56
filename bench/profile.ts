// npm run bench:profile -- FILE.cpuprofile [--top N]
//
// Summarizes a V8 CPU profile of a Flotilla member (`node --cpu-prof --cpu-prof-dir DIR
// bin/flotilla ...`, stopped with SIGINT): where the main thread's time went, by the functions
// that ran (self time) and by the part of the server they belong to. Each sample counts once,
// for the first part (in the order of `parts`) any frame of its stack belongs to: time inside
// an LMDB commit counts as the commit even when MVCC code called it.
//
// Worked example: a sample whose stack is processImmediate > handleReady > write >
// transactionSync > finishTxn counts as "LMDB commit (fsync)"; one in put > encodeHistory (under
// transactionSync too) counts as "LMDB writes and apply", since the commit frame is not on it.

import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The server's parts, most specific first. */
const parts: Array<[name: string, test: RegExp]> = [
  ['LMDB commit (fsync)', /^finishTxn /],
  ['LMDB writes and apply', /lmdb|transactionSync/],
  ['Raft core', /\/src\/raft\//],
  ['member (Ready loop, proposals, reads)', /\/regions\//],
  ['MVCC reads', /\/src\/mvcc\//],
  ['watch', /\/src\/watch\//],
  ['JSON gateway', /\/src\/api\/gateway\//],
  ['gRPC (grpc-js, protobufjs)', /@grpc|protobufjs|\/long\//],
  ['HTTP/2 and its socket adapter', /http2|js_stream_socket|h2-authority/],
  ['HTTP/1.1 (node:http)', /_http_|http_common/],
  ['sockets and streams', /node:net|stream_base|streams\/|writev/],
  ['garbage collector', /^\(garbage collector\)/],
  ['idle', /^\(idle\)/],
];

function label(f: CallFrame): string {
  const file = f.url.split('/').slice(-2).join('/');
  return `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
}

export function summarize(p: CpuProfile, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const timeOf = new Map<number, number>();
  p.samples.forEach((id, i) => timeOf.set(id, (timeOf.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...timeOf.values()].reduce((a, b) => a + b, 0) || 1;
  const self = new Map<string, number>();
  const byPart = new Map<string, number>();
  for (const [id, t] of timeOf) {
    const leaf = byId.get(id)!;
    self.set(label(leaf.callFrame), (self.get(label(leaf.callFrame)) ?? 0) + t);
    const stack: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      stack.push(`${f.functionName} ${f.url}`);
    }
    const part = parts.find(([, re]) => stack.some((s) => re.test(s)))?.[0] ?? 'other';
    byPart.set(part, (byPart.get(part) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
  const lines = [`${(total / 1e6).toFixed(1)} s of samples`, '', 'by part of the server:'];
  for (const [name, t] of [...byPart].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(t)}  ${name}`);
  lines.push('', `top ${top} functions by self time:`);
  for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(t)}  ${name}`);
  return lines.join('\n');
}

function main(argv: string[]): number {
  const file = argv.find((a) => !a.startsWith('--'));
  const topAt = argv.indexOf('--top');
  const top = topAt >= 0 ? Number(argv[topAt + 1]) : 25;
  if (file === undefined || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: npm run bench:profile -- FILE.cpuprofile [--top N]\n');
    return 2;
  }
  process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) process.exitCode = main(process.argv.slice(2));
