// The eval job: a model or checkpoint scored on a split, recorded as a run; with profiling on,
// a window of eval batches becomes the run's Chrome trace and operator summary.
import path from 'node:path'
import type { EvalParams } from '../contract/eval'
import { evaluateCheckpoint } from '../engine/train/evaluate-checkpoint'
import type { JobContext } from './job-context'

export async function runEval(ctx: JobContext, p: EvalParams): Promise<Record<string, unknown>> {
  ctx.progress(0, 'loading the model and the split')
  const profile = p.profileActive > 0 ? { wait: p.profileWait, warmup: p.profileWarmup, active: p.profileActive, file: path.join(ctx.runDir, 'profile.trace.json') } : undefined
  const r = await evaluateCheckpoint({ model: p.model, checkpoint: p.checkpoint, task: p.task, data: p.data, split: p.split, device: p.device, dataDir: ctx.dataDir, profile })
  if (r.profile?.trace) ctx.artifact('trace', r.profile.trace)
  else if (profile) ctx.log(`profiling recorded nothing: the split has fewer than ${p.profileWait + p.profileWarmup + p.profileActive} batches (wait + warmup + active)`, 'warn')
  // Named as a fine-tune's evals are, so Runs filters and compares them alike (metrics.eval/accuracy).
  ctx.metric('eval/loss', 0, r.loss)
  for (const [k, v] of Object.entries(r.metrics)) ctx.metric(`eval/${k}`, 0, v)
  ctx.log(`${r.split}: ${r.examples} examples, loss ${r.loss.toFixed(4)}, ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`)
  return { ...r }
}
