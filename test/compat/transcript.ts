// A transcript: what a scripted client printed, one block per step, in a text format that is
// recorded from real etcd once (test/compat/fixtures/) and reviewed as a diff when it changes.
//
//   ### get by prefix
//   $ etcdctl get foo --prefix
//   foo
//   bar
//   ! exit 1              (only when the exit code is not 0)
//
// Lines of stderr are kept, prefixed `stderr: `. A block runs until the next `### ` line.

import { readFileSync, writeFileSync } from 'node:fs';

export interface Block {
  /** What the step shows, e.g. `get by prefix`; unique within a transcript. */
  readonly name: string;
  /** The command as it was typed, normalized. */
  readonly command: string;
  readonly lines: readonly string[];
}

export function renderTranscript(blocks: readonly Block[]): string {
  return blocks.map((b) => [`### ${b.name}`, `$ ${b.command}`, ...b.lines].join('\n')).join('\n') + '\n';
}

export function parseTranscript(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let i = 0;
  while (i < lines.length) {
    const head = lines[i]!;
    if (!head.startsWith('### ')) throw new Error(`transcript line ${i + 1}: expected '### <step>', got ${JSON.stringify(head)}`);
    const cmd = lines[i + 1];
    if (cmd === undefined || !cmd.startsWith('$ ')) throw new Error(`transcript line ${i + 2}: expected '$ <command>'`);
    const body: string[] = [];
    i += 2;
    while (i < lines.length && !lines[i]!.startsWith('### ')) body.push(lines[i++]!);
    blocks.push({ name: head.slice(4), command: cmd.slice(2), lines: body });
  }
  return blocks;
}

export function readTranscript(path: string): Block[] {
  return parseTranscript(readFileSync(path, 'utf8'));
}

export function writeTranscript(path: string, blocks: readonly Block[]): void {
  writeFileSync(path, renderTranscript(blocks));
}

/** The output lines of a process as a block body: stdout, stderr lines, a non-zero exit code. */
export function outputLines(out: { stdout: string; stderr: string; code: number | null }, options: { sort?: boolean } = {}): string[] {
  const split = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));
  const stdout = split(out.stdout);
  const stderr = split(out.stderr)
    // The Go client logs its own retries as JSON; how many it makes depends on timing.
    .filter((l) => !l.startsWith('{"level":'))
    .map((l) => `stderr: ${l}`);
  const lines = [...stdout, ...stderr];
  if (options.sort) lines.sort();
  if (out.code !== 0) lines.push(`! exit ${out.code ?? 'by signal'}`);
  return lines;
}
