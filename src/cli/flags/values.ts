// Parsers for flag values, with etcd's (Go's) rules and error wording where users may know it.
// Each returns the value or `{ error }`, the part after "invalid value "x" for flag --f: ".

export type Parsed<T> = { value: T } | { error: string };

/** Go's strconv.ParseBool, which etcd uses for boolean flags and ETCD_* variables. */
export function parseBool(text: string): Parsed<boolean> {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return { value: true };
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return { value: false };
  return { error: 'not a boolean (true or false)' };
}

/** A non-negative decimal integer that fits a JS number exactly (etcd: uint / uint64). */
export function parseUint(text: string): Parsed<number> {
  if (!/^[0-9]+$/.test(text)) return { error: 'not a non-negative integer' };
  const n = Number(text);
  if (!Number.isSafeInteger(n)) return { error: 'value out of range' };
  return { value: n };
}

/** A decimal integer, maybe negative (etcd: int64). */
export function parseInt64(text: string): Parsed<number> {
  if (!/^[-+]?[0-9]+$/.test(text)) return { error: 'not an integer' };
  const n = Number(text);
  if (!Number.isSafeInteger(n)) return { error: 'value out of range' };
  return { value: n };
}

export interface ParsedUrl {
  /** As written (trimmed): IDs hash these exact strings, as etcd does. */
  text: string;
  scheme: string;
  /** Host without IPv6 brackets. */
  host: string;
  port: number;
}

/**
 * One URL as etcd's types.NewURLs accepts it: a scheme of http, https, unix or unixs, an address
 * of the form host:port, no path. Flotilla then narrows the schemes per flag (see spec.ts).
 * Parsed by hand rather than with WHATWG `URL`, which lowercases and re-encodes hosts: member
 * IDs hash the string as the user wrote it.
 */
export function parseUrl(raw: string): Parsed<ParsedUrl> {
  const text = raw.trim();
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(text);
  if (m === null) return { error: `URL scheme must be http, https, unix, or unixs: ${text}` };
  const scheme = m[1]!.toLowerCase();
  if (!['http', 'https', 'unix', 'unixs'].includes(scheme)) {
    return { error: `URL scheme must be http, https, unix, or unixs: ${text}` };
  }
  const address = m[2]!;
  if (m[3] !== '') return { error: `URL must not contain a path: ${text}` };
  const hp = /^(\[[0-9A-Fa-f:.%\w]+\]|[^:[\]@]*):([0-9]+)$/.exec(address);
  if (hp === null) return { error: `URL address does not have the form "host:port": ${text}` };
  const port = Number(hp[2]);
  if (port > 65535) return { error: `invalid port ${hp[2]}: ${text}` };
  const host = hp[1]!.startsWith('[') ? hp[1]!.slice(1, -1) : hp[1]!;
  return { value: { text, scheme, host, port } };
}

/** A comma-separated URL list (etcd's URLsValue); spaces around items are ignored. */
export function parseUrlList(text: string): Parsed<ParsedUrl[]> {
  const urls: ParsedUrl[] = [];
  for (const item of text.split(',')) {
    const u = parseUrl(item);
    if ('error' in u) return u;
    urls.push(u.value);
  }
  return { value: urls };
}

export interface ClusterMemberUrls {
  name: string;
  peerUrls: ParsedUrl[];
}

/**
 * `--initial-cluster`: `name=url,name=url,...`; a name given twice collects both URLs (a member
 * with two peer URLs). Members keep the order of their first mention.
 */
export function parseInitialCluster(text: string): Parsed<ClusterMemberUrls[]> {
  const members = new Map<string, ParsedUrl[]>();
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim();
    const u = parseUrl(eq < 0 ? '' : item.slice(eq + 1));
    if ('error' in u) return u;
    const urls = members.get(name) ?? [];
    urls.push(u.value);
    members.set(name, urls);
  }
  return { value: [...members].map(([name, peerUrls]) => ({ name, peerUrls })) };
}

const durationUnitsMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration ("1h30m", "1.5h", "300ms", "-5m"), in milliseconds. */
export function parseGoDurationMs(text: string): Parsed<number> {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return { value: 0 };
  if (rest === '') return { error: `time: invalid duration ${JSON.stringify(text)}` };
  let total = 0;
  while (rest !== '') {
    const m = /^([0-9]*(?:\.[0-9]*)?)([a-zµμ]*)/.exec(rest)!;
    const [whole, num, unit] = [m[0], m[1]!, m[2]!];
    if (num === '' || num === '.') return { error: `time: invalid duration ${JSON.stringify(text)}` };
    if (unit === '') return { error: `time: missing unit in duration ${JSON.stringify(text)}` };
    const scale = durationUnitsMs[unit];
    if (scale === undefined) return { error: `time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}` };
    total += Number(num) * scale;
    rest = rest.slice(whole.length);
  }
  return { value: sign * total };
}
