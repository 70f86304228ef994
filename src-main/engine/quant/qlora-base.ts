// QLoRA's base: every encoder linear layer in nf4 with double-quantized absmaxes, exactly as
// `tbw quantize --mode nf4 --double-quant` stores it, kept frozen under the LoRA adapters.
import { loadKernels, type QuantWeight } from '../addon'
import type { BertConfig } from '../bert/config'
import { sequenceClassificationParams } from '../bert/config'
import { isQuantizableLinear, POOLER_WEIGHT } from './policy'

export function nf4Base(config: BertConfig, params: Map<string, Float32Array>, labels: number): Map<string, QuantWeight> {
  const k = loadKernels()
  const out = new Map<string, QuantWeight>()
  for (const { name, shape } of sequenceClassificationParams(config, labels)) {
    if (!isQuantizableLinear(name) || name === POOLER_WEIGHT) continue // the pooler runs in fp32
    const w = params.get(name)
    if (!w) throw new Error(`parameter ${name} is missing`)
    if (w.length !== shape[0] * shape[1]) throw new Error(`parameter ${name} has ${w.length} values, needs ${shape[0] * shape[1]}`)
    const q = k.quantizeNf4(w)
    const dq = k.quantizeAbsmax(q.absmax)
    out.set(name, { kind: 'nf4', blocks: q.blocks, absmax: k.dequantizeAbsmax(dq.codes, dq.scales, dq.offset) })
  }
  return out
}
