// A small SVG chart generator (no dependency): grouped horizontal bars, one row per category,
// and line charts over categorical x values (1, 10, 100, 1000 are evenly spaced, as on a log
// axis). Output is a standalone .svg file that GitHub renders inline in the Markdown report.

export interface Series {
  name: string;
  /** One value per category; undefined draws nothing. */
  values: (number | undefined)[];
}

export interface ChartSpec {
  title: string;
  /** The unit of the values axis, e.g. "req/s" or "ms". */
  unit: string;
  categories: string[];
  series: Series[];
}

const palette = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2'];
const font = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A short value label: 12.3k, 4.56, 0.012. */
export function shortNumber(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(x / 1e3).toPrecision(3)}k`;
  if (a >= 100) return Math.round(x).toString();
  if (a >= 1) return x.toPrecision(3);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

/** 1, 2 or 5 times a power of ten: a round step for about `count` gridlines up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return m * pow;
  return 10 * pow;
}

function maxOf(series: Series[]): number {
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== undefined && Number.isFinite(v)) max = Math.max(max, v);
  return max > 0 ? max : 1;
}

function legend(series: Series[], x: number, y: number): string {
  return series
    .map((s, i) => {
      const lx = x + i * 140;
      return `<rect x="${lx}" y="${y - 10}" width="12" height="12" fill="${palette[i % palette.length]}"/><text x="${lx + 18}" y="${y}" font-size="12" ${font}>${esc(s.name)}</text>`;
    })
    .join('');
}

export function barChart(spec: ChartSpec): string {
  const labelW = Math.min(320, 12 + 7 * Math.max(...spec.categories.map((c) => c.length), 4));
  const plotW = 520;
  const barH = 14;
  const rowH = spec.series.length * barH + 10;
  const top = 56;
  const height = top + spec.categories.length * rowH + 36;
  const width = labelW + plotW + 80;
  const max = maxOf(spec.series);
  const step = niceStep(max, 5);
  const axisMax = Math.ceil(max / step) * step;
  const sx = (v: number) => labelW + (v / axisMax) * plotW;
  const out: string[] = [];
  out.push(...chartHead(spec, width, height));
  for (let v = 0; v <= axisMax + step / 2; v += step) {
    const x = sx(v);
    out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${height - 30}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${height - 16}" font-size="11" text-anchor="middle" ${font}>${shortNumber(v)}</text>`);
  }
  out.push(`<text x="${labelW + plotW}" y="${height - 2}" font-size="11" text-anchor="end" ${font}>${esc(spec.unit)}</text>`);
  spec.categories.forEach((cat, ci) => {
    const y0 = top + ci * rowH;
    out.push(`<text x="${labelW - 8}" y="${y0 + rowH / 2}" font-size="12" text-anchor="end" ${font}>${esc(cat)}</text>`);
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === undefined || !Number.isFinite(v)) return;
      const y = y0 + si * barH;
      out.push(`<rect x="${labelW}" y="${y}" width="${Math.max(0.5, sx(v) - labelW).toFixed(1)}" height="${barH - 2}" fill="${palette[si % palette.length]}"><title>${esc(`${s.name}: ${shortNumber(v)} ${spec.unit}`)}</title></rect>`);
      out.push(`<text x="${(sx(v) + 4).toFixed(1)}" y="${y + barH - 4}" font-size="10" ${font}>${shortNumber(v)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export function lineChart(spec: ChartSpec & { xLabel: string }): string {
  const width = 640;
  const height = 360;
  const left = 64;
  const right = 20;
  const top = 56;
  const bottom = 48;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = maxOf(spec.series);
  const step = niceStep(max, 5);
  const axisMax = Math.ceil(max / step) * step;
  const n = spec.categories.length;
  const sx = (i: number) => left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const sy = (v: number) => top + plotH - (v / axisMax) * plotH;
  const out: string[] = [];
  out.push(...chartHead(spec, width, height));
  for (let v = 0; v <= axisMax + step / 2; v += step) {
    const y = sy(v);
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y + 4}" font-size="11" text-anchor="end" ${font}>${shortNumber(v)}</text>`);
  }
  out.push(`<text x="12" y="${top - 8}" font-size="11" ${font}>${esc(spec.unit)}</text>`);
  spec.categories.forEach((cat, i) => {
    out.push(`<text x="${sx(i)}" y="${top + plotH + 18}" font-size="11" text-anchor="middle" ${font}>${esc(cat)}</text>`);
  });
  out.push(`<text x="${left + plotW / 2}" y="${height - 8}" font-size="12" text-anchor="middle" ${font}>${esc(spec.xLabel)}</text>`);
  spec.series.forEach((s, si) => {
    const color = palette[si % palette.length];
    const pts = s.values
      .map((v, i) => (v === undefined || !Number.isFinite(v) ? undefined : `${sx(i).toFixed(1)},${sy(v).toFixed(1)}`))
      .filter((p): p is string => p !== undefined);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    s.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) return;
      out.push(`<circle cx="${sx(i).toFixed(1)}" cy="${sy(v).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name}, ${spec.categories[i]}: ${shortNumber(v)} ${spec.unit}`)}</title></circle>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The opening of every chart: the svg element, a white background, the title and the legend. */
function chartHead(spec: { title: string; series: Parameters<typeof legend>[0] }, width: number, height: number): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold" ${font}>${esc(spec.title)}</text>`,
    legend(spec.series, 10, 42),
  ];
}
