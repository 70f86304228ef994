// The bench job end to end: every variant in its own process, a small matrix, rows stored with
// the run; equal weights give equal dev accuracy across fp32 variants.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { BenchProfile, BenchRow } from '../engine/bench/bench-variant'
import { BENCH_VARIANTS } from '../engine/bench/variants'
import { initRandomCheckpoint } from '../engine/bert/init-checkpoint'
import type { AppServices } from '../services/app-services'
import { sharedData, tempDataDir, testServices, waitForEvent } from '../../test-support/services'

let services: AppServices
let model = ''

beforeAll(() => {
  model = path.join(tempDataDir('bench-model'), 'tinybert-random')
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: sharedData('vocab', 'bert-base-uncased-vocab.txt'), outDir: model, seed: 9 })
  services = testServices(tempDataDir('bench'))
})
afterAll(() => services?.close())

it('runs the variants x batches x sequences matrix and stores the rows with the run', async () => {
  const { runId } = await services.call('jobs.start', {
    kind: 'bench',
    params: { model, data: sharedData('mrpc'), batches: [1, 4], seqs: ['mrpc', 32], iterations: 3, warmup: 1, threads: 2 },
  })
  const ev = await waitForEvent(services, (e) => e.name === 'job.status' && e.payload.runId === runId && e.payload.status !== 'running', 300_000)
  expect(ev.payload).toMatchObject({ status: 'completed', error: null })
  const { rows } = (await services.call('runs.get', { id: runId })).summary as { rows: BenchRow[] }
  expect(rows.length).toBe(BENCH_VARIANTS.length * 2 * 2)
  const row = (v: string) => rows.find((r) => r.variant === v && r.batch === 4 && r.seq === 32)!
  for (const r of rows) {
    expect(r.p50_ms).toBeGreaterThan(0)
    expect(r.p95_ms).toBeGreaterThanOrEqual(r.p50_ms)
    expect(r.peak_rss_mb).toBeGreaterThan(50)
    expect(r.dev_accuracy).toBeGreaterThan(0)
  }
  expect(row('native-fp32').mean_tokens).toBe(32)
  expect(rows.find((r) => r.seq === 'mrpc' && r.batch === 4)!.mean_tokens).toBeLessThan(128)
  // The same fp32 weights: the same predictions up to rounding at the decision boundary.
  for (const v of ['native-fp32-naive', 'ort-fp32']) expect(Math.abs(row(v).dev_accuracy! - row('native-fp32').dev_accuracy!)).toBeLessThanOrEqual(0.01)
  expect(row('native-int8').weights_mb).toBeLessThan(row('native-fp32').weights_mb)
  expect(row('native-nf4').weights_mb).toBeLessThan(row('native-int8').weights_mb)
}, 300_000)

it('profiles the first cell of each native variant into a Chrome trace, and says why ONNX Runtime has none', async () => {
  const { runId } = await services.call('jobs.start', {
    kind: 'bench',
    params: { model, variants: ['native-int8', 'ort-fp32'], batches: [2], seqs: [16], iterations: 2, warmup: 0, threads: 2, profileWait: 1, profileWarmup: 1, profileActive: 3 },
  })
  const ev = await waitForEvent(services, (e) => e.name === 'job.status' && e.payload.runId === runId && e.payload.status !== 'running', 300_000)
  expect(ev.payload).toMatchObject({ status: 'completed', error: null })
  const { profiles } = (await services.call('runs.get', { id: runId })).summary as { profiles: BenchProfile[] }
  const native = profiles.find((p) => p.variant === 'native-int8')!
  expect(native).toMatchObject({ batch: 2, seq: 16 })
  const trace = JSON.parse(fs.readFileSync(native.trace!, 'utf8')) as { traceEvents: { ph: string; name: string; args?: { op?: string } }[] }
  expect(trace.traceEvents.filter((e) => e.ph === 'B' && /^bench call \d+$/.test(e.name))).toHaveLength(3) // the active calls
  expect(trace.traceEvents.some((e) => e.ph === 'X' && e.args?.op === 'matmul_quant')).toBe(true)
  expect(native.ops.find((o) => o.name === 'matmul_quant')?.calls).toBeGreaterThan(0)
  expect(profiles.find((p) => p.variant === 'ort-fp32')).toMatchObject({ trace: null, skipped: expect.stringMatching(/ONNX Runtime/) })
  expect((await services.call('runs.artifacts', { runId })).filter((a) => a.kind === 'trace')).toHaveLength(1)
}, 300_000)
