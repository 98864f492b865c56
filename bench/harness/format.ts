// Number formats and text tables shared by the terminal output and the Markdown report.

export function fmtInt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US');
}

/** Milliseconds with 2 significant decimals below 10, fewer above: 0.41, 3.2, 18, 1,204. */
export function fmtMs(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  if (x < 1) return x.toFixed(2);
  if (x < 10) return x.toFixed(1);
  return Math.round(x).toLocaleString('en-US');
}

export function fmtRatio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : `${x.toFixed(2)}x`;
}

export function fmtBytes(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = x;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function fmtCores(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2);
}

export type Align = 'l' | 'r';

/** A plain-text table with aligned columns, for the terminal. */
export function textTable(head: string[], rows: string[][], align: Align[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** A Markdown (GitHub) table. */
export function markdownTable(head: string[], rows: string[][], align: Align[]): string[] {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
}
