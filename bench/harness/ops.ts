// The requests a workload makes, independent of the client that sends them: the gateway client
// (autocannon.ts) turns an Op into etcd's JSON, the gRPC load generator (grpc.ts) into protobuf.

export type Op =
  | { readonly kind: 'put'; readonly key: Buffer; readonly value: Buffer }
  | {
      readonly kind: 'range';
      readonly key: Buffer;
      /** Absent: the one key. */
      readonly rangeEnd?: Buffer;
      readonly limit?: number;
      readonly serializable: boolean;
    }
  | {
      /**
       * Kubernetes' update: `if mod_revision(key) == modRevision then put(key, value) else get(key)`
       * (modRevision 0 matches a key that does not exist).
       */
      readonly kind: 'cas';
      readonly key: Buffer;
      readonly value: Buffer;
      readonly modRevision: number;
    };

/** What a workload may want back from a reply (only `cas` needs it). */
export interface OpResult {
  /** The store's revision after the request (header.revision). */
  revision: number;
  /** For `cas`: whether the compare held. */
  succeeded?: boolean;
  /** For a failed `cas`: the key's current mod_revision (0 if it does not exist). */
  modRevision?: number;
}

/**
 * A source of requests for one run on one target. `next` is called once per request; `done`
 * with the reply, when the workload said it wants replies (`wantsResults`).
 */
export interface OpSource {
  readonly wantsResults: boolean;
  next(): Op;
  done?(op: Op, result: OpResult): void;
}
