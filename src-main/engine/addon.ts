// Loads the native-kernels addon once and exposes its typed surface.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { KernelCapabilities } from '../contract/types'
import { packageRoot } from './package-root'

export type KernelVariant = 'ref' | 'scalar' | 'avx2' | 'avx512'
// What bertStep runs on: a CPU variant, or a GPU (engine/device.ts).
export type StepBackend = KernelVariant | `cuda:${number}` | `cuda:${number}:${'bf16' | 'fp16'}`
export type AttentionAlgo = 'flash' | 'naive'
type F32 = Float32Array
type F32OrNull = Float32Array | null

export interface BertStepConfig {
  vocab: number
  maxPos: number
  typeVocab: number
  hidden: number
  heads: number
  intermediate: number
  layers: number
  labels: number
  layerNormEps?: number
  loraR?: number
  loraScale?: number
  loraDropout?: number
  hiddenDropout?: number
  attentionDropout?: number
  seed?: number
  flashAttention?: boolean // default true; false: naive attention (materialized softmax)
  lossScale?: number // the backward starts from this gradient of the loss (fp16 loss scaling); default 1
  frozenWeights?: number // a token: the fp32 weights will not change while it is passed (inference), so the kernels keep them packed
}

// Quantized weights (napi/quant_args.h, formats in native-kernels/include/tbw/quant.h).
export interface Int8Weight {
  kind: 'int8'
  codes: Int8Array // (OC,C)
  scale: Float32Array // (OC)
}
export interface Nf4Weight {
  kind: 'nf4'
  blocks: Uint8Array // 32 bytes per 64 values of the flattened weight
  absmax: Float32Array // one per block, fp32 (double quantization undone)
}
export type QuantWeight = Int8Weight | Nf4Weight
export type QuantLinearName = 'query' | 'key' | 'value' | 'attentionOutput' | 'intermediate' | 'output'
// bertStep's quantized weights: per layer, the linears replaced by quantized ones; an int8 word table.
export interface BertStepQuant {
  layers: Partial<Record<QuantLinearName, QuantWeight>>[]
  wordEmbeddings?: Int8Weight
}

// One event of the kernels' profiler (native-kernels/include/tbw/profiler.h).
export interface ProfilerEvent {
  name: string
  op: string
  startNs: number
  durNs: number
  thread: number // 0: the calling thread; 1..: pool worker
  flops: number
  dims: number[]
}

export interface AdamWHyper {
  lr: number
  beta1?: number
  beta2?: number
  eps?: number
  weightDecay?: number
  step: number
}

// transformers' Adafactor with relative_step=False (an explicit lr).
export interface AdafactorHyper {
  lr: number
  eps1?: number
  eps2?: number
  clipThreshold?: number
  decayRate?: number
  beta1?: number // <= 0: no first moment
  weightDecay?: number
  scaleParameter?: boolean
  step: number
}

export interface SgdHyper {
  lr: number
  momentum?: number
  dampening?: number
  weightDecay?: number
  nesterov?: boolean
  step: number
}

// The native surface (napi/addon.cpp, napi/kernels.cpp). Backward calls accumulate into gradients.
export interface NativeKernels {
  capabilities(): KernelCapabilities
  // Free memory of one GPU, null when unknown; creates that GPU's CUDA context (hundreds of MB).
  cudaFreeBytes(index: number): number | null
  dot(a: F32, b: F32, variant?: KernelVariant): number
  matmulForward(backend: KernelVariant, out: F32, inp: F32, weight: F32, bias: F32OrNull, N: number, C: number, OC: number): void
  matmulBackward(
    backend: KernelVariant,
    dinp: F32OrNull,
    dweight: F32OrNull,
    dbias: F32OrNull,
    dout: F32,
    inp: F32,
    weight: F32,
    N: number,
    C: number,
    OC: number,
  ): void
  attentionForward(
    backend: KernelVariant,
    algo: AttentionAlgo,
    out: F32,
    lse: F32,
    att: F32OrNull,
    q: F32,
    k: F32,
    v: F32,
    mask: Uint8Array | null,
    B: number,
    NH: number,
    T: number,
    HS: number,
  ): void
  attentionBackward(
    backend: KernelVariant,
    algo: AttentionAlgo,
    dq: F32,
    dk: F32,
    dv: F32,
    dout: F32,
    q: F32,
    k: F32,
    v: F32,
    out: F32,
    lse: F32,
    att: F32OrNull,
    mask: Uint8Array | null,
    B: number,
    NH: number,
    T: number,
    HS: number,
  ): void
  attentionExtraBytes(backend: KernelVariant, algo: AttentionAlgo, B: number, NH: number, T: number, HS: number): number
  fmaPeakGflops(variant: Exclude<KernelVariant, 'ref'>, iterations: number): number
  // One BERT step (napi/model.cpp): forward, and backward when grads are given. Returns the loss.
  bertStep(
    backend: StepBackend,
    config: BertStepConfig,
    params: F32[],
    lora: (F32 | null)[] | null,
    ids: Int32Array,
    tokenTypes: Int32Array,
    mask: Uint8Array,
    labels: Int32Array | Float32Array | null, // class ids, or regression targets (config.labels = 1)
    B: number,
    T: number,
    grads: (F32 | null)[] | null,
    loraGrads: (F32 | null)[] | null,
    logitsOut: F32,
    quant?: BertStepQuant | null, // params entries of quantized weights may then be null
  ): number
  // Formats (napi/quant.cpp): one implementation for the engine, tests and kernels.
  quantizeInt8(w: F32, rows: number, cols: number): Int8Weight
  quantizeNf4(w: F32): Nf4Weight
  dequantize(w: QuantWeight, OC: number, C: number): F32
  quantizeAbsmax(absmax: F32): { codes: Int8Array; scales: F32; offset: number }
  dequantizeAbsmax(codes: Int8Array, scales: F32, offset: number): F32
  toHalf(values: F32): Uint16Array
  fromHalf(values: Uint16Array): F32
  toBf16(values: F32): Uint16Array
  fromBf16(values: Uint16Array): F32
  quantLinear(backend: KernelVariant, out: F32, inp: F32, w: QuantWeight, bias: F32OrNull, N: number, C: number, OC: number): void
  // Optimizers (napi/optim.cpp), in place; `step` is the 1-based update number.
  adamwUpdate(backend: KernelVariant, p: F32, g: F32, m: F32, v: F32, h: AdamWHyper): void
  adafactorUpdate(
    backend: KernelVariant,
    p: F32,
    g: F32,
    row: F32OrNull,
    col: F32OrNull,
    v: F32OrNull,
    m: F32OrNull,
    rows: number,
    cols: number,
    h: AdafactorHyper,
  ): void
  sgdUpdate(backend: KernelVariant, p: F32, g: F32, buf: F32OrNull, h: SgdHyper): void
  // Global L2 norm of all gradients; scales them to maxNorm when above it (maxNorm <= 0: only measures).
  clipGradNorm(backend: KernelVariant, grads: F32[], maxNorm: number): number
  profilerStart(): void // clears and enables recording
  profilerStop(): ProfilerEvent[] // disables it and returns the events
  profilerNowNs(): number
  setThreads(n: number): number
  threads(): number
}

let loaded: NativeKernels | null = null

export function addonPath(): string {
  return process.env.TBW_NATIVE_ADDON ?? path.join(packageRoot(), 'native-kernels', 'build', 'Release', 'tbw_kernels.node')
}

export function loadKernels(): NativeKernels {
  if (loaded) return loaded
  const file = addonPath()
  if (!fs.existsSync(file)) {
    throw new Error(`The native kernels are not built (${file} is missing). Run \`npm rebuild\` or \`npm install\`.`)
  }
  const req = createRequire(path.join(packageRoot(), 'package.json'))
  loaded = req(file) as NativeKernels
  return loaded
}

// capabilities() that never throws: a missing addon is reported, not fatal.
export function kernelCapabilities(): KernelCapabilities | { error: string } {
  try {
    return loadKernels().capabilities()
  } catch (err) {
    return { error: (err as Error).message }
  }
}
