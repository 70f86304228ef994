// The bench job: the inference matrix, each variant in a child process of this worker (peak RSS
// per variant), stored as the run's summary rows and metrics for the Benchmarks page and CLI.
import os from 'node:os'
import type { BenchParams } from '../contract/bench'
import { benchMatrix } from '../engine/bench/bench-matrix'
import type { BenchProfile } from '../engine/bench/bench-variant'
import { resolveDevice } from '../engine/device'
import type { JobContext } from './job-context'

export async function runBench(ctx: JobContext, p: BenchParams): Promise<Record<string, unknown>> {
  const threads = p.threads ?? os.availableParallelism()
  if (p.device !== 'cpu') ctx.log(`native variants on ${resolveDevice(p.device).gpu?.name} (${p.device}); ONNX Runtime on the CPU`) // throws, saying why, without a usable GPU
  const profile = p.profileActive > 0 ? { wait: p.profileWait, warmup: p.profileWarmup, active: p.profileActive, dir: ctx.runDir } : undefined
  const profiles: BenchProfile[] = []
  const rows = await benchMatrix(
    { model: p.model, checkpoint: p.checkpoint, data: p.data, batches: p.batches, seqs: p.seqs, iterations: p.iterations, warmup: p.warmup, threads, device: p.device, maxSeconds: p.maxSeconds, profile },
    p.variants,
    (fraction, message) => {
      ctx.checkpoint() // throws when the job is cancelled
      ctx.progress(fraction, message)
    },
    undefined,
    (prof) => {
      profiles.push(prof)
      if (prof.trace) ctx.artifact('trace', prof.trace)
      ctx.log(prof.trace ? `${prof.variant}: profile of ${prof.schedule.active} calls at batch ${prof.batch}, sequence ${prof.seq}: ${prof.trace}` : `${prof.variant}: no profile (${prof.skipped ?? 'nothing recorded'})`)
    },
  )
  return { threads, device: p.device, cpus: os.cpus()[0]?.model ?? 'unknown', rows, ...(profile ? { profiles } : {}) }
}
