/**
 * CRC-64/XZ, slicing-by-16, as a WebAssembly function assembled here byte by byte (no toolchain, no install
 * script, nothing downloaded). WebAssembly has native 64-bit integers, so each 16-byte step is two `i64.load`s
 * and sixteen table lookups, where JavaScript must split the register into two 32-bit halves: on this machine
 * about 2.4 GB per CPU-second, 3.5-4x the JavaScript slicing-by-8 it replaces. `crc64.test.ts` checks it bit
 * for bit against tos-crc64-js (the SDK's implementation) and the standard check values.
 *
 * Memory layout of an instance: 16 tables of 256 little-endian u64 at offset 0 (32 KiB), then `INPUT_AREAS`
 * input areas of `INPUT_BYTES` into which callers copy (or read files directly) the bytes to hash.
 */

/**
 * The part of the WebAssembly JS API used here. Node has it globally, but the project compiles without the DOM
 * library, which is where TypeScript declares it.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
  }
}

/** Reflected ECMA-182 polynomial (CRC-64/XZ, "CRC64-ECMA" in TOS headers). */
const POLY = 0xc96c5795d7870f42n;
const SLICES = 16;
const TABLE_BYTES = SLICES * 256 * 8;
/** Bytes one call can hash; 1 MiB keeps a file read per call few and the instance small. */
export const INPUT_BYTES = 1024 * 1024;
/** Input areas: a hashing thread reads the next chunk of a file into one while it hashes the other. */
export const INPUT_AREAS = 2;
const INPUT_OFFSET = TABLE_BYTES;
const PAGE = 65536;
const PAGES = Math.ceil((INPUT_OFFSET + INPUT_AREAS * INPUT_BYTES) / PAGE);

/** T[k][b]: the register contribution of byte b followed by k zero bytes. */
function buildTables(): BigUint64Array {
  const t = new BigUint64Array(SLICES * 256);
  for (let b = 0; b < 256; b++) {
    let c = BigInt(b);
    for (let bit = 0; bit < 8; bit++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
    t[b] = c;
  }
  for (let k = 1; k < SLICES; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = t[(k - 1) * 256 + b];
      t[k * 256 + b] = t[Number(prev & 0xffn)] ^ (prev >> 8n);
    }
  }
  return t;
}

// ---- a minimal WebAssembly encoder ------------------------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 for the small non-negative constants used here. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Buffer.from(text, 'latin1')];
}

const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i64Load: 0x29,
  i64Load8U: 0x31,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  void: 0x40,
} as const;
const I32 = 0x7f;
const I64 = 0x7e;

// Function locals: params (ptr i32, len i32, crc i64), then a, b (i64).
const P = 0;
const LEN = 1;
const CRC = 2;
const A = 3;
const B = 4;

/** T[table][byte `j` of local `v`]: `((v >> 8j) & 0xff) * 8` as an address, then a load at the table's offset. */
function lookup(v: number, j: number, table: number): number[] {
  const shift = j === 0 ? [OP.i64Const, ...sleb(3), OP.i64Shl] : [OP.i64Const, ...sleb(8 * j - 3), OP.i64ShrU];
  return [OP.localGet, v, ...shift, OP.i64Const, ...sleb(0x7f8), OP.i64And, OP.i32WrapI64, OP.i64Load, 3, ...uleb(table * 2048)];
}

function functionBody(): number[] {
  const sixteen: number[] = [];
  // Byte j of the 16-byte block is followed by 15 - j more bytes: table 15 - j.
  const lookups = [...Array.from({ length: 8 }, (_, j) => lookup(A, j, 15 - j)), ...Array.from({ length: 8 }, (_, j) => lookup(B, j, 7 - j))];
  lookups.forEach((l, i) => sixteen.push(...l, ...(i > 0 ? [OP.i64Xor] : [])));
  const advance = (n: number) => [
    OP.localGet, P, OP.i32Const, ...sleb(n), OP.i32Add, OP.localSet, P,
    OP.localGet, LEN, OP.i32Const, ...sleb(n), OP.i32Sub, OP.localSet, LEN,
  ];
  const code = [
    // while (len >= 16) { a = load64(p) ^ crc; b = load64(p + 8); crc = xor of 16 lookups; p += 16; len -= 16 }
    OP.block, OP.void, OP.loop, OP.void,
    OP.localGet, LEN, OP.i32Const, ...sleb(16), OP.i32LtU, OP.brIf, 1,
    OP.localGet, P, OP.i64Load, 3, 0, OP.localGet, CRC, OP.i64Xor, OP.localSet, A,
    OP.localGet, P, OP.i64Load, 3, 8, OP.localSet, B,
    ...sixteen, OP.localSet, CRC,
    ...advance(16),
    OP.br, 0, OP.end, OP.end,
    // while (len > 0) { crc = T0[(crc ^ *p) & 0xff] ^ (crc >> 8); p++; len-- }
    OP.block, OP.void, OP.loop, OP.void,
    OP.localGet, LEN, OP.i32Eqz, OP.brIf, 1,
    OP.localGet, CRC, OP.localGet, P, OP.i64Load8U, 0, 0, OP.i64Xor,
    OP.i64Const, ...sleb(3), OP.i64Shl, OP.i64Const, ...sleb(0x7f8), OP.i64And, OP.i32WrapI64, OP.i64Load, 3, 0,
    OP.localGet, CRC, OP.i64Const, ...sleb(8), OP.i64ShrU, OP.i64Xor, OP.localSet, CRC,
    ...advance(1),
    OP.br, 0, OP.end, OP.end,
    OP.localGet, CRC, OP.end,
  ];
  const locals = [1, 2, I64];
  return [...locals, ...code];
}

/** The module's bytes: one function `crc(ptr, len, register) -> register` and its exported memory. */
export function crc64ModuleBytes(): Uint8Array {
  const body = functionBody();
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, I32, I32, I64, 1, I64]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, ...uleb(PAGES)]),
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('crc'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ];
  return Uint8Array.from(bytes);
}

let compiled: WebAssembly.Module | undefined;
let tables: BigUint64Array | undefined;

/** The compiled module (compiled once per thread; a Module can also be posted to workers). */
export function crc64Module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(crc64ModuleBytes());
  return compiled;
}

/** What a thread needs to make its own instance: the module, the tables to copy in, and the layout. */
export interface Crc64Setup {
  module: WebAssembly.Module;
  tables: BigUint64Array;
  tablesOffset: number;
  inputOffset: number;
  inputBytes: number;
}

export function crc64WorkerSetup(): Crc64Setup {
  tables ??= buildTables();
  return { module: crc64Module(), tables, tablesOffset: 0, inputOffset: INPUT_OFFSET, inputBytes: INPUT_BYTES };
}

/**
 * One instance: its own tables and input area. `update` hashes `input[0, length)` continuing from `register`
 * (the raw register, i.e. the bitwise NOT of a CRC value); callers convert at the edges.
 */
export class Crc64Engine {
  /** Where to put the bytes to hash: copy into it, or `fs.read` straight into it. */
  readonly input: Uint8Array;
  private readonly fn: (ptr: number, len: number, register: bigint) => bigint;

  constructor() {
    const setup = crc64WorkerSetup();
    const instance = new WebAssembly.Instance(setup.module, {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    new BigUint64Array(memory.buffer, setup.tablesOffset, setup.tables.length).set(setup.tables);
    this.input = new Uint8Array(memory.buffer, INPUT_OFFSET, INPUT_BYTES);
    this.fn = instance.exports.crc as (ptr: number, len: number, register: bigint) => bigint;
  }

  update(register: bigint, length: number): bigint {
    return this.fn(INPUT_OFFSET, length, register);
  }
}
