// The size-report job: the model's size under every quantization policy (engine/quant/size-report.ts).
import { sizeReport } from '../engine/quant/size-report'
import type { JobContext } from './job-context'

export async function runSizeReport(ctx: JobContext, p: { model: string }): Promise<Record<string, unknown>> {
  const r = sizeReport(p.model, (done, total, policy) => ctx.progress(done / total, policy))
  return { model: p.model, ...r }
}
