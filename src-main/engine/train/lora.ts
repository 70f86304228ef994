// LoRA adapters as PEFT makes them: A ~ kaiming_uniform(a=√5) = U(-1/√fan_in, 1/√fan_in),
// B = 0, scale alpha/r (or alpha/√r with rsLoRA), named as PEFT names them.
// The native kernels take 12 slots per layer (A and B of query, key, value,
// attention.output.dense, intermediate.dense, output.dense); a module that is
// not a target has null slots and no adapter.
import { seededRandom } from '../random'
import { LORA_TARGETS, NATIVE_LORA_TARGETS, type LoraTarget } from './names'

export interface LoraSettings {
  r: number
  alpha: number
  dropout: number
  targets: LoraTarget[]
  rslora: boolean
}

export interface LoraTensor {
  name: string // PEFT state-dict name
  shape: number[]
  data: Float32Array
  slot: number // index in the native array
}

export function loraScale(s: LoraSettings): number {
  return s.rslora ? s.alpha / Math.sqrt(s.r) : s.alpha / s.r
}

export function checkTargets(targets: LoraTarget[]): void {
  const unsupported = targets.filter((t) => !NATIVE_LORA_TARGETS.includes(t))
  if (unsupported.length) throw new Error(`LoRA on ${unsupported.join(', ')} is not in the native kernels; choose from ${NATIVE_LORA_TARGETS.join(', ')}`)
  if (!targets.length) throw new Error('LoRA needs at least one target module')
}

// Module path inside a layer and (in, out) features.
function moduleOf(t: LoraTarget, hidden: number, intermediate: number): { path: string; fin: number; fout: number } {
  switch (t) {
    case 'query':
    case 'key':
    case 'value':
      return { path: `attention.self.${t}`, fin: hidden, fout: hidden }
    case 'attention.output.dense':
      return { path: t, fin: hidden, fout: hidden }
    case 'intermediate.dense':
      return { path: t, fin: hidden, fout: intermediate }
    case 'output.dense':
      return { path: t, fin: intermediate, fout: hidden }
  }
}

export function loraParameterCount(layers: number, hidden: number, intermediate: number, s: Pick<LoraSettings, 'r' | 'targets'>): number {
  return layers * s.targets.reduce((n, t) => {
    const m = moduleOf(t, hidden, intermediate)
    return n + s.r * (m.fin + m.fout)
  }, 0)
}

// The adapters, and the native array (12 slots per layer, null where no adapter).
export function initLora(
  layers: number,
  hidden: number,
  intermediate: number,
  s: LoraSettings,
  seed: number,
): { tensors: LoraTensor[]; native: (Float32Array | null)[] } {
  checkTargets(s.targets)
  const rand = seededRandom(seed ^ 0x10ea)
  const native: (Float32Array | null)[] = new Array(12 * layers).fill(null)
  const tensors: LoraTensor[] = []
  for (let l = 0; l < layers; l++) {
    LORA_TARGETS.forEach((t, j) => {
      if (!s.targets.includes(t)) return
      const m = moduleOf(t, hidden, intermediate)
      const base = `base_model.model.bert.encoder.layer.${l}.${m.path}`
      const bound = 1 / Math.sqrt(m.fin)
      const A = new Float32Array(s.r * m.fin)
      for (let i = 0; i < A.length; i++) A[i] = (rand() * 2 - 1) * bound
      const B = new Float32Array(m.fout * s.r)
      const slot = 12 * l + 2 * j
      native[slot] = A
      native[slot + 1] = B
      tensors.push({ name: `${base}.lora_A.weight`, shape: [s.r, m.fin], data: A, slot })
      tensors.push({ name: `${base}.lora_B.weight`, shape: [m.fout, s.r], data: B, slot: slot + 1 })
    })
  }
  return { tensors, native }
}
