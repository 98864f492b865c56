// Msgpack bodies over HTTP/1.1 keep-alive: how stores call PD and each other (DESIGN: the
// internal calls beside etcd's API on the client port). One POST, one answer; the caller decides
// what a status means.

import * as http from 'node:http';

export interface MsgpackAnswer {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

export function keepAliveAgent(socketsMax: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: socketsMax });
}

export function postMsgpack(agent: http.Agent, url: URL, payload: Uint8Array, timeoutMs: number): Promise<MsgpackAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-msgpack', 'content-length': payload.length }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
