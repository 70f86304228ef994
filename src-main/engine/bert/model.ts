// BertForSequenceClassification in the engine: the parameters of a loaded
// checkpoint in Hugging Face order, optional LoRA on query/key/value, and one
// native call per forward or forward+backward step.
import { loadKernels, type BertStepConfig, type KernelVariant } from '../addon'
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

  constructor(
    readonly config: BertConfig,
    params: Map<string, Float32Array>,
    readonly backend: KernelVariant = loadKernels().capabilities().variant as KernelVariant,
    lora: { options: LoraOptions; tensors: (Float32Array | null)[] } | null = null,
    labels = numLabels(config),
  ) {
    const specs = sequenceClassificationParams(config, labels)
    this.names = specs.map((s) => s.name)
    this.params = specs.map((s) => {
      const p = params.get(s.name)
      if (!p) throw new Error(`parameter ${s.name} is missing`)
      if (p.length !== count(s.shape)) throw new Error(`parameter ${s.name} has ${p.length} values, needs ${count(s.shape)}`)
      return p
    })
    this.grads = specs.map((s) => new Float32Array(count(s.shape)))
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

  static fromCheckpoint(ck: LoadedCheckpoint, backend?: KernelVariant): BertClassifier {
    return new BertClassifier(ck.config, ck.params, backend)
  }

  // Forward only (evaluation, prediction): logits (B, labels), and the loss when labels are given.
  forward(batch: Batch, opts: { attention?: 'flash' | 'naive' } = {}): { logits: Float32Array; loss: number | null } {
    const logits = new Float32Array(batch.B * this.stepConfig.labels)
    const cfg = { ...this.stepConfig, hiddenDropout: 0, attentionDropout: 0, loraDropout: 0, flashAttention: opts.attention !== 'naive' }
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
    },
  ) {
    if (!batch.labels && !batch.targets) throw new Error('trainStep needs labels or targets')
    const logits = new Float32Array(batch.B * this.stepConfig.labels)
    const trained = (name: string) => opts.trainBase || name.startsWith('classifier.') || !!opts.alsoTrain?.has(name)
    const grads = this.grads.map((g, i) => (trained(this.names[i]) ? g : null))
    const cfg = {
      ...this.stepConfig,
      hiddenDropout: opts.hiddenDropout ?? 0,
      attentionDropout: opts.attentionDropout ?? 0,
      seed: opts.seed ?? 0,
      flashAttention: opts.attention !== 'naive',
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
      this.params,
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
    )
  }
}
