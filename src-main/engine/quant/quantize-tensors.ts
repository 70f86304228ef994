// One parameter set -> the tensors of a quantized safetensors file, and back: the quantized
// weights the native kernels run (tbw/quant.h layouts) from a file's tensors.
//
// Names: a quantized linear keeps its HF name for its codes and adds suffixes:
//   int8: NAME (I8, [OC, C]), NAME.scale (F32, [OC])
//   nf4:  NAME (U8, [blocks·32]), NAME.absmax (F32, [blocks]), or with double quantization
//         NAME.absmax (I8, [blocks]), NAME.absmax_scale (F32, [ceil(blocks/256)]), NAME.absmax_offset (F32, [1])
//   int8 word embeddings: as int8 linears.
import { loadKernels, type Int8Weight, type Nf4Weight, type QuantWeight } from '../addon'
import type { Tensor, TypedTensor } from '../bert/safetensors'
import { WORD_EMBEDDINGS, type TbwQuantizationConfig } from './policy'

export interface ParamSpec {
  name: string
  shape: number[]
}

export function quantizeTensors(specs: ParamSpec[], params: Map<string, Float32Array>, qc: TbwQuantizationConfig): TypedTensor[] {
  const k = loadKernels()
  const linears = new Set(qc.quantized_linears)
  const out: TypedTensor[] = []
  for (const { name, shape } of specs) {
    const w = params.get(name)
    if (!w) throw new Error(`parameter ${name} is missing`)
    const int8 = (linears.has(name) && qc.mode === 'int8') || (name === WORD_EMBEDDINGS && qc.embeddings === 'int8')
    if (int8) {
      const q = k.quantizeInt8(w, shape[0], shape[1])
      out.push({ name, dtype: 'I8', shape, data: q.codes }, { name: `${name}.scale`, dtype: 'F32', shape: [shape[0]], data: q.scale })
    } else if (linears.has(name) && qc.mode === 'nf4') {
      const q = k.quantizeNf4(w)
      out.push({ name, dtype: 'U8', shape: [q.blocks.length], data: q.blocks })
      if (qc.double_quant) {
        const dq = k.quantizeAbsmax(q.absmax)
        out.push(
          { name: `${name}.absmax`, dtype: 'I8', shape: [dq.codes.length], data: dq.codes },
          { name: `${name}.absmax_scale`, dtype: 'F32', shape: [dq.scales.length], data: dq.scales },
          { name: `${name}.absmax_offset`, dtype: 'F32', shape: [1], data: new Float32Array([dq.offset]) },
        )
      } else {
        out.push({ name: `${name}.absmax`, dtype: 'F32', shape: [q.absmax.length], data: q.absmax })
      }
    } else {
      const bits = qc.storage === 'BF16' ? k.toBf16(w) : k.toHalf(w)
      out.push({ name, dtype: qc.storage, shape, data: bits })
    }
  }
  return out
}

// The quantized weight stored under `name` (removing its tensors from `tensors`), or null when
// `name` is not quantized in this file.
export function takeQuantized(tensors: Map<string, Tensor>, spec: ParamSpec, qc: TbwQuantizationConfig, file: string): QuantWeight | null {
  const { name, shape } = spec
  const linear = qc.quantized_linears.includes(name)
  const int8 = (linear && qc.mode === 'int8') || (name === WORD_EMBEDDINGS && qc.embeddings === 'int8')
  if (!int8 && !(linear && qc.mode === 'nf4')) return null
  const take = (n: string, dtype: string, length: number) => {
    const t = tensors.get(n)
    if (!t) throw new Error(`${file}: missing tensor ${n} (quantized ${qc.mode} weight)`)
    if (t.dtype !== dtype || t.data.length !== length) throw new Error(`${file}: tensor ${n} must be ${dtype} with ${length} values, found ${t.dtype} with ${t.data.length}`)
    tensors.delete(n)
    return t.data
  }
  const [OC, C] = shape
  if (int8) {
    return { kind: 'int8', codes: take(name, 'I8', OC * C) as Int8Array, scale: take(`${name}.scale`, 'F32', OC) as Float32Array } satisfies Int8Weight
  }
  const blocks = Math.ceil((OC * C) / qc.blocksize)
  const packed = take(name, 'U8', blocks * 32) as Uint8Array
  let absmax: Float32Array
  if (qc.double_quant) {
    const codes = take(`${name}.absmax`, 'I8', blocks) as Int8Array
    const scales = take(`${name}.absmax_scale`, 'F32', Math.ceil(blocks / qc.absmax_blocksize)) as Float32Array
    const offset = take(`${name}.absmax_offset`, 'F32', 1) as Float32Array
    absmax = loadKernels().dequantizeAbsmax(codes, scales, offset[0])
  } else {
    absmax = take(`${name}.absmax`, 'F32', blocks) as Float32Array
  }
  return { kind: 'nf4', blocks: packed, absmax } satisfies Nf4Weight
}

// Bytes a quantized weight holds in memory.
export function quantWeightBytes(w: QuantWeight): number {
  return w.kind === 'int8' ? w.codes.byteLength + w.scale.byteLength : w.blocks.byteLength + w.absmax.byteLength
}
