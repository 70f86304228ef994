// What the wizard shows before a fine-tune starts: trainable and total
// parameters (exact), and rough memory and time estimates (labelled as such):
// memory from the tensors the engine allocates, time from the step's FLOPs at
// a sustained rate measured for these kernels (about 60 GFLOP/s per thread on
// AVX-512, 25 on AVX2).
import type { FinetuneEstimate, ModelInfo } from '../../contract/types'
import type { FinetuneParams } from '../../contract/finetune'
import { glueTask } from '../../engine/data/tasks'
import { loraParameterCount } from '../../engine/train/lora'

const GFLOPS_PER_THREAD: Record<string, number> = { avx512: 60, avx2: 25, scalar: 4, ref: 1 }

export function estimateFinetune(m: ModelInfo, p: FinetuneParams, variant: string, threads: number, meanTokens: number): FinetuneEstimate {
  const C = m.hidden
  const labels = glueTask(p.task).labelNames.length || 1
  const classifier = C * labels + labels
  const pooler = C * C + C
  const base = m.parametersForClassification - (m.labels.length * C + m.labels.length) + classifier
  const trainable =
    p.method === 'full'
      ? base
      : loraParameterCount(m.layers, C, m.intermediate, { r: p.loraR, targets: p.targetModules }) + classifier + (p.trainPooler ? pooler : 0)
  const stepsPerEpoch = Math.max(1, Math.floor(Math.ceil((p.limitTrain ?? 3668) / p.batchSize) / p.gradAccum))
  const totalSteps = p.maxSteps > 0 ? p.maxSteps : Math.ceil(p.epochs * stepsPerEpoch)
  const T = Math.min(p.maxLength, meanTokens)
  const tokens = p.batchSize * T
  // Parameters, their gradients, optimizer state (AdamW 2, SGD with momentum 1, Adafactor ~0), activations.
  const slots = p.optimizer === 'adamw' ? 2 : p.optimizer === 'sgd' && p.momentum > 0 ? 1 : 0.05
  const perLayerActs = tokens * (22 * C + 3 * m.intermediate) + (p.attention === 'naive' ? p.batchSize * m.heads * T * T * 2 : 0)
  const memoryBytes = 4 * (2 * base + slots * trainable + m.layers * perLayerActs)
  // Matmul FLOPs per row of a layer: forward 2·P, backward 2·P for inputs (+2·P for weights when
  // fully trained). Every token goes through each layer but the last, which runs on the [CLS] rows
  // alone (its keys and values fold into the attention).
  const perRow = 4 * C * C + 2 * C * m.intermediate
  const rows = tokens * (m.layers - 1) + p.batchSize
  const flopsPerStep = p.gradAccum * rows * perRow * (p.method === 'full' ? 6 : 4)
  const rate = (GFLOPS_PER_THREAD[variant] ?? 4) * threads * 1e9
  const secondsPerStep = flopsPerStep / rate
  return { trainableParams: trainable, totalParams: base, totalSteps, memoryBytes, secondsPerStep, etaSeconds: secondsPerStep * totalSteps, meanTokens: T }
}
