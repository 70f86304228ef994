// LoRA adapters as PEFT makes them: A ~ kaiming_uniform(a=√5) = U(-1/√C, 1/√C),
// B = 0, scale alpha/r (or alpha/√r with rsLoRA), named as PEFT names them.
// The native kernels fuse LoRA into query/key/value; a module that is not a
// target keeps B = 0 and is not trained, so it adds nothing to the output.
import { seededRandom } from '../data/batching'

import { NATIVE_LORA_TARGETS, type LoraTarget } from './names'

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
  trainable: boolean // false: a non-target module of the fused q/k/v (B stays 0)
}

export function loraScale(s: LoraSettings): number {
  return s.rslora ? s.alpha / Math.sqrt(s.r) : s.alpha / s.r
}

export function checkTargets(targets: LoraTarget[]): void {
  const unsupported = targets.filter((t) => !NATIVE_LORA_TARGETS.includes(t))
  if (unsupported.length)
    throw new Error(`LoRA on ${unsupported.join(', ')} is not in the native kernels yet (they fuse LoRA into query, key and value); choose from ${NATIVE_LORA_TARGETS.join(', ')}`)
  if (!targets.length) throw new Error('LoRA needs at least one target module')
}

// Per layer, in the native order: query A, B, key A, B, value A, B.
export function initLora(layers: number, hidden: number, s: LoraSettings, seed: number): LoraTensor[] {
  checkTargets(s.targets)
  const rand = seededRandom(seed ^ 0x10ea)
  const bound = 1 / Math.sqrt(hidden)
  const out: LoraTensor[] = []
  for (let l = 0; l < layers; l++) {
    for (const m of ['query', 'key', 'value'] as const) {
      const base = `base_model.model.bert.encoder.layer.${l}.attention.self.${m}`
      const trainable = s.targets.includes(m)
      const A = new Float32Array(s.r * hidden)
      if (trainable) for (let i = 0; i < A.length; i++) A[i] = (rand() * 2 - 1) * bound
      out.push({ name: `${base}.lora_A.weight`, shape: [s.r, hidden], data: A, trainable })
      out.push({ name: `${base}.lora_B.weight`, shape: [hidden, s.r], data: new Float32Array(hidden * s.r), trainable })
    }
  }
  return out
}
