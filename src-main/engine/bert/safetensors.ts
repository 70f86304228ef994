// The safetensors format (Hugging Face): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then the
// raw little-endian tensor bytes. Every field is checked before any data is
// trusted; errors name the file and the tensor. Writes are atomic (temp + rename).
import fs from 'node:fs'
import path from 'node:path'

export type Dtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL'

const DTYPE_BYTES: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 }
const MAX_HEADER_BYTES = 100 * 1024 * 1024

export interface Tensor {
  dtype: Dtype
  shape: number[]
  // Floating-point tensors are widened to float32 (the engine computes in fp32);
  // integer tensors keep their bytes in the matching typed array.
  data: Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array
}

export interface SafetensorsFile {
  metadata: Record<string, string>
  tensors: Map<string, Tensor>
}

export class SafetensorsError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`)
  }
}

interface HeaderEntry {
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 31) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

function decode(dtype: Dtype, bytes: Buffer): Tensor['data'] {
  // Copy into a fresh, aligned buffer: offsets in the file need not be aligned.
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  const buf = copy.buffer
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf)
    case 'F64':
      return Float32Array.from(new Float64Array(buf))
    case 'F16':
      return Float32Array.from(new Uint16Array(buf), f16ToF32)
    case 'BF16': {
      const src = new Uint16Array(buf)
      const out = new Uint32Array(src.length)
      for (let i = 0; i < src.length; i++) out[i] = src[i] << 16
      return new Float32Array(out.buffer)
    }
    case 'I64':
      return new BigInt64Array(buf)
    case 'I32':
      return new Int32Array(buf)
    case 'I16':
      return new Int16Array(buf)
    case 'I8':
      return new Int8Array(buf)
    default:
      return copy
  }
}

interface ParsedHeader {
  metadata: Record<string, string>
  entries: [string, HeaderEntry][]
}

function failer(file: string) {
  return (msg: string): never => {
    throw new SafetensorsError(file, msg)
  }
}

function headerLength(first8: Buffer, fileBytes: number, file: string): number {
  const fail = failer(file)
  if (fileBytes < 8) fail(`file is ${fileBytes} bytes, too short for a safetensors header`)
  const headerLen = first8.readBigUInt64LE(0)
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen} is larger than ${MAX_HEADER_BYTES} bytes`)
  const n = Number(headerLen)
  if (8 + n > fileBytes) fail(`header says ${n} bytes but the file has only ${fileBytes - 8} after the length (truncated?)`)
  return n
}

// Checks every header entry against the size of the data section.
function parseHeader(json: Buffer, dataLen: number, file: string): ParsedHeader {
  const fail = failer(file)
  let header: Record<string, unknown>
  try {
    header = JSON.parse(json.toString('utf8')) as Record<string, unknown>
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object')
  const metadata: Record<string, string> = {}
  const entries: [string, HeaderEntry][] = []
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`)
        metadata[k] = v as string
      }
      continue
    }
    const e = value as HeaderEntry
    if (!e || typeof e !== 'object') fail(`tensor ${name}: header entry is not an object`)
    if (!(e.dtype in DTYPE_BYTES)) fail(`tensor ${name}: unsupported dtype ${JSON.stringify(e.dtype)}`)
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor ${name}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`)
    const off = e.data_offsets
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1])
      fail(`tensor ${name}: data_offsets ${JSON.stringify(off)} are not [begin, end]`)
    const expected = e.shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[e.dtype as Dtype]
    if (off[1] - off[0] !== expected)
      fail(`tensor ${name}: shape ${JSON.stringify(e.shape)} of ${e.dtype} needs ${expected} bytes but data_offsets span ${off[1] - off[0]}`)
    if (off[1] > dataLen) fail(`tensor ${name}: data ends at byte ${off[1]} but the file has ${dataLen} data bytes (truncated?)`)
    entries.push([name, e])
  }
  // The data regions must tile the data section exactly: no gaps, no overlaps.
  const sorted = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])
  let cursor = 0
  for (const [name, e] of sorted) {
    if (e.data_offsets[0] !== cursor)
      fail(`tensor ${name}: data starts at ${e.data_offsets[0]}, expected ${cursor} (overlapping or gapped offsets)`)
    cursor = e.data_offsets[1]
  }
  if (cursor !== dataLen) fail(`${dataLen - cursor} trailing bytes after the last tensor`)
  return { metadata, entries }
}

export function parseSafetensors(bytes: Buffer, file = '(buffer)'): SafetensorsFile {
  const n = headerLength(bytes, bytes.length, file)
  const dataStart = 8 + n
  const { metadata, entries } = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, file)
  const tensors = new Map<string, Tensor>()
  for (const [name, e] of entries) {
    const raw = bytes.subarray(dataStart + e.data_offsets[0], dataStart + e.data_offsets[1])
    tensors.set(name, { dtype: e.dtype as Dtype, shape: e.shape, data: decode(e.dtype as Dtype, raw) })
  }
  return { metadata, tensors }
}

// The header alone (names, dtypes, shapes, metadata), without reading the data.
export function readSafetensorsHeader(file: string): { metadata: Record<string, string>; tensors: { name: string; dtype: Dtype; shape: number[] }[] } {
  const fd = fs.openSync(file, 'r')
  try {
    const size = fs.fstatSync(fd).size
    const first8 = Buffer.alloc(8)
    fs.readSync(fd, first8, 0, Math.min(8, size), 0)
    const n = headerLength(first8, size, file)
    const json = Buffer.alloc(n)
    fs.readSync(fd, json, 0, n, 8)
    const { metadata, entries } = parseHeader(json, size - 8 - n, file)
    return { metadata, tensors: entries.map(([name, e]) => ({ name, dtype: e.dtype as Dtype, shape: e.shape })) }
  } finally {
    fs.closeSync(fd)
  }
}

export function readSafetensors(file: string): SafetensorsFile {
  return parseSafetensors(fs.readFileSync(file), file)
}

export interface F32Tensor {
  name: string
  shape: number[]
  data: Float32Array
}

// A tensor of any dtype, given as its raw little-endian elements (F16/BF16 as Uint16Array bits).
export interface TypedTensor {
  name: string
  shape: number[]
  dtype: Dtype
  data: ArrayBufferView
}

export function dtypeBytes(dtype: Dtype): number {
  return DTYPE_BYTES[dtype]
}

// Serializes tensors (float32 unless a dtype is given), in the order given, with an 8-byte aligned header.
export function encodeSafetensors(tensors: (F32Tensor | TypedTensor)[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {}
  if (Object.keys(metadata).length) header.__metadata__ = metadata
  let offset = 0
  for (const t of tensors) {
    const count = t.shape.reduce((a, d) => a * d, 1)
    const dtype: Dtype = 'dtype' in t ? t.dtype : 'F32'
    if (count * DTYPE_BYTES[dtype] !== t.data.byteLength)
      throw new Error(`tensor ${t.name}: shape ${JSON.stringify(t.shape)} of ${dtype} needs ${count * DTYPE_BYTES[dtype]} bytes but data has ${t.data.byteLength}`)
    if (t.name in header) throw new Error(`tensor ${t.name} appears twice`)
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] }
    offset += t.data.byteLength
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8)
  const headerBytes = Buffer.from(json, 'utf8')
  const out = Buffer.alloc(8 + headerBytes.length + offset)
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0)
  headerBytes.copy(out, 8)
  let pos = 8 + headerBytes.length
  for (const t of tensors) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos)
    pos += t.data.byteLength
  }
  return out
}

// Atomic write: a crash mid-write leaves the previous file (or none), never half a file.
export function writeFileAtomic(file: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  fs.writeFileSync(tmp, data)
  fs.renameSync(tmp, file)
}

export function writeSafetensors(file: string, tensors: (F32Tensor | TypedTensor)[], metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata))
}
