// The 2-layer, hidden-64 model of native-kernels/tools/make_fixtures.py
// (make_model, model_batch): its config, parameters, LoRA tensors and batch,
// regenerated bit-exactly from the same seeds.
import { count, parseBertConfig, sequenceClassificationParams } from '../src-main/engine/bert/config'
import type { Batch } from '../src-main/engine/bert/model'
import { fixtureRandomVec } from './fixtures'

export const fixtureConfig = parseBertConfig({
  vocab_size: 50, max_position_embeddings: 16, type_vocab_size: 2, hidden_size: 64, num_attention_heads: 4,
  intermediate_size: 128, num_hidden_layers: 2,
})

// Generator ranges per parameter, as in make_fixtures.py (model_param_specs).
function range(name: string): [number, number] {
  if (name.includes('embeddings.') && !name.includes('LayerNorm')) return [-0.5, 0.5]
  if (name.endsWith('LayerNorm.weight')) return [0.8, 1.2]
  if (name.startsWith('classifier.weight')) return [-0.3, 0.3]
  if (name.endsWith('.bias')) return [-0.1, 0.1]
  if (name.includes('output.dense.weight') && !name.includes('attention')) return [-0.1, 0.1]
  return [-0.15, 0.15]
}

export function fixtureParams(labels = 2): Map<string, Float32Array> {
  const specs = sequenceClassificationParams(fixtureConfig, labels)
  return new Map(specs.map((s, i) => [s.name, fixtureRandomVec(count(s.shape), 3000 + i, ...range(s.name))]))
}

// LoRA r=4 on q/k/v: per layer query A, B, key A, B, value A, B.
export function fixtureLora(): Float32Array[] {
  const lora: Float32Array[] = []
  for (let l = 0; l < 2; l++)
    for (let j = 0; j < 3; j++) {
      const base = 4000 + 10 * l + 2 * j
      lora.push(fixtureRandomVec(4 * 64, base, -0.2, 0.2), fixtureRandomVec(64 * 4, base + 1, -0.2, 0.2))
    }
  return lora
}

export function fixtureBatch(): Batch {
  const B = 3
  const T = 7
  const batch: Batch = { B, T, ids: new Int32Array(B * T), tokenTypes: new Int32Array(B * T), mask: new Uint8Array(B * T), labels: Int32Array.from([1, 0, 1]) }
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      batch.ids[b * T + t] = (b * 7 + t * 3 + 1) % 50
      batch.tokenTypes[b * T + t] = t >= 4 ? 1 : 0
      batch.mask[b * T + t] = b === 2 && t >= 4 ? 0 : 1
    }
  return batch
}

// LoRA r=4 on all six linear layers, in the native order (12 per layer):
// query, key, value, attention.output.dense (64->64), intermediate.dense (64->128), output.dense (128->64).
export function fixtureLoraAll(): Float32Array[] {
  const qkv = fixtureLora()
  const out: Float32Array[] = []
  for (let l = 0; l < 2; l++) {
    out.push(...qkv.slice(6 * l, 6 * l + 6))
    ;[[64, 64], [64, 128], [128, 64]].forEach(([fin, fout], j) => {
      const base = 5000 + 10 * l + 2 * j
      out.push(fixtureRandomVec(4 * fin, base, -0.2, 0.2), fixtureRandomVec(fout * 4, base + 1, -0.2, 0.2))
    })
  }
  return out
}
