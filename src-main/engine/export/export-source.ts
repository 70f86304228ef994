// What an export starts from: a model folder (fp32 or quantized) or a fine-tune checkpoint
// (its trained tensors on top of the base model it names), as fp32 weights with any LoRA
// adapters merged in (W + scale·B·A; on QLoRA's nf4 base, the dequantized base it trained on).
import path from 'node:path'
import { loadKernels } from '../addon'
import { loadCheckpoint, readModelFolder } from '../bert/checkpoint'
import { numLabels, sequenceClassificationParams, type BertConfig } from '../bert/config'
import { readSafetensors } from '../bert/safetensors'
import { loadTrainedTensors, readTrainerState } from '../train/checkpoint-io'
import { loraScale, type LoraSettings } from '../train/lora'
import { buildModel, type TrainSettings } from '../train/trainer'

export interface ExportSource {
  modelDir: string // base model folder: config.json and tokenizer files
  rawConfig: Record<string, unknown>
  config: BertConfig
  labels: number
  params: Map<string, Float32Array> // fp32, HF names, adapters merged
  adapter: { settings: LoraSettings; tensors: { name: string; shape: number[]; data: Float32Array }[]; savedModules: { name: string; shape: number[]; data: Float32Array }[] } | null
  checkpoint: string | null
}

export function loadExportSource(o: { model?: string; checkpoint?: string }): ExportSource {
  if (!o.checkpoint) {
    if (!o.model) throw new Error('give a model folder (--model) or a fine-tune run (--run)')
    const ck = loadCheckpoint(o.model)
    const labels = numLabels(ck.config)
    const params = new Map(ck.params)
    const specs = sequenceClassificationParams(ck.config, labels)
    for (const [name, w] of ck.quant?.weights ?? []) {
      const shape = specs.find((s) => s.name === name)!.shape
      params.set(name, loadKernels().dequantize(w, shape[0], shape[1]))
    }
    const { raw } = readModelFolder(o.model)
    return { modelDir: o.model, rawConfig: raw, config: ck.config, labels, params, adapter: null, checkpoint: null }
  }
  const state = readTrainerState(o.checkpoint)
  const settings = state.settings as unknown as TrainSettings
  const modelDir = o.model ?? state.modelDir
  const trained = readSafetensors(path.join(o.checkpoint, 'trainable.safetensors')).tensors
  const head = trained.get('classifier.weight')
  if (!head) throw new Error(`${o.checkpoint}: trainable.safetensors has no classifier.weight`)
  const labels = head.shape[0]
  const ck = loadCheckpoint(modelDir, { seed: settings.seed, numLabels: labels, newHeadOnMismatch: true })
  const { model, tensors } = buildModel(ck, settings, labels, 'ref')
  loadTrainedTensors(o.checkpoint, tensors)
  const specs = sequenceClassificationParams(ck.config, labels)
  const params = new Map<string, Float32Array>()
  specs.forEach((s, i) => {
    const q = model.quantized.get(s.name)
    params.set(s.name, q ? loadKernels().dequantize(q, s.shape[0], s.shape[1]) : Float32Array.from(model.params[i]))
  })
  const adapters = tensors.filter((t) => t.name.includes('.lora_'))
  if (adapters.length) {
    const scale = loraScale(settings.lora)
    for (const a of adapters.filter((t) => t.name.endsWith('.lora_A.weight'))) {
      const module = a.name.replace(/^base_model\.model\./, '').replace(/\.lora_A\.weight$/, '')
      const b = adapters.find((t) => t.name === a.name.replace('.lora_A.', '.lora_B.'))!
      const w = params.get(`${module}.weight`)!
      const [r, fin] = a.shape
      const fout = b.shape[0]
      for (let o = 0; o < fout; o++)
        for (let j = 0; j < r; j++) {
          const s = scale * b.param[o * r + j]
          if (s === 0) continue
          for (let c = 0; c < fin; c++) w[o * fin + c] += s * a.param[j * fin + c]
        }
    }
  }
  const saved = tensors.filter((t) => !t.name.includes('.lora_'))
  const { raw } = readModelFolder(modelDir)
  return {
    modelDir,
    rawConfig: raw,
    config: ck.config,
    labels,
    params,
    adapter: adapters.length
      ? {
          settings: settings.lora,
          tensors: adapters.map((t) => ({ name: t.name, shape: t.shape, data: t.param })),
          savedModules: saved.map((t) => ({ name: t.name, shape: t.shape, data: t.param })),
        }
      : null,
    checkpoint: o.checkpoint,
  }
}
