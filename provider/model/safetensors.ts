import type { ModelFile, ModelFileSource } from './source';
import type { IssueLog } from './report';

// The safetensors container, header only: 8-byte little-endian header length N, N bytes of JSON, then the data
// buffer that `data_offsets` index into. Rules follow the reference reader (hf-models.md section 2).

/** Bits per element of every safetensors dtype. */
export const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8, F8_E8M0: 8,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
};

/** The reference reader's MAX_HEADER_SIZE; real LLM headers are tens of KB. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte offsets in the data buffer, [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  headerLength: number;
  tensors: TensorInfo[];
  metadata: Record<string, string>;
}

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function tensorBytes(t: { dtype: string; shape: readonly number[] }): number {
  const bits = DTYPE_BITS[t.dtype];
  if (bits === undefined) throw new Error(`tensor dtype: expected one of ${Object.keys(DTYPE_BITS).join(', ')}, found ${t.dtype}`);
  return (elementCount(t.shape) * bits) / 8;
}

/** Encodes a header for tensors laid out contiguously in the given order; the header is space-padded to 8 bytes as writers do. */
export function encodeSafetensorsHeader(tensors: readonly TensorSpec[], metadata: Record<string, string> = { format: 'pt' }): { prefix: Buffer; dataBytes: number } {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const end = offset + tensorBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const body = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8 + body.length);
  prefix.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(prefix, 8);
  return { prefix, dataBytes: offset };
}

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads and checks one safetensors file's header (two small range reads). Structural problems go to `log`;
 * the parsed header is returned when it could be read at all, so later checks can still look at names and shapes.
 */
export async function readSafetensorsHeader(source: ModelFileSource, file: ModelFile, log: IssueLog): Promise<SafetensorsHeader | undefined> {
  const f = file.path;
  if (file.size < 8) {
    log.error('SafetensorsHeaderLength', f, `${f}: expected at least the 8-byte header length, found a ${file.size}-byte file`);
    return undefined;
  }
  const lenBuf = await source.read(f, 0, 8);
  const n = Number(lenBuf.readBigUInt64LE(0));
  if (n === 0 || n > MAX_HEADER_BYTES || 8 + n > file.size) {
    log.error(
      'SafetensorsHeaderLength',
      f,
      `${f}: expected a header length between 1 and ${Math.min(MAX_HEADER_BYTES, file.size - 8)} bytes (file is ${file.size} bytes), found ${n}; this is not a safetensors file or it is truncated`,
    );
    return undefined;
  }
  const raw = await source.read(f, 8, n);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    log.error('SafetensorsHeaderJson', f, `${f}: expected a JSON object in the ${n}-byte header, found invalid JSON (${(e as Error).message})`);
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    log.error('SafetensorsHeaderJson', f, `${f}: expected a JSON object in the header, found ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
    return undefined;
  }

  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  let entriesOk = true;
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          log.error('SafetensorsHeaderJson', f, `${f}: expected string values in __metadata__, found ${typeof v} for "${k}"`);
          entriesOk = false;
        } else metadata[k] = v;
      }
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const dtype = entry?.dtype;
    const shape = entry?.shape;
    const offsets = entry?.data_offsets;
    if (typeof dtype !== 'string' || DTYPE_BITS[dtype] === undefined) {
      log.error('SafetensorsTensorEntry', f, `${f}: tensor ${name}: expected dtype one of ${Object.keys(DTYPE_BITS).join('/')}, found ${JSON.stringify(dtype)}`);
      entriesOk = false;
      continue;
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      log.error('SafetensorsTensorEntry', f, `${f}: tensor ${name}: expected shape as a list of non-negative integers, found ${JSON.stringify(shape)}`);
      entriesOk = false;
      continue;
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt) || offsets[0] > offsets[1]) {
      log.error('SafetensorsTensorEntry', f, `${f}: tensor ${name}: expected data_offsets [begin, end] with begin <= end, found ${JSON.stringify(offsets)}`);
      entriesOk = false;
      continue;
    }
    const t: TensorInfo = { name, dtype, shape: shape as number[], begin: offsets[0] as number, end: offsets[1] as number };
    const want = tensorBytes(t);
    if (t.end - t.begin !== want) {
      log.error(
        'SafetensorsTensorSize',
        f,
        `${f}: tensor ${name}: expected ${want} bytes for ${dtype} ${JSON.stringify(t.shape)}, found data_offsets spanning ${t.end - t.begin} bytes`,
      );
      entriesOk = false;
    }
    tensors.push(t);
  }

  const byOffset = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: TensorInfo | undefined;
  for (const t of byOffset) {
    if (t.begin !== cursor) {
      const what = t.begin < cursor ? `overlaps ${prev?.name} (which ends at ${cursor})` : `leaves a gap after ${prev ? `${prev.name} (which ends at ${cursor})` : 'the start of the data buffer'}`;
      log.error('SafetensorsOffsets', f, `${f}: tensor ${t.name}: expected data to start at byte ${cursor} (contiguous, non-overlapping), found ${t.begin}, which ${what}`);
      entriesOk = false;
    }
    cursor = Math.max(cursor, t.end);
    prev = t;
  }
  const expectedSize = 8 + n + cursor;
  if (entriesOk && expectedSize !== file.size) {
    log.error(
      'SafetensorsFileSize',
      f,
      `${f}: expected ${expectedSize} bytes (8 + ${n} header + ${cursor} data), found ${file.size} bytes (${file.size < expectedSize ? 'truncated' : 'trailing bytes'})`,
    );
  }
  tensors.sort((a, b) => a.begin - b.begin);
  return { file: f, headerLength: n, tensors, metadata };
}
