// A job's compute device: 'cpu' runs every step on this CPU's best kernel variant; 'cuda:N'
// runs the model's forward/backward on that GPU (the addon keeps device copies of the arrays
// it is given) while the optimizer and gradient clipping stay on the CPU. Resolving checks
// what the addon found and says why a GPU cannot be used; the memory estimate is checked
// against the GPU's free memory before a job starts, with advice instead of a crash.
import type { GpuDevice, KernelCapabilities } from '../contract/types'
import { loadKernels, type KernelVariant, type StepBackend } from './addon'

export interface ResolvedDevice {
  backend: StepBackend // what bertStep runs on
  hostBackend: KernelVariant // optimizer, clipping and other host-side kernels
  gpu: GpuDevice | null
}

export type Precision = 'fp32' | 'bf16' | 'fp16'

export function resolveDevice(device: string, caps: KernelCapabilities = loadKernels().capabilities(), precision: Precision = 'fp32'): ResolvedDevice {
  const hostBackend = caps.variant as KernelVariant
  if (device === 'cpu') {
    if (precision !== 'fp32') throw new Error(`precision ${precision} needs a GPU (--device cuda:N): the CPU kernels compute in fp32`)
    return { backend: hostBackend, hostBackend, gpu: null }
  }
  const m = /^cuda(?::(\d+))?$/.exec(device)
  if (!m) throw new Error(`device '${device}' is not 'cpu' or 'cuda:N'`)
  const index = Number(m[1] ?? 0)
  const cuda = caps.cuda
  if (!cuda.compiled || cuda.devices.length === 0) throw new Error(`device ${device} cannot be used: ${cuda.reason}. Use --device cpu.`)
  const gpu = cuda.devices.find((d) => d.index === index)
  if (!gpu) throw new Error(`device ${device} does not exist: this machine has ${cuda.devices.length} GPU(s): ${cuda.devices.map((d) => `${d.id} (${d.name})`).join(', ')}`)
  if (precision !== 'fp32' && !cuda.cublas) throw new Error(`precision ${precision} needs cuBLAS on the GPU: ${cuda.cublasError}`)
  return { backend: precision === 'fp32' ? `cuda:${index}` : `cuda:${index}:${precision}`, hostBackend, gpu }
}

export interface StepShape {
  hidden: number
  heads: number
  intermediate: number
  layers: number
  labels: number
  vocab: number
  maxPos: number
  typeVocab: number
}

// Device bytes of one training or inference step at batch B and length T, from the buffers the
// native code allocates (bert_layer.cpp, bert_model.cpp, cuda/backend.cu): the fp32 parameters it
// is given, gradients of the trained ones, LoRA tensors, the activations of every layer and the
// largest per-op workspace.
export function gpuStepBytes(
  s: StepShape,
  B: number,
  T: number,
  o: { paramElems: number; gradElems: number; loraR: number; flash: boolean; quantBytes?: number; quantized?: boolean },
): number {
  const C = s.hidden, FF = s.intermediate, N = B * T, NC = N * C, NF = N * FF, r = Math.max(1, o.loraR)
  const probs = o.flash ? 0 : B * s.heads * T * T
  const deq = o.quantized ? Math.max(FF, C) * C : 0
  const layer = 18 * NC + 2 * NF + 4 * N + B * s.heads * T + 6 * N * r + probs + deq + (12 * NC + 2 * NF + 2 * C)
  const model = 2 * NC + 2 * N + 3 * B * C + 2 * B * s.labels + (3 * NC + 3 * B * C + B * s.labels + 2 * C)
  const workspace = 1.25 * Math.max(2 * NC + N * r, o.flash ? B * s.heads * T : 2 * B * s.heads * T * T, FF * C)
  const floats = o.paramElems + o.gradElems + s.layers * layer + model + workspace
  return 4 * floats + (o.quantBytes ?? 0) + N * 9 // + ids, token types, mask
}

// What the CUDA runtime and cuBLAS take before the first tensor (context, kernels, handles).
export const GPU_CONTEXT_BYTES = 600 * 2 ** 20

// Throws, with what to change, when the step cannot fit in the GPU's free memory (read now,
// from the GPU the job will use). Returns the free bytes, or null when the driver did not say.
export function checkGpuMemory(gpu: GpuDevice, bytes: number, what: string, free = gpu.freeBytes ?? loadKernels().cudaFreeBytes(gpu.index)): number | null {
  if (free === null) return null
  const need = bytes + GPU_CONTEXT_BYTES
  if (need <= free) return free
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`
  throw new Error(
    `${what} needs about ${gib(need)} on ${gpu.id} (${gpu.name}), which has ${gib(free)} free: use a smaller batch size ` +
      '(with gradient accumulation to keep the effective batch), a shorter maximum length, or --device cpu',
  )
}
