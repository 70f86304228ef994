// BertForSequenceClassification as an ONNX graph (opset 17; inputs input_ids, attention_mask,
// token_type_ids as int64 (batch, sequence); output logits (batch, labels)), the same math as
// the native kernels: embeddings + LayerNorm, post-LN encoder layers with erf GELU, tanh pooler.
// Linear layers in one of three forms:
//   fp32:  MatMul + Add
//   int8:  DynamicQuantizeLinear -> MatMulInteger with the workbench's per-channel int8 weights ->
//          Cast -> Mul(activation scale) -> Mul(per-channel weight scale) -> Add (ONNX Runtime
//          fuses this into its dynamic-quantization matmul)
//   int4:  com.microsoft MatMulNBits, 4-bit symmetric blocks of 32 along K (zero point 8)
// The pooler and classifier stay fp32 in every form, as in the native quantized models.
import { loadKernels } from '../addon'
import type { BertConfig } from '../bert/config'
import { DT, OnnxGraph } from './onnx-builder'

export type OnnxWeights = 'fp32' | 'int8' | 'int4'
export const INT4_BLOCK = 32

// w (OC,C) -> its transpose (C,OC), the layout MatMul wants.
function transpose(w: Float32Array, OC: number, C: number): Float32Array {
  const t = new Float32Array(w.length)
  for (let o = 0; o < OC; o++) for (let c = 0; c < C; c++) t[c * OC + o] = w[o * C + c]
  return t
}

// MatMulNBits' B (N, k_blocks, blob) with codes low nibble first along K, and scales (N, k_blocks):
// w ≈ (code - 8) · scale, scale = max|w in block| / 7.
export function quantizeInt4Blocks(w: Float32Array, N: number, K: number): { packed: Uint8Array; scales: Float32Array; kBlocks: number } {
  const kBlocks = Math.ceil(K / INT4_BLOCK)
  const blob = INT4_BLOCK / 2
  const packed = new Uint8Array(N * kBlocks * blob).fill(0x88)
  const scales = new Float32Array(N * kBlocks)
  for (let n = 0; n < N; n++)
    for (let b = 0; b < kBlocks; b++) {
      const k0 = b * INT4_BLOCK, k1 = Math.min(K, k0 + INT4_BLOCK)
      let amax = 0
      for (let k = k0; k < k1; k++) amax = Math.max(amax, Math.abs(w[n * K + k]))
      const scale = amax / 7
      scales[n * kBlocks + b] = scale
      for (let k = k0; k < k1; k++) {
        const q = scale > 0 ? Math.max(-8, Math.min(7, Math.round(w[n * K + k] / scale))) + 8 : 8
        const byte = (n * kBlocks + b) * blob + ((k - k0) >> 1)
        packed[byte] = (k - k0) % 2 === 0 ? (packed[byte] & 0xf0) | q : (packed[byte] & 0x0f) | (q << 4)
      }
    }
  return { packed, scales, kBlocks }
}

export function bertToOnnx(config: BertConfig, params: Map<string, Float32Array>, labels: number, weights: OnnxWeights): Uint8Array {
  const g = new OnnxGraph()
  const C = config.hidden_size, NH = config.num_attention_heads, HS = C / NH, FF = config.intermediate_size
  const eps = config.layer_norm_eps
  const P = (name: string) => {
    const p = params.get(name)
    if (!p) throw new Error(`parameter ${name} is missing`)
    return p
  }
  const k = loadKernels()

  const linear = (x: string, prefix: string, OC: number, Cin: number, quantize: boolean): string => {
    const w = P(`${prefix}.weight`)
    const b = g.init(`${prefix}.bias`, [OC], P(`${prefix}.bias`))
    if (!quantize || weights === 'fp32') return g.node('Add', [g.node('MatMul', [x, g.init(`${prefix}.weight_t`, [Cin, OC], transpose(w, OC, Cin))]), b])
    if (weights === 'int8') {
      const q = k.quantizeInt8(w, OC, Cin)
      const qt = new Int8Array(q.codes.length)
      for (let o = 0; o < OC; o++) for (let c = 0; c < Cin; c++) qt[c * OC + o] = q.codes[o * Cin + c]
      // The pattern ONNX Runtime's quantize_dynamic writes (and its fusions expect):
      // y = Cast(MatMulInteger(xq, Wq, x_zero_point)) · (x_scale · w_scale) + b
      const [xq, xs, xzp] = g.nodeOutputs('DynamicQuantizeLinear', [x], {}, { outputs: 3 })
      const acc = g.node('MatMulInteger', [xq, g.init(`${prefix}.weight_int8_t`, [Cin, OC], qt), xzp])
      const scale = g.node('Mul', [xs, g.init(`${prefix}.weight_scale`, [OC], q.scale)])
      return g.node('Add', [g.node('Mul', [g.node('Cast', [acc], { to: DT.FLOAT }), scale]), b])
    }
    const q4 = quantizeInt4Blocks(w, OC, Cin)
    const y = g.node(
      'MatMulNBits',
      [x, g.init(`${prefix}.weight_q4`, [OC, q4.kBlocks, INT4_BLOCK / 2], q4.packed), g.init(`${prefix}.weight_q4_scales`, [OC * q4.kBlocks], q4.scales)],
      { K: Cin, N: OC, bits: 4, block_size: INT4_BLOCK },
      { domain: 'com.microsoft' },
    )
    return g.node('Add', [y, b])
  }
  const layerNorm = (x: string, prefix: string) =>
    g.node('LayerNormalization', [x, g.init(`${prefix}.weight`, [C], P(`${prefix}.weight`)), g.init(`${prefix}.bias`, [C], P(`${prefix}.bias`))], {
      axis: -1,
      epsilon: { t: 'float', v: eps },
    })

  // Embeddings: word + position (0..T-1) + token type, then LayerNorm.
  const V = config.vocab_size, maxPos = config.max_position_embeddings, NTT = config.type_vocab_size
  const wte = g.init('bert.embeddings.word_embeddings.weight', [V, C], P('bert.embeddings.word_embeddings.weight'))
  const wpe = g.init('bert.embeddings.position_embeddings.weight', [maxPos, C], P('bert.embeddings.position_embeddings.weight'))
  const wtt = g.init('bert.embeddings.token_type_embeddings.weight', [NTT, C], P('bert.embeddings.token_type_embeddings.weight'))
  const T = g.node('Gather', [g.node('Shape', ['input_ids']), g.init('one_index', [], BigInt64Array.from([1n]))], { axis: 0 })
  const positions = g.node('Range', [g.init('zero_i64', [], BigInt64Array.from([0n])), T, g.init('one_i64', [], BigInt64Array.from([1n]))])
  let emb = g.node('Add', [g.node('Gather', [wte, 'input_ids']), g.node('Gather', [wpe, positions])])
  emb = g.node('Add', [emb, g.node('Gather', [wtt, 'token_type_ids'])])
  let x = layerNorm(emb, 'bert.embeddings.LayerNorm')

  // Key-padding mask as an additive bias (B,1,1,T): 0 for real tokens, -10000 for padding, written
  // as Hugging Face's traced BERT does so that ONNX Runtime's attention fusion recognizes it.
  const mask4 = g.node('Unsqueeze', [g.node('Unsqueeze', ['attention_mask', g.ints('axis1', [1])]), g.ints('axis2', [2])])
  const maskBias = g.node('Mul', [g.node('Sub', [g.scalar('one_f', 1), g.node('Cast', [mask4], { to: DT.FLOAT })]), g.scalar('mask_value', -10000)])
  const headShape = g.ints('head_shape', [0, 0, NH, HS])
  const mergedShape = g.ints('merged_shape', [0, 0, C])
  const sqrtHs = g.scalar('attention_sqrt_head', Math.sqrt(HS))
  const sqrt2 = g.scalar('sqrt2', Math.SQRT2)
  const half = g.scalar('half', 0.5)

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}`
    const heads = (t: string, perm: number[]) => g.node('Transpose', [g.node('Reshape', [t, headShape])], { perm })
    const q = heads(linear(x, `${p}.attention.self.query`, C, C, true), [0, 2, 1, 3])
    const kT = heads(linear(x, `${p}.attention.self.key`, C, C, true), [0, 2, 3, 1])
    const v = heads(linear(x, `${p}.attention.self.value`, C, C, true), [0, 2, 1, 3])
    const scores = g.node('Add', [g.node('Div', [g.node('MatMul', [q, kT]), sqrtHs]), maskBias])
    const ctx = g.node('MatMul', [g.node('Softmax', [scores], { axis: -1 }), v])
    const att = g.node('Reshape', [g.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }), mergedShape])
    const ln1 = layerNorm(g.node('Add', [linear(att, `${p}.attention.output.dense`, C, C, true), x]), `${p}.attention.output.LayerNorm`)
    const pre = linear(ln1, `${p}.intermediate.dense`, FF, C, true)
    const gelu = g.node('Mul', [g.node('Mul', [pre, g.node('Add', [g.node('Erf', [g.node('Div', [pre, sqrt2])]), g.scalar(`one_f_${l}`, 1)])]), half])
    x = layerNorm(g.node('Add', [linear(gelu, `${p}.output.dense`, C, FF, true), ln1]), `${p}.output.LayerNorm`)
  }
  const cls = g.node('Gather', [x, g.init('cls_index', [], BigInt64Array.from([0n]))], { axis: 1 })
  const pooled = g.node('Tanh', [linear(cls, 'bert.pooler.dense', C, C, false)])
  const logits = linear(pooled, 'classifier', labels, C, false)
  g.node('Identity', [logits], {}, { name: 'logits' })
  const io = (name: string) => ({ name, type: DT.INT64, dims: ['batch', 'sequence'] })
  return g.encode({
    inputs: [io('input_ids'), io('attention_mask'), io('token_type_ids')],
    outputs: [{ name: 'logits', type: DT.FLOAT, dims: ['batch', labels] }],
    microsoft: weights === 'int4',
    producer: 'tinybert-workbench',
  })
}
