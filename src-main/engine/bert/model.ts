// BertForSequenceClassification in the engine: the parameters of a loaded
// checkpoint in Hugging Face order, optional LoRA on query/key/value, and one
// native call per forward or forward+backward step.
import { loadKernels, type BertStepConfig, type BertStepQuant, type KernelVariant, type StepBackend, type QuantLinearName, type QuantWeight } from '../addon'
import type { LoadedCheckpoint } from './checkpoint'
import { count, numLabels, sequenceClassificationParams, type BertConfig } from './config'

export interface Batch {
  B: number
  T: number
  ids: Int32Array // (B,T)
  tokenTypes: Int32Array // (B,T)
  mask: Uint8Array // (B,T), 1 = real token
  labels?: Int32Array // (B) class ids
  targets?: Float32Array // (B) regression targets, for a single-output head (HF: num_labels == 1, MSE loss)
}

export interface LoraOptions {
  r: number
  alpha: number
  dropout: number
}

export class BertClassifier {
  readonly names: string[]
  readonly params: Float32Array[]
  readonly grads: Float32Array[]
  // Per layer q_A, q_B, k_A, k_B, v_A, v_B (and ao, i, o when 12 per layer); null: no adapter on that module.
  readonly lora: (Float32Array | null)[] | null
  readonly loraGrads: (Float32Array | null)[] | null
  private readonly stepConfig: BertStepConfig
  // Quantized (frozen) weights: their params entries are empty and passed to the kernels as null.
  readonly quantized: Map<string, QuantWeight>
  private readonly nativeParams: (Float32Array | null)[]
  private readonly nativeQuant: BertStepQuant | null
  private frozenToken = 0
  // Optimizer, clipping and other host-side kernels: the CPU variant, also when the step runs on a GPU
  // (looked up once: capabilities() builds a fresh object per call).
  readonly hostBackend: KernelVariant

  constructor(
    readonly config: BertConfig,
    params: Map<string, Float32Array>,
    readonly backend: StepBackend = loadKernels().capabilities().variant as KernelVariant,
    lora: { options: LoraOptions; tensors: (Float32Array | null)[] } | null = null,
    labels = numLabels(config),
    quantized: Map<string, QuantWeight> = new Map(),
  ) {
    this.hostBackend = backend.startsWith('cuda') ? (loadKernels().capabilities().variant as KernelVariant) : (backend as KernelVariant)
    const specs = sequenceClassificationParams(config, labels)
    this.names = specs.map((s) => s.name)
    this.quantized = quantized
    this.params = specs.map((s) => {
      if (quantized.has(s.name)) return new Float32Array(0)
      const p = params.get(s.name)
      if (!p) throw new Error(`parameter ${s.name} is missing`)
      if (p.length !== count(s.shape)) throw new Error(`parameter ${s.name} has ${p.length} values, needs ${count(s.shape)}`)
      return p
    })
    this.grads = specs.map((s) => new Float32Array(quantized.has(s.name) ? 0 : count(s.shape)))
    this.nativeParams = this.params.map((p, i) => (quantized.has(this.names[i]) ? null : p))
    this.nativeQuant = quantized.size ? stepQuant(config.num_hidden_layers, quantized) : null
    this.lora = lora ? lora.tensors : null
    this.loraGrads = lora ? lora.tensors.map((t) => (t ? new Float32Array(t.length) : null)) : null
    this.stepConfig = {
      vocab: config.vocab_size,
      maxPos: config.max_position_embeddings,
      typeVocab: config.type_vocab_size,
      hidden: config.hidden_size,
      heads: config.num_attention_heads,
      intermediate: config.intermediate_size,
      layers: config.num_hidden_layers,
      labels,
      layerNormEps: config.layer_norm_eps,
      loraR: lora?.options.r ?? 0,
      loraScale: lora ? lora.options.alpha / lora.options.r : 1,
      loraDropout: lora?.options.dropout ?? 0,
    }
  }


  static fromCheckpoint(ck: LoadedCheckpoint, backend?: StepBackend): BertClassifier {
    return new BertClassifier(ck.config, ck.params, backend, null, undefined, ck.quant?.weights)
  }

  // For inference only: promises that the fp32 weights no longer change, so the kernels keep them
  // in their GEMM's packed layout between calls. Never call it on a model that will train.
  freezeWeights(): this {
    this.frozenToken = ++frozenTokens
    return this
  }

  // Forward only (evaluation, prediction): logits (B, labels), and the loss when labels are given.
  forward(batch: Batch, opts: { attention?: 'flash' | 'naive' } = {}): { logits: Float32Array; loss: number | null } {
    const logits = new Float32Array(batch.B * this.stepConfig.labels)
    const cfg = { ...this.stepConfig, hiddenDropout: 0, attentionDropout: 0, loraDropout: 0, flashAttention: opts.attention !== 'naive', frozenWeights: this.frozenToken }
    const loss = this.call(batch, cfg, null, null, logits)
    return { logits, loss: batch.labels || batch.targets ? loss : null }
  }

  // Forward + backward in one native call; gradients accumulate into `grads` (the
  // frozen base's entries stay untouched in LoRA training) and `loraGrads`.
  trainStep(
    batch: Batch,
    opts: {
      trainBase: boolean
      alsoTrain?: Set<string> // base parameters trained besides the classifier when trainBase is false (the pooler)
      hiddenDropout?: number
      attentionDropout?: number
      seed?: number
      attention?: 'flash' | 'naive'
      lossScale?: number // multiplies the loss's gradient (fp16 loss scaling); gradients come out scaled by it
    },
  ) {
    if (!batch.labels && !batch.targets) throw new Error('trainStep needs labels or targets')
    if (this.frozenToken) throw new Error('this model was frozen for inference (freezeWeights): it cannot train')
    const logits = new Float32Array(batch.B * this.stepConfig.labels)
    const trained = (name: string) => opts.trainBase || name.startsWith('classifier.') || !!opts.alsoTrain?.has(name)
    const grads = this.grads.map((g, i) => (trained(this.names[i]) && !this.quantized.has(this.names[i]) ? g : null))
    const cfg = {
      ...this.stepConfig,
      hiddenDropout: opts.hiddenDropout ?? 0,
      attentionDropout: opts.attentionDropout ?? 0,
      seed: opts.seed ?? 0,
      flashAttention: opts.attention !== 'naive',
      frozenWeights: 0,
      lossScale: opts.lossScale ?? 1,
    }
    const loss = this.call(batch, cfg, grads, this.loraGrads, logits)
    return { loss, logits }
  }

  zeroGrads(): void {
    for (const g of this.grads) g.fill(0)
    for (const g of this.loraGrads ?? []) g?.fill(0)
  }

  private call(batch: Batch, cfg: BertStepConfig, grads: (Float32Array | null)[] | null, loraGrads: (Float32Array | null)[] | null, logits: Float32Array): number {
    return loadKernels().bertStep(
      this.backend,
      cfg,
      this.nativeParams as Float32Array[],
      this.lora,
      batch.ids,
      batch.tokenTypes,
      batch.mask,
      batch.targets ?? batch.labels ?? null,
      batch.B,
      batch.T,
      grads,
      loraGrads,
      logits,
      this.nativeQuant,
    )
  }
}

let frozenTokens = 0

const LINEAR_SUFFIX: [string, QuantLinearName][] = [
  ['attention.self.query.weight', 'query'],
  ['attention.self.key.weight', 'key'],
  ['attention.self.value.weight', 'value'],
  ['attention.output.dense.weight', 'attentionOutput'],
  ['intermediate.dense.weight', 'intermediate'],
  ['output.dense.weight', 'output'],
]

// HF weight names -> bertStep's per-layer quantized linears and int8 word table.
function stepQuant(layers: number, quantized: Map<string, QuantWeight>): BertStepQuant {
  const out: BertStepQuant = { layers: Array.from({ length: layers }, () => ({})) }
  for (const [name, w] of quantized) {
    if (name === 'bert.embeddings.word_embeddings.weight') {
      if (w.kind !== 'int8') throw new Error(`${name}: only an int8 word table is supported`)
      out.wordEmbeddings = w
      continue
    }
    const m = /^bert\.encoder\.layer\.(\d+)\.(.+)$/.exec(name)
    const slot = m ? LINEAR_SUFFIX.find(([suffix]) => suffix === m[2])?.[1] : undefined
    if (!m || !slot || Number(m[1]) >= layers) throw new Error(`${name}: the kernels cannot run this weight quantized`)
    out.layers[Number(m[1])][slot] = w
  }
  return out
}
