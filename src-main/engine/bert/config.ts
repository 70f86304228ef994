// BERT config.json as Hugging Face writes it, and the parameter list of
// BertForSequenceClassification that follows from it (HF names and shapes).
import { z } from 'zod'

// Unknown keys are kept (configs carry many: TinyBERT's `cell`, `emb_size`, …).
export const BertConfigSchema = z.looseObject({
  vocab_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  hidden_act: z.string().default('gelu'),
  max_position_embeddings: z.number().int().positive().default(512),
  type_vocab_size: z.number().int().positive().default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  hidden_dropout_prob: z.number().min(0).max(1).default(0.1),
  attention_probs_dropout_prob: z.number().min(0).max(1).default(0.1),
  initializer_range: z.number().positive().default(0.02),
  id2label: z.record(z.string(), z.string()).optional(),
  num_labels: z.number().int().positive().optional(),
})
export type BertConfig = z.output<typeof BertConfigSchema>

export function parseBertConfig(json: unknown, file = 'config.json'): BertConfig {
  const parsed = BertConfigSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  const c = parsed.data
  if (c.hidden_size % c.num_attention_heads !== 0)
    throw new Error(`${file}: hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`)
  if (c.hidden_act !== 'gelu') throw new Error(`${file}: hidden_act ${JSON.stringify(c.hidden_act)} is not supported (only "gelu", the erf form)`)
  return c
}

// HF's rule: num_labels from id2label when present, else the default 2.
export function numLabels(c: BertConfig): number {
  return c.id2label ? Object.keys(c.id2label).length : (c.num_labels ?? 2)
}

export type ParamKind = 'weight' | 'bias' | 'layernorm_weight' | 'layernorm_bias' | 'embedding'

export interface ParamSpec {
  name: string
  shape: number[]
  kind: ParamKind
}

// BertForSequenceClassification parameters in Hugging Face order and naming.
export function sequenceClassificationParams(c: BertConfig, labels = numLabels(c)): ParamSpec[] {
  const C = c.hidden_size
  const out: ParamSpec[] = []
  const linear = (prefix: string, outDim: number, inDim: number) => {
    out.push({ name: `${prefix}.weight`, shape: [outDim, inDim], kind: 'weight' })
    out.push({ name: `${prefix}.bias`, shape: [outDim], kind: 'bias' })
  }
  const layerNorm = (prefix: string) => {
    out.push({ name: `${prefix}.weight`, shape: [C], kind: 'layernorm_weight' })
    out.push({ name: `${prefix}.bias`, shape: [C], kind: 'layernorm_bias' })
  }
  out.push({ name: 'bert.embeddings.word_embeddings.weight', shape: [c.vocab_size, C], kind: 'embedding' })
  out.push({ name: 'bert.embeddings.position_embeddings.weight', shape: [c.max_position_embeddings, C], kind: 'embedding' })
  out.push({ name: 'bert.embeddings.token_type_embeddings.weight', shape: [c.type_vocab_size, C], kind: 'embedding' })
  layerNorm('bert.embeddings.LayerNorm')
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`
    linear(`${p}.attention.self.query`, C, C)
    linear(`${p}.attention.self.key`, C, C)
    linear(`${p}.attention.self.value`, C, C)
    linear(`${p}.attention.output.dense`, C, C)
    layerNorm(`${p}.attention.output.LayerNorm`)
    linear(`${p}.intermediate.dense`, c.intermediate_size, C)
    linear(`${p}.output.dense`, C, c.intermediate_size)
    layerNorm(`${p}.output.LayerNorm`)
  }
  linear('bert.pooler.dense', C, C)
  linear('classifier', labels, C)
  return out
}

export const count = (shape: number[]) => shape.reduce((a, d) => a * d, 1)

export function parameterCount(specs: ParamSpec[]): number {
  return specs.reduce((a, s) => a + count(s.shape), 0)
}

// LoRA on the given attention.self modules: A (r, C) and B (C, r) per module per layer.
export function loraParameterCount(c: BertConfig, r: number, modules: ('query' | 'key' | 'value')[]): number {
  return c.num_hidden_layers * modules.length * 2 * r * c.hidden_size
}
