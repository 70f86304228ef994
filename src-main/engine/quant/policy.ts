// Which tensors a quantization mode touches and how the rest is stored. Like bitsandbytes, every
// linear layer of the encoder and the pooler is quantized and the classifier head is not; the
// other tensors (embeddings, LayerNorms, biases, the head) are stored in fp16 (bf16 in bf16 mode).
import type { Dtype } from '../bert/safetensors'

export const QUANT_MODES = ['int8', 'nf4', 'fp16', 'bf16'] as const
export type QuantMode = (typeof QUANT_MODES)[number]

export interface QuantizeOptions {
  mode: QuantMode
  doubleQuant: boolean // nf4 only: absmaxes in int8 blocks of 256 (QLoRA's double quantization)
  embeddingsInt8: boolean // the word-embedding table in int8 per row
}

// The quantization_config written into config.json of a quantized folder.
export interface TbwQuantizationConfig {
  quant_method: 'tbw'
  format_version: 1
  mode: QuantMode
  double_quant: boolean
  blocksize: number // nf4 values per absmax
  absmax_blocksize: number // absmaxes per double-quantization scale
  storage: 'F16' | 'BF16' // the tensors that are not quantized
  embeddings: 'int8' | 'F16' | 'BF16'
  quantized_linears: string[] // HF weight names stored as int8 or nf4
}

const LINEAR = /^bert\.encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)\.weight$/
export const POOLER_WEIGHT = 'bert.pooler.dense.weight'
export const WORD_EMBEDDINGS = 'bert.embeddings.word_embeddings.weight'

export function isQuantizableLinear(name: string): boolean {
  return LINEAR.test(name) || name === POOLER_WEIGHT
}

export function storageDtype(mode: QuantMode): 'F16' | 'BF16' {
  return mode === 'bf16' ? 'BF16' : 'F16'
}

export function quantizationConfig(opts: QuantizeOptions, names: string[]): TbwQuantizationConfig {
  const storage = storageDtype(opts.mode)
  const linearMode = opts.mode === 'int8' || opts.mode === 'nf4'
  return {
    quant_method: 'tbw',
    format_version: 1,
    mode: opts.mode,
    double_quant: opts.mode === 'nf4' && opts.doubleQuant,
    blocksize: 64,
    absmax_blocksize: 256,
    storage,
    embeddings: opts.embeddingsInt8 ? 'int8' : storage,
    quantized_linears: linearMode ? names.filter(isQuantizableLinear) : [],
  }
}

// config.json's quantization_config when it is ours, else null (a plain fp32/fp16 folder).
export function readQuantizationConfig(raw: Record<string, unknown>, file: string): TbwQuantizationConfig | null {
  const q = raw.quantization_config as Partial<TbwQuantizationConfig> | undefined
  if (!q || typeof q !== 'object') return null
  if (q.quant_method !== 'tbw') {
    throw new Error(`${file}: quantization_config.quant_method ${JSON.stringify(q.quant_method)} is not supported (only folders written by \`tbw quantize\`, quant_method "tbw")`)
  }
  if (q.format_version !== 1) throw new Error(`${file}: quantization_config.format_version ${JSON.stringify(q.format_version)} is not 1`)
  if (!QUANT_MODES.includes(q.mode as QuantMode)) throw new Error(`${file}: quantization_config.mode ${JSON.stringify(q.mode)} is not one of ${QUANT_MODES.join(', ')}`)
  if (q.blocksize !== 64 || q.absmax_blocksize !== 256) throw new Error(`${file}: quantization_config blocksize must be 64 and absmax_blocksize 256`)
  if (!Array.isArray(q.quantized_linears)) throw new Error(`${file}: quantization_config.quantized_linears must be a list`)
  return q as TbwQuantizationConfig
}

export const DTYPE_LABEL: Partial<Record<Dtype, string>> = { F32: 'fp32', F16: 'fp16', BF16: 'bf16', I8: 'int8', U8: 'nf4' }
