// pytorch_model.bin (torch.save's zip format) read through the restricted
// unpickler: only tensor-rebuild globals are accepted, nothing is executed, and
// every tensor's storage, offset, shape and strides are checked against the
// bytes that are really there. Errors name the file and the tensor.
import fs from 'node:fs'
import { unzipSync } from 'fflate'
import { RefusedGlobalError, unpickle, type Call, type PersistentId } from './pickle-vm'
import type { Dtype, SafetensorsFile, Tensor } from './safetensors'

const STORAGE_DTYPES: Record<string, { dtype: Dtype; bytes: number }> = {
  'torch FloatStorage': { dtype: 'F32', bytes: 4 },
  'torch HalfStorage': { dtype: 'F16', bytes: 2 },
  'torch BFloat16Storage': { dtype: 'BF16', bytes: 2 },
  'torch DoubleStorage': { dtype: 'F64', bytes: 8 },
  'torch LongStorage': { dtype: 'I64', bytes: 8 },
  'torch IntStorage': { dtype: 'I32', bytes: 4 },
  'torch ShortStorage': { dtype: 'I16', bytes: 2 },
  'torch CharStorage': { dtype: 'I8', bytes: 1 },
  'torch ByteStorage': { dtype: 'U8', bytes: 1 },
  'torch BoolStorage': { dtype: 'BOOL', bytes: 1 },
}

function readElement(dtype: Dtype, view: DataView, byte: number): number | bigint {
  switch (dtype) {
    case 'F32': return view.getFloat32(byte, true)
    case 'F64': return view.getFloat64(byte, true)
    case 'F16': {
      const h = view.getUint16(byte, true)
      const e = (h >> 10) & 0x1f, f = h & 0x3ff, s = h & 0x8000 ? -1 : 1
      return e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15)
    }
    case 'BF16': {
      const b = new DataView(new ArrayBuffer(4))
      b.setUint32(0, view.getUint16(byte, true) << 16, true)
      return b.getFloat32(0, true)
    }
    case 'I64': return view.getBigInt64(byte, true)
    case 'I32': return view.getInt32(byte, true)
    case 'I16': return view.getInt16(byte, true)
    case 'I8': return view.getInt8(byte)
    default: return view.getUint8(byte)
  }
}

function allocate(dtype: Dtype, n: number): Tensor['data'] {
  switch (dtype) {
    case 'I64': return new BigInt64Array(n)
    case 'I32': return new Int32Array(n)
    case 'I16': return new Int16Array(n)
    case 'I8': return new Int8Array(n)
    case 'U8':
    case 'BOOL': return new Uint8Array(n)
    default: return new Float32Array(n) // floating point widened to float32
  }
}

export function parseTorchBin(bytes: Uint8Array, file = 'pytorch_model.bin'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new Error(`${file}: ${msg}`)
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    fail('not a zip-format torch checkpoint (legacy pre-1.6 torch.save files are not supported; re-save it or convert it to model.safetensors)')
  }
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(bytes)
  } catch (err) {
    return fail(`the zip archive is damaged (${(err as Error).message})`)
  }
  const pklName = Object.keys(entries).find((n) => n.endsWith('/data.pkl'))
  if (!pklName) return fail('no data.pkl in the archive')
  const prefix = pklName.slice(0, -'data.pkl'.length)
  let root: unknown
  try {
    root = unpickle(entries[pklName])
  } catch (err) {
    if (err instanceof RefusedGlobalError) {
      return fail(`refused: data.pkl ${err.message}. Only tensor-rebuild globals are allowed; the file may be malicious. Use model.safetensors instead.`)
    }
    return fail((err as Error).message)
  }
  if (!(root instanceof Map)) return fail('data.pkl does not hold a state dict (expected a dict of tensors)')

  const tensors = new Map<string, Tensor>()
  for (const [key, value] of root) {
    if (typeof key !== 'string') fail(`state dict key ${String(key)} is not a string`)
    let call = value as Call
    if (call?.kind === 'call' && call.fn === 'torch._utils _rebuild_parameter') call = call.args[0] as Call
    if (call?.kind !== 'call' || call.fn !== 'torch._utils _rebuild_tensor_v2') fail(`tensor ${key}: is not a tensor`)
    const [persid, offset, shape, stride] = call.args as [PersistentId, number, number[], number[]]
    const id = persid?.kind === 'persid' ? (persid.value as unknown[]) : null
    if (!id || id[0] !== 'storage' || id.length < 5) fail(`tensor ${key}: storage reference is malformed`)
    const cls = (id![1] as { name?: string })?.name ?? ''
    const storage = STORAGE_DTYPES[cls] ?? fail(`tensor ${key}: unsupported storage type ${cls}`)
    const data = entries[`${prefix}data/${String(id![2])}`] ?? fail(`tensor ${key}: storage data/${String(id![2])} is missing`)
    const numel = Number(id![4])
    if (data.length < numel * storage.bytes) fail(`tensor ${key}: storage has ${data.length} bytes, needs ${numel * storage.bytes} (truncated?)`)
    if (!Array.isArray(shape) || !Array.isArray(stride) || shape.length !== stride.length || ![...shape, ...stride, offset].every((v) => Number.isSafeInteger(v) && v >= 0)) {
      fail(`tensor ${key}: shape ${JSON.stringify(shape)} / stride ${JSON.stringify(stride)} / offset ${offset} are invalid`)
    }
    const count = shape.reduce((a, d) => a * d, 1)
    const extent = count === 0 ? 0 : offset + shape.reduce((a, d, i) => a + (d - 1) * stride[i], 0) + 1
    if (extent > numel) fail(`tensor ${key}: shape ${JSON.stringify(shape)} with stride ${JSON.stringify(stride)} at offset ${offset} reaches element ${extent} of a ${numel}-element storage`)
    const out = allocate(storage.dtype, count)
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const index = new Array<number>(shape.length).fill(0)
    for (let i = 0; i < count; i++) {
      let element = offset
      for (let d = 0; d < shape.length; d++) element += index[d] * stride[d]
      ;(out as unknown as (number | bigint)[])[i] = readElement(storage.dtype, view, element * storage.bytes) as never
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) break
        index[d] = 0
      }
    }
    tensors.set(key, { dtype: storage.dtype, shape, data: out })
  }
  return { metadata: {}, tensors }
}

export function readTorchBin(file: string): SafetensorsFile {
  return parseTorchBin(fs.readFileSync(file), file)
}
