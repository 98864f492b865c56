// The storage engine's encoding: the project's one msgpackr adapter (src/util/msgpack.ts). Plain
// maps (no record extension), so a value decodes the same in any process and version: numbers
// stay numbers, bigints stay bigints, Uint8Arrays come back as Uint8Arrays (Buffers).

export { pack, unpack } from '../util/msgpack.js';
