// Runs a script of etcdctl commands against a local cluster and returns the normalized transcript.
//
// A script is a list of steps. Most run one command and record what it printed; a few start a
// command in the background (watch, lock, elect), run other commands while it waits, and record
// its output when it is stopped (SIGINT, as a user's Ctrl-C) or when it exits by itself.
// Values can be captured from a command's raw output (a lease ID, a revision) for later steps.

import { spawn, type ChildProcess } from 'node:child_process';
import { cleanEnv, trackChild, type Cluster } from '../support/servers.js';
import { identitiesFromMemberList, Normalizer } from './normalize.js';
import { outputLines, type Block } from './transcript.js';

export type Vars = Readonly<Record<string, string>>;
type Args = readonly string[] | ((vars: Vars) => readonly string[]);
/** Which member's client URL the command is given: a member index, or every member. */
type On = number | 'all';

export type Step =
  /** Runs a command to completion and records its output (sorted when the order is not defined). */
  | { readonly run: string; readonly args: Args; readonly stdin?: string; readonly on?: On; readonly sort?: boolean; readonly capture?: Readonly<Record<string, RegExp>> }
  /** Starts a command in the background; waits until its stdout matches `until` (if given), then `settleMs`. */
  | { readonly start: string; readonly args: Args; readonly on?: On; readonly until?: RegExp; readonly settleMs?: number }
  /** Waits until background `id`'s stdout matches `until`, interrupts it and records its output. */
  | { readonly stop: string; readonly name: string; readonly until?: RegExp }
  /** Waits until background `id` exits by itself and records its output and exit code. */
  | { readonly wait: string; readonly name: string }
  /** Runs code that records nothing, e.g. making member 0 the leader so that outputs are stable. */
  | { readonly setup: string; readonly action: (ctx: ScriptContext) => Promise<void> };

export interface Script {
  readonly name: string;
  readonly members: 1 | 3;
  /** Key prefixes that end in a lease ID (lock and election names). */
  readonly leaseKeyPrefixes: readonly string[];
  readonly steps: readonly Step[];
}

export interface ScriptContext {
  readonly cluster: Cluster;
  etcdctl(args: readonly string[], options?: { on?: On; stdin?: string }): Promise<Output>;
}

export interface Output {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** `ETCDCTL` overrides the etcdctl found on PATH. */
const etcdctlBin = process.env.ETCDCTL ?? 'etcdctl';
const commandTimeoutMs = 20_000;
const waitTimeoutMs = 20_000;

function endpointsFlag(cluster: Cluster, on: On): string {
  return `--endpoints=${on === 'all' ? cluster.clientUrls.join(',') : cluster.clientUrls[on]}`;
}

function spawnEtcdctl(cluster: Cluster, args: readonly string[], on: On): ChildProcess {
  const child = spawn(etcdctlBin, [endpointsFlag(cluster, on), '--dial-timeout=5s', '--command-timeout=10s', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: cleanEnv({ ETCDCTL_API: '3' }),
  });
  trackChild(child);
  return child;
}

class Background {
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(readonly command: string, readonly child: ChildProcess) {
    child.stdout!.on('data', (c: Buffer) => {
      this.stdout += c.toString('utf8');
      this.wake();
    });
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr += c.toString('utf8');
    });
    this.exited = new Promise((resolve) => {
      child.once('error', () => resolve(null));
      child.once('exit', (code) => resolve(code));
    });
    void this.exited.then(() => this.wake());
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get done(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Resolves when stdout matches `re`; rejects when the process exits first or after `timeoutMs`. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.stdout)) {
      if (this.done) throw new Error(`'${this.command}' exited before printing ${re}:\n${this.stdout}${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`'${this.command}' did not print ${re} within ${timeoutMs} ms; printed:\n${this.stdout}${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async exit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const code = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(`'${this.command}' did not exit within ${timeoutMs} ms; printed:\n${this.stdout}${this.stderr}`);
    }
    return code;
  }
}

async function runToEnd(cluster: Cluster, args: readonly string[], on: On, stdin?: string): Promise<Output> {
  const bg = new Background(`etcdctl ${args.join(' ')}`, spawnEtcdctl(cluster, args, on));
  bg.child.stdin!.end(stdin ?? '');
  const code = await bg.exit(commandTimeoutMs);
  return { stdout: bg.stdout, stderr: bg.stderr, code };
}

/** The command as shown in the transcript: which member it went to, unless member 0. */
function shown(args: readonly string[], on: On): string {
  const where = on === 0 ? [] : [on === 'all' ? '--endpoints=<all>' : `--endpoints=<client:m${on}>`];
  return ['etcdctl', ...where, ...args].map((a) => (/^[\w./:=<>,-]*$/.test(a) && a !== '' ? a : JSON.stringify(a))).join(' ');
}

/** Learns the cluster's IDs (via etcdctl member list) for the normalizer. */
export async function normalizerFor(cluster: Cluster, leaseKeyPrefixes: readonly string[]): Promise<Normalizer> {
  const out = await runToEnd(cluster, ['member', 'list', '-w', 'json'], 0);
  if (out.code !== 0) throw new Error(`etcdctl member list failed: ${out.stderr}`);
  const ids = identitiesFromMemberList(out.stdout);
  return new Normalizer({ ...ids, leaseKeyPrefixes });
}

/** Runs `script` on `cluster` and returns the normalized transcript. Throws if a step cannot finish. */
export async function runScript(cluster: Cluster, script: Script): Promise<Block[]> {
  const norm = await normalizerFor(cluster, script.leaseKeyPrefixes);
  const vars: Record<string, string> = {};
  const background = new Map<string, { bg: Background; args: readonly string[]; on: On }>();
  const blocks: Block[] = [];
  const ctx: ScriptContext = {
    cluster,
    etcdctl: (args, options = {}) => runToEnd(cluster, args, options.on ?? 0, options.stdin),
  };
  const argsOf = (a: Args): readonly string[] => (typeof a === 'function' ? a(vars) : a);
  const normalized = (out: Output) => outputLines(out).map((l) => norm.normalize(l));
  /** `lines` are normalized already, in output order, so that lease IDs are numbered as they appear. */
  const record = (name: string, args: readonly string[], on: On, lines: string[], stdin?: string) => {
    const stdinLines = stdin === undefined ? [] : norm.normalize(stdin.replace(/\n$/, '')).split('\n').map((l) => `< ${l}`);
    blocks.push({ name, command: norm.normalize(shown(args, on)), lines: [...stdinLines, ...lines] });
  };
  try {
    for (const step of script.steps) {
      if ('run' in step) {
        const args = argsOf(step.args);
        const on = step.on ?? 0;
        const out = await runToEnd(cluster, args, on, step.stdin);
        for (const [name, re] of Object.entries(step.capture ?? {})) {
          const m = re.exec(out.stdout);
          if (m === null || m[1] === undefined) throw new Error(`step '${step.run}': ${re} not found in:\n${out.stdout}${out.stderr}`);
          vars[name] = m[1];
        }
        // Normalize (and so learn lease IDs) in output order before sorting.
        const lines = normalized(out);
        if (step.sort) lines.sort();
        record(step.run, args, on, lines, step.stdin);
      } else if ('start' in step) {
        const args = argsOf(step.args);
        const on = step.on ?? 0;
        const bg = new Background(`etcdctl ${args.join(' ')}`, spawnEtcdctl(cluster, args, on));
        bg.child.stdin!.end();
        background.set(step.start, { bg, args, on });
        if (step.until) await bg.waitFor(step.until, waitTimeoutMs);
        // NB: a pause, not a check: gives a background watch time to be registered before the
        // writes it should see live. Its output does not depend on it (the watch starts at a
        // given revision), so a slow machine makes the watch catch up instead of failing.
        if (step.settleMs) await new Promise((r) => setTimeout(r, step.settleMs));
      } else if ('stop' in step) {
        const b = background.get(step.stop);
        if (b === undefined) throw new Error(`step '${step.name}': no background command '${step.stop}'`);
        if (step.until) await b.bg.waitFor(step.until, waitTimeoutMs);
        b.bg.child.kill('SIGINT');
        await b.bg.exit(waitTimeoutMs);
        background.delete(step.stop);
        // Killed by us: its exit code says nothing about the server.
        record(step.name, b.args, b.on, normalized({ stdout: b.bg.stdout, stderr: b.bg.stderr, code: 0 }));
      } else if ('wait' in step) {
        const b = background.get(step.wait);
        if (b === undefined) throw new Error(`step '${step.name}': no background command '${step.wait}'`);
        const code = await b.bg.exit(waitTimeoutMs);
        background.delete(step.wait);
        record(step.name, b.args, b.on, normalized({ stdout: b.bg.stdout, stderr: b.bg.stderr, code }));
      } else {
        await step.action(ctx);
      }
    }
  } finally {
    for (const { bg } of background.values()) bg.child.kill('SIGKILL');
  }
  return blocks;
}
