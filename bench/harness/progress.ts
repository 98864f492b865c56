// The live progress line on stderr, only when stderr is a terminal (never in logs or CI):
//
//   [#########...........]  12/96  1 member, fsync · put-random http c=64 · Flotilla 2/3 · 12,345 req/s · 4m10s left
//
// Lines printed through `print` go to stdout with the progress line cleared first and redrawn after.

const barWidth = 20;

export class Progress {
  private done = 0;
  private label = '';
  private detail = '';
  private stepStarted = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private total: number,
    private readonly enabled: boolean = process.stderr.isTTY === true,
  ) {
    if (enabled) {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
  }

  /** Starts the next step (one timed run). */
  step(label: string): void {
    this.label = label;
    this.detail = '';
    this.stepStarted = Date.now();
    this.draw();
  }

  /** What the current step has done so far, e.g. "12,345 req/s". */
  update(detail: string): void {
    this.detail = detail;
  }

  /** Marks the current step finished. */
  finish(): void {
    this.done = Math.min(this.total, this.done + 1);
    this.draw();
  }

  /** More steps than planned (a case that runs extra phases). */
  grow(by: number): void {
    this.total += by;
  }

  print(line: string): void {
    this.clear();
    process.stdout.write(line + '\n');
    this.draw();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  private clear(): void {
    if (this.enabled) process.stderr.write('\r\x1b[2K');
  }

  private draw(): void {
    if (!this.enabled) return;
    const filled = this.total === 0 ? 0 : Math.round((this.done / this.total) * barWidth);
    const bar = '#'.repeat(filled) + '.'.repeat(barWidth - filled);
    const elapsedS = (Date.now() - this.started) / 1000;
    const left = this.done > 0 ? (elapsedS / this.done) * (this.total - this.done) : undefined;
    const stepS = ((Date.now() - this.stepStarted) / 1000).toFixed(0);
    const parts = [`[${bar}] ${String(this.done).padStart(String(this.total).length)}/${this.total}`, this.label, `${stepS}s`];
    if (this.detail) parts.push(this.detail);
    if (left !== undefined) parts.push(`${formatDuration(left)} left`);
    let line = parts.join(' · ');
    const width = process.stderr.columns ?? 120;
    if (line.length > width - 1) line = line.slice(0, width - 1);
    process.stderr.write(`\r\x1b[2K${line}`);
  }
}

export function formatDuration(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
