// How a gRPC service of ours is written, independent of grpc-js: each method is a function of
// decoded messages (proto-loader's shape: proto field names, int64 as decimal strings, bytes as
// Buffers, enums as names, unset oneof members absent). The gRPC adapter and the JSON gateway
// both call these, so validation and error mapping happen once for both.

import { unimplemented } from './errors.js';

/** A decoded protobuf message. */
export type Msg = Record<string, unknown>;

/**
 * A response that shares most of its encoding with others (a watch event batch sent to many
 * watchers): the gRPC adapter encodes `shared` once (cached by identity) and appends `tail`, the
 * protobuf bytes of the fields this response adds (proto3 allows fields in any order). The JSON
 * gateway ignores it and encodes the message's own fields.
 */
export const sharedEncoding = Symbol('sharedEncoding');
export interface SharedEncoding {
  shared: Msg;
  tail: Uint8Array;
}

export interface CallContext {
  /** A request metadata value (gRPC metadata or the gateway's HTTP header), lower-case name. */
  metadata(name: string): string | undefined;
  /** Size of the encoded request, for etcd's request size limit. */
  readonly requestBytes: number;
}

export interface StreamSink {
  /** Sends one response; ignored once the stream has ended. */
  send(res: Msg): void;
  /** Ends the stream with OK. */
  end(): void;
  /** Ends the stream with the error's status (see errors.ts). */
  fail(err: unknown): void;
}

/** One client stream: the handler's reactions to what the client sends. */
export interface StreamReceiver {
  message(req: Msg): void;
  /** The client half-closed. */
  end(): void;
  /** The stream is gone (client cancel, connection lost, or after end/fail): release resources. */
  close(): void;
}

export type Method =
  | { kind: 'unary'; name: string; handle(req: Msg, ctx: CallContext): Promise<Msg> }
  | { kind: 'serverStream'; name: string; handle(req: Msg, sink: StreamSink, ctx: CallContext): StreamReceiver }
  | { kind: 'bidi'; name: string; open(sink: StreamSink, ctx: CallContext): StreamReceiver };

export interface Service {
  /** Full name, e.g. `etcdserverpb.KV`. */
  name: string;
  /** Methods by name (`Range`); a method of the proto missing here answers Unimplemented. */
  methods: Method[];
}

/** A method of the .proto that no Service serves: every call answers Unimplemented. */
export function unimplementedMethod(m: {
  service: string;
  name: string;
  requestStream: boolean;
  responseStream: boolean;
}): Method {
  const error = () => unimplemented(m.service, m.name);
  const refuse = (sink: StreamSink): StreamReceiver => {
    sink.fail(error());
    return { message() {}, end() {}, close() {} };
  };
  if (m.requestStream) return { kind: 'bidi', name: m.name, open: refuse };
  if (m.responseStream) return { kind: 'serverStream', name: m.name, handle: (_req, sink) => refuse(sink) };
  return {
    kind: 'unary',
    name: m.name,
    handle: async () => {
      throw error();
    },
  };
}
