// The shape of every message and enum of our .proto files as plain data, so the JSON gateway can
// print and parse proto3 JSON the way etcd's grpc-gateway does (int64 as strings, enums by name,
// bytes as base64, zero values omitted) without a protobuf library of its own. Built from the
// descriptors @grpc/proto-loader hands out (see grpc-server.ts).

import { assert } from '../util/assert.js';

export type ScalarKind = 'int64' | 'int32' | 'bool' | 'string' | 'bytes' | 'double';

export type FieldKind =
  | { kind: 'scalar'; scalar: ScalarKind }
  | { kind: 'enum'; enumName: string }
  | { kind: 'message'; messageName: string };

export type FieldSchema = FieldKind & {
  /** The proto field name (`range_end`, `ID`): what the gateway prints. */
  name: string;
  /** protoc's lowerCamel JSON name (`rangeEnd`): also accepted on input. */
  jsonName: string;
  repeated: boolean;
};

export interface MessageSchema {
  fullName: string;
  /** In declaration order, which is the order the gateway prints. */
  fields: FieldSchema[];
  /** By proto name and by JSON name. */
  byInputName: Map<string, FieldSchema>;
}

export interface EnumSchema {
  fullName: string;
  /** The name Go gives the enum type, which etcd's gateway quotes in errors (`etcdserverpb.RangeRequest_SortOrder`). */
  goName: string;
  numberOf: Map<string, number>;
  nameOf: Map<number, string>;
}

export interface Schema {
  messages: Map<string, MessageSchema>;
  enums: Map<string, EnumSchema>;
}

// The descriptor objects proto-loader exposes (google.protobuf.DescriptorProto as JSON).
interface FieldDescriptor {
  name: string;
  type: string;
  typeName: string;
  label: string;
}
interface EnumDescriptor {
  name: string;
  value: { name: string; number: number }[];
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  enumType: EnumDescriptor[];
}
export interface TypeDefinition {
  format: string;
  type: object;
}

const scalarOfType: Record<string, ScalarKind> = {
  TYPE_INT64: 'int64',
  TYPE_UINT64: 'int64',
  TYPE_SINT64: 'int64',
  TYPE_FIXED64: 'int64',
  TYPE_SFIXED64: 'int64',
  TYPE_INT32: 'int32',
  TYPE_UINT32: 'int32',
  TYPE_SINT32: 'int32',
  TYPE_FIXED32: 'int32',
  TYPE_SFIXED32: 'int32',
  TYPE_BOOL: 'bool',
  TYPE_STRING: 'string',
  TYPE_BYTES: 'bytes',
  TYPE_DOUBLE: 'double',
  TYPE_FLOAT: 'double',
};

/** protoc's json_name: drop each underscore and upper-case the letter after it. */
export function lowerCamel(name: string): string {
  return name.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
}

function packageOf(fullName: string): string {
  // Package names are lower-case and type names start upper-case in our protos.
  const parts = fullName.split('.');
  const i = parts.findIndex((p) => /^[A-Z]/.test(p));
  return parts.slice(0, i).join('.');
}

/** `definitions`: proto-loader's PackageDefinition entries that are types (services are skipped). */
export function buildSchema(definitions: Record<string, unknown>): Schema {
  const schema: Schema = { messages: new Map(), enums: new Map() };
  const pending: [string, MessageDescriptor][] = [];
  const addEnum = (fullName: string, d: EnumDescriptor) => {
    const pkg = packageOf(fullName);
    schema.enums.set(fullName, {
      fullName,
      goName: `${pkg}.${fullName.slice(pkg.length + 1).replace(/\./g, '_')}`,
      numberOf: new Map(d.value.map((v) => [v.name, v.number])),
      nameOf: new Map(d.value.map((v) => [v.number, v.name])),
    });
  };
  const addMessage = (fullName: string, d: MessageDescriptor) => {
    pending.push([fullName, d]);
    for (const e of d.enumType) addEnum(`${fullName}.${e.name}`, e);
    for (const n of d.nestedType) addMessage(`${fullName}.${n.name}`, n);
  };
  for (const [fullName, def] of Object.entries(definitions)) {
    const d = def as Partial<TypeDefinition>;
    if (d.format === 'Protocol Buffer 3 DescriptorProto') addMessage(fullName, d.type as MessageDescriptor);
    else if (d.format === 'Protocol Buffer 3 EnumDescriptorProto') addEnum(fullName, d.type as EnumDescriptor);
  }
  for (const [fullName, d] of pending) {
    const fields = d.field.map((f) => fieldSchema(schema, definitions, fullName, f));
    const byInputName = new Map<string, FieldSchema>();
    for (const f of fields) {
      byInputName.set(f.name, f);
      byInputName.set(f.jsonName, f);
    }
    schema.messages.set(fullName, { fullName, fields, byInputName });
  }
  return schema;
}

function fieldSchema(
  schema: Schema,
  definitions: Record<string, unknown>,
  scope: string,
  f: FieldDescriptor,
): FieldSchema {
  const base = { name: f.name, jsonName: lowerCamel(f.name), repeated: f.label === 'LABEL_REPEATED' };
  const scalar = scalarOfType[f.type];
  if (scalar) return { ...base, kind: 'scalar', scalar };
  // Type names are as written in the .proto: resolve them the way protoc does, innermost scope first.
  const candidates = [`${scope}.${f.typeName}`, `${packageOf(scope)}.${f.typeName}`, f.typeName];
  if (f.type === 'TYPE_ENUM') {
    const enumName = candidates.find((c) => schema.enums.has(c));
    assert(enumName, `unresolved enum ${f.typeName} in ${scope}`);
    return { ...base, kind: 'enum', enumName };
  }
  assert(f.type === 'TYPE_MESSAGE', `unsupported field type ${f.type} in ${scope}`);
  const messageName = candidates.find((c) => c in definitions || schema.messages.has(c));
  assert(messageName, `unresolved message ${f.typeName} in ${scope}`);
  return { ...base, kind: 'message', messageName };
}
