// The quantize job: writes the quantized folder (atomically) and records its sizes; the folder
// is the run's artifact, so `tbw eval --model OUT` and the bench can use it.
import { quantizeModelFolder } from '../engine/quant/quantize-model'
import type { QuantizeParams } from '../contract/quantize'
import type { JobContext } from './job-context'

export async function runQuantize(ctx: JobContext, p: QuantizeParams): Promise<Record<string, unknown>> {
  ctx.progress(0, `quantizing ${p.model} to ${p.mode}`)
  const r = quantizeModelFolder(p.model, p.out, { mode: p.mode, doubleQuant: p.doubleQuant, embeddingsInt8: p.embeddings === 'int8' }, { overwrite: p.overwrite })
  ctx.artifact('model', r.outDir)
  if (r.newlyInitialized.length) ctx.log(`the source had no ${r.newlyInitialized.join(', ')}: written freshly initialized (an untrained head)`, 'warn')
  ctx.log(`${r.outDir}: ${(r.diskBytes / 2 ** 20).toFixed(2)} MiB (source ${(r.sourceBytes / 2 ** 20).toFixed(2)} MiB)`)
  ctx.progress(1, 'done')
  return { out: r.outDir, mode: p.mode, quantization: r.quantization, disk_bytes: r.diskBytes, source_bytes: r.sourceBytes, ratio: r.sourceBytes / r.diskBytes }
}
