// Running an exported graph in onnxruntime-node: a session with the given threads and graph
// optimizations, and logits for one of the engine's batches (int64 inputs, as HF exports take).
import * as ort from 'onnxruntime-node'
import type { Batch } from '../bert/model'

export interface OnnxSessionOptions {
  threads?: number // intra-op threads; default: the machine's cores
  optimizations?: 'all' | 'disabled'
}

export function openOnnx(model: string | Uint8Array, o: OnnxSessionOptions = {}): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: o.optimizations === 'disabled' ? 'disabled' : 'all',
    executionProviders: ['cpu'],
    interOpNumThreads: 1,
    ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
  }
  return typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts)
}

const i64 = (a: ArrayLike<number>, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(Array.from(a, (v) => BigInt(v))), dims)

export function onnxFeeds(batch: Batch): Record<string, ort.Tensor> {
  const dims = [batch.B, batch.T]
  return { input_ids: i64(batch.ids, dims), attention_mask: i64(batch.mask, dims), token_type_ids: i64(batch.tokenTypes, dims) }
}

export async function onnxLogits(session: ort.InferenceSession, batch: Batch): Promise<Float32Array> {
  const out = await session.run(onnxFeeds(batch))
  return out.logits.data as Float32Array
}
