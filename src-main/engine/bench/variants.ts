// The inference variants the bench compares, each a runner from a batch to logits, built from
// the same fp32 weights: the native engine in fp32 (flash or naive attention), int8 (per-channel
// weights, per-token activations) and nf4 (double quantization, as QLoRA), and ONNX Runtime on
// the workbench's own fp32 and int8 ONNX exports (graph optimizations on).
import { loadKernels, type KernelVariant, type QuantWeight } from '../addon'
import type { BertConfig } from '../bert/config'
import { sequenceClassificationParams } from '../bert/config'
import { BertClassifier, type Batch } from '../bert/model'
import { bertToOnnx } from '../export/onnx-export'
import { onnxLogits, openOnnx } from '../export/onnx-run'
import { isQuantizableLinear, POOLER_WEIGHT } from '../quant/policy'
import { nf4Base } from '../quant/qlora-base'

export { BENCH_VARIANTS, type BenchVariant } from '../../contract/bench'
import type { BenchVariant } from '../../contract/bench'
import { resolveDevice } from '../device'

export interface Runner {
  run(batch: Batch): Promise<Float32Array>
  weightBytes: number // the weights this variant holds
  release(): Promise<void>
}

function int8Linears(config: BertConfig, params: Map<string, Float32Array>, labels: number): Map<string, QuantWeight> {
  const k = loadKernels()
  const out = new Map<string, QuantWeight>()
  for (const { name, shape } of sequenceClassificationParams(config, labels))
    if (isQuantizableLinear(name) && name !== POOLER_WEIGHT) out.set(name, k.quantizeInt8(params.get(name)!, shape[0], shape[1]))
  return out
}

export async function makeRunner(variant: BenchVariant, config: BertConfig, params: Map<string, Float32Array>, labels: number, threads: number, device = 'cpu'): Promise<Runner> {
  const k = loadKernels()
  const backend = k.capabilities().variant as KernelVariant
  const fp32Bytes = [...params.values()].reduce((a, p) => a + p.byteLength, 0)
  if (variant.startsWith('ort-')) {
    const bytes = bertToOnnx(config, params, labels, variant === 'ort-int8' ? 'int8' : 'fp32')
    const session = await openOnnx(bytes, { threads, optimizations: 'all' })
    return { run: (b) => onnxLogits(session, b), weightBytes: bytes.byteLength, release: () => session.release() }
  }
  k.setThreads(threads)
  const quantized = variant === 'native-int8' ? int8Linears(config, params, labels) : variant === 'native-nf4' ? nf4Base(config, params, labels) : new Map<string, QuantWeight>()
  const model = new BertClassifier(config, params, device === 'cpu' ? backend : resolveDevice(device).backend, null, labels, quantized).freezeWeights()
  const attention = variant === 'native-fp32-naive' ? 'naive' : 'flash'
  let weightBytes = fp32Bytes
  for (const [name, w] of quantized) {
    weightBytes -= params.get(name)!.byteLength
    weightBytes += w.kind === 'int8' ? w.codes.byteLength + w.scale.byteLength : w.blocks.byteLength + w.absmax.byteLength
  }
  return { run: async (b) => model.forward(b, { attention }).logits, weightBytes, release: async () => {} }
}
