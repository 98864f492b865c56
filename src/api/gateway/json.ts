// proto3 JSON as etcd 3.4's grpc-gateway speaks it (gogo jsonpb with OrigName, no defaults):
//
//   out: proto field names; zero values, empty lists and unset messages omitted; int64/uint64 as
//        strings, 32-bit ints as numbers, enums by name, bytes as standard base64; fields in
//        declaration order. E.g. a DELETE event: {"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"8"}}
//   in:  proto or lowerCamel names; int64 as number or string; enums by name or number; unknown
//        fields and nulls ignored. The result has proto-loader's decoded shape (every field set
//        to its default when absent), so the gateway and gRPC hand services the same objects.
//
// NB: oneof members are treated as plain fields. On output that only matters for scalar members
// set to zero, which no response has; on input a service reads the member its request names
// (etcd's Compare reads its operand by `target`), so defaults in the others are harmless.

import { GrpcCode, StatusError } from '../errors.js';
import type { EnumSchema, FieldSchema, MessageSchema, Schema } from '../schema.js';
import type { Msg } from '../service.js';
import { Base64Error, decodeBase64Std } from './base64.js';

export function encodeJson(schema: Schema, typeName: string, msg: Msg): string {
  return encodeMessage(schema, messageSchema(schema, typeName), msg);
}

function messageSchema(schema: Schema, typeName: string): MessageSchema {
  const m = schema.messages.get(typeName);
  if (!m) throw new Error(`no message type ${typeName}`);
  return m;
}

function encodeMessage(schema: Schema, type: MessageSchema, msg: Msg): string {
  const parts: string[] = [];
  for (const f of type.fields) {
    const v = msg[f.name];
    if (v === undefined || v === null) continue;
    if (f.repeated) {
      if (!Array.isArray(v) || v.length === 0) continue;
      parts.push(`${JSON.stringify(f.name)}:[${v.map((x) => encodeValue(schema, f, x, true)).join(',')}]`);
      continue;
    }
    const text = encodeValue(schema, f, v, false);
    if (text !== undefined) parts.push(`${JSON.stringify(f.name)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/** The JSON text of one value; undefined for a zero value that is omitted (never inside lists). */
function encodeValue(schema: Schema, f: FieldSchema, v: unknown, inList: boolean): string | undefined {
  switch (f.kind) {
    case 'message':
      return encodeMessage(schema, messageSchema(schema, f.messageName), v as Msg);
    case 'enum': {
      const e = schema.enums.get(f.enumName)!;
      const n = typeof v === 'number' ? v : (e.numberOf.get(String(v)) ?? 0);
      if (n === 0 && !inList) return undefined;
      const name = e.nameOf.get(n);
      return name === undefined ? String(n) : JSON.stringify(name);
    }
    case 'scalar':
      switch (f.scalar) {
        case 'int64': {
          const s = String(v);
          return s === '0' && !inList ? undefined : JSON.stringify(s);
        }
        case 'int32':
        case 'double': {
          const n = Number(v);
          return n === 0 && !inList ? undefined : String(n);
        }
        case 'bool':
          return v === true ? 'true' : inList ? 'false' : undefined;
        case 'string':
          return v === '' && !inList ? undefined : JSON.stringify(String(v));
        case 'bytes': {
          const b = v as Uint8Array;
          if (b.length === 0 && !inList) return undefined;
          return JSON.stringify(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));
        }
      }
  }
}

/**
 * A copy of `msg` without its zero-valued fields, which protobuf does not encode: what the
 * gateway measures against the request size limits, as etcd measures the encoded request.
 */
export function withoutZeroes(schema: Schema, typeName: string, msg: Msg): Msg {
  const type = messageSchema(schema, typeName);
  const out: Msg = {};
  for (const f of type.fields) {
    const v = msg[f.name];
    if (v === undefined || v === null) continue;
    if (f.repeated) {
      if (Array.isArray(v) && v.length > 0) {
        out[f.name] = f.kind === 'message' ? v.map((x) => withoutZeroes(schema, f.messageName, x as Msg)) : v;
      }
    } else if (f.kind === 'message') {
      out[f.name] = withoutZeroes(schema, f.messageName, v as Msg);
    } else if (encodeValue(schema, f, v, false) !== undefined) {
      out[f.name] = v;
    }
  }
  return out;
}

const badRequest = (message: string) => new StatusError(GrpcCode.InvalidArgument, message);

/** Parses a request body (empty = the empty message) into the decoded shape of `typeName`. */
export function decodeJsonText(schema: Schema, typeName: string, text: string): Msg {
  if (text.trim() === '') return decodeJson(schema, typeName, {});
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return decodeJson(schema, typeName, value);
}

export function decodeJson(schema: Schema, typeName: string, value: unknown): Msg {
  return decodeMessage(schema, messageSchema(schema, typeName), value);
}

function decodeMessage(schema: Schema, type: MessageSchema, value: unknown): Msg {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`json: cannot unmarshal ${jsonKind(value)} into Go value of type map[string]json.RawMessage`);
  }
  const out: Msg = {};
  for (const f of type.fields) out[f.name] = defaultOf(schema, f);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const f = type.byInputName.get(k);
    if (!f || v === null) continue;
    if (f.repeated) {
      if (!Array.isArray(v)) throw badRequest(`json: cannot unmarshal ${jsonKind(v)} into Go value of type []json.RawMessage`);
      out[f.name] = v.map((x) => decodeValue(schema, f, x));
    } else {
      out[f.name] = decodeValue(schema, f, v);
    }
  }
  return out;
}

function defaultOf(schema: Schema, f: FieldSchema): unknown {
  if (f.repeated) return [];
  switch (f.kind) {
    case 'message':
      return null;
    case 'enum':
      return schema.enums.get(f.enumName)!.nameOf.get(0) ?? 0;
    case 'scalar':
      switch (f.scalar) {
        case 'int64':
          return '0';
        case 'int32':
        case 'double':
          return 0;
        case 'bool':
          return false;
        case 'string':
          return '';
        case 'bytes':
          return Buffer.alloc(0);
      }
  }
}

function decodeValue(schema: Schema, f: FieldSchema, v: unknown): unknown {
  switch (f.kind) {
    case 'message':
      return decodeMessage(schema, messageSchema(schema, f.messageName), v);
    case 'enum':
      return decodeEnum(schema.enums.get(f.enumName)!, v);
    case 'scalar':
      switch (f.scalar) {
        case 'int64':
          return integerOf(v, 'int64').toString();
        case 'int32':
          return Number(integerOf(v, 'int32'));
        case 'double':
          if (typeof v === 'number') return v;
          if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
          throw badRequest(`json: cannot unmarshal ${jsonKind(v)} into Go value of type float64`);
        case 'bool':
          if (typeof v === 'boolean') return v;
          throw badRequest(`json: cannot unmarshal ${jsonKind(v)} into Go value of type bool`);
        case 'string':
          if (typeof v === 'string') return v;
          throw badRequest(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
        case 'bytes':
          if (typeof v !== 'string') throw badRequest(`json: cannot unmarshal ${jsonKind(v)} into Go value of type []uint8`);
          try {
            return decodeBase64Std(v);
          } catch (err) {
            if (err instanceof Base64Error) throw badRequest(err.message);
            throw err;
          }
      }
  }
}

/** An integer given as a JSON number or a decimal string (protobuf JSON allows both for int64). */
function integerOf(v: unknown, goType: string): bigint {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return BigInt(v);
    throw badRequest(`json: cannot unmarshal number ${v} into Go value of type ${goType}`);
  }
  if (typeof v === 'string') {
    if (/^-?\d+$/.test(v)) return BigInt(v);
    throw badRequest(`invalid character ${JSON.stringify(v.charAt(0)).replace(/"/g, "'")} looking for beginning of value`);
  }
  throw badRequest(`json: cannot unmarshal ${jsonKind(v)} into Go value of type ${goType}`);
}

function decodeEnum(e: EnumSchema, v: unknown): string | number {
  if (typeof v === 'string') {
    if (e.numberOf.has(v)) return v;
    throw badRequest(`unknown value ${JSON.stringify(v)} for enum ${e.goName}`);
  }
  if (typeof v === 'number' && Number.isInteger(v)) return e.nameOf.get(v) ?? v;
  throw badRequest(`json: cannot unmarshal ${jsonKind(v)} into Go value of type ${e.goName}`);
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return `number ${v}`;
  return typeof v;
}
