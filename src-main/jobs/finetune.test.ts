// Fine-tune jobs end to end through the job service (real job processes):
// the seed's trainable-parameter count, exact resume after SIGKILL, and a
// NaN loss that stops the run with a clear error.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FinetuneInput } from '../contract/finetune'
import type { MetricSeries } from '../contract/types'
import { initRandomCheckpoint } from '../engine/bert/init-checkpoint'
import type { AppServices } from '../services/app-services'
import { sharedData, tempDataDir, testServices, waitForEvent } from '../../test-support/services'

const DATA = sharedData()
let services: AppServices
let model = ''

beforeAll(() => {
  model = path.join(tempDataDir('ft-model'), 'tinybert-random')
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: path.join(DATA, 'vocab/bert-base-uncased-vocab.txt'), outDir: model, seed: 11 })
  services = testServices(tempDataDir('ft'))
})

afterAll(() => services?.close())

const quick = (extra: Partial<FinetuneInput> = {}): FinetuneInput => ({
  model,
  task: 'mrpc',
  data: path.join(DATA, 'mrpc'),
  limitTrain: 96,
  limitEval: 48,
  batchSize: 8,
  gradAccum: 2,
  maxSteps: 24,
  evalEvery: 6,
  saveEvery: 3,
  maxLength: 64,
  seed: 7,
  ...extra,
})

async function finish(runId: number) {
  const ev = await waitForEvent(services, (e) => e.name === 'job.status' && e.payload.runId === runId && e.payload.status !== 'running', 120_000)
  return ev.payload as { status: string; error: string | null }
}

const series = async (runId: number, key: string) =>
  ((await services.call('runs.metrics', { runId, keys: [key], maxPoints: 100_000 })) as MetricSeries[])[0]?.points ?? []

describe('fine-tune jobs', () => {
  it('LoRA r=16 on q/k/v + classifier trains 120,434 of 14,350,874 parameters (the seed study)', async () => {
    const { runId } = await services.call('jobs.start', { kind: 'finetune', params: quick({ maxSteps: 1, evalEvery: 0, saveEvery: 0 }) })
    expect(await finish(runId)).toMatchObject({ status: 'completed' })
    const run = await services.call('runs.get', { id: runId })
    expect(run.summary).toMatchObject({ trainable_params: 120_434, total_params: 14_350_874, steps: 1 })
    expect(run.params).toMatchObject({ loraR: 16, loraAlpha: 16, loraDropout: 0.05, lr: 3.9e-4, scheduler: 'polynomial', warmupRatio: 0.2 })
  }, 120_000)

  it('a run killed with SIGKILL and resumed from its last checkpoint repeats the uninterrupted run', async () => {
    const a = (await services.call('jobs.start', { kind: 'finetune', params: quick() })).runId
    expect(await finish(a)).toMatchObject({ status: 'completed' })

    const b = (await services.call('jobs.start', { kind: 'finetune', params: quick() })).runId
    const bDir = path.join(services.options.dataDir, 'runs', String(b))
    const saved = () => (fs.existsSync(bDir) ? fs.readdirSync(bDir).filter((f) => /^checkpoint-\d+$/.test(f)) : [])
    await waitForEvent(services, (e) => e.name === 'runs.changed' && e.payload.runId === b && saved().length > 0, 60_000)
    const pid = (await services.call('jobs.active', {})).find((j) => j.runId === b)?.pid
    expect(pid).toBeTruthy()
    process.kill(pid!, 'SIGKILL')
    expect(await finish(b)).toMatchObject({ status: 'crashed' })
    const newest = saved().sort((x, y) => Number(y.split('-')[1]) - Number(x.split('-')[1]))[0]
    const k = Number(newest.split('-')[1])
    expect(k).toBeLessThan(24)

    const c = (await services.call('jobs.start', { kind: 'finetune', params: quick({ resumeFrom: path.join(bDir, newest) }) })).runId
    expect(await finish(c)).toMatchObject({ status: 'completed' })
    const lossA = await series(a, 'train/loss')
    const lossC = await series(c, 'train/loss')
    expect(lossC.map((p) => p.step)).toEqual(lossA.filter((p) => p.step > k).map((p) => p.step))
    for (const p of lossC) expect(Math.abs(p.value! - lossA.find((q) => q.step === p.step)!.value!)).toBeLessThanOrEqual(1e-6)
    const sumA = (await services.call('runs.get', { id: a })).summary as { metrics: Record<string, number> }
    const sumC = (await services.call('runs.get', { id: c })).summary as { metrics: Record<string, number> }
    for (const [key, v] of Object.entries(sumA.metrics)) expect(Math.abs(sumC.metrics[key] - v)).toBeLessThanOrEqual(1e-6)
    const artifacts = services.db.prepare('SELECT kind, bytes, sha256 FROM artifacts WHERE run_id = ?').all(c) as { kind: string; bytes: number; sha256: string }[]
    expect(artifacts.length).toBeGreaterThan(0)
    expect(artifacts[0]).toMatchObject({ kind: 'checkpoint', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })
  }, 240_000)

  it('a NaN/inf loss stops the run with a clear error naming the last good checkpoint', async () => {
    // A few sane steps, then the same run resumed with a learning rate that diverges.
    const sgd = { method: 'full', optimizer: 'sgd', scheduler: 'constant', evalEvery: 0 } as const
    const ok = (await services.call('jobs.start', { kind: 'finetune', params: quick({ ...sgd, lr: 1e-3, maxSteps: 3, saveEvery: 3 }) })).runId
    expect(await finish(ok)).toMatchObject({ status: 'completed' })
    const good = path.join(services.options.dataDir, 'runs', String(ok), 'checkpoint-3')
    const { runId } = await services.call('jobs.start', {
      kind: 'finetune',
      params: quick({ ...sgd, lr: 1e30, maxGradNorm: 0, saveEvery: 1, resumeFrom: good }),
    })
    const st = await finish(runId)
    expect(st.status).toBe('failed')
    // Step 4 uses the good weights; its update breaks them, so step 5's loss is not finite and checkpoint-4 is not "good".
    expect(st.error).toMatch(/training loss became (NaN|Infinity|-Infinity) at step 5; stopped\. The last good checkpoint is (.*)\. Try a lower/)
    expect(st.error).toContain(`The last good checkpoint is ${good}.`)
  }, 120_000)

  it('early stopping ends the run once the main metric stops improving, keeping the best checkpoint', async () => {
    // With a learning rate too small to change a prediction, accuracy never improves after the first evaluation.
    const { runId } = await services.call('jobs.start', {
      kind: 'finetune',
      params: quick({ lr: 1e-12, scheduler: 'constant', evalEvery: 1, saveEvery: 0, earlyStoppingPatience: 2, maxSteps: 24 }),
    })
    expect(await finish(runId)).toMatchObject({ status: 'completed' })
    const sum = (await services.call('runs.get', { id: runId })).summary as { steps: number; stopped_early: boolean; best: { step: number }; best_checkpoint: string }
    expect(sum).toMatchObject({ steps: 3, stopped_early: true, best: { step: 1 } })
    expect(fs.existsSync(path.join(sum.best_checkpoint, 'trainable.safetensors'))).toBe(true)
  }, 120_000)

  it('STS-B trains as regression (one output, MSE) and reports Pearson and Spearman', async () => {
    // A small STS-B-layout folder: MRPC pairs scored 0..5 from their label and length difference.
    const dir = path.join(tempDataDir('stsb'), 'STS-B')
    fs.mkdirSync(dir)
    const header = 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore'
    const rows = fs.readFileSync(path.join(DATA, 'mrpc/dev.tsv'), 'utf8').replace(/^\uFEFF/, '').trim().split('\n').slice(1, 81)
    const tsv = rows.map((r, i) => {
      const [q, , , a, b] = r.split('\t')
      return [i, 'main-news', 'x', '2012', i, 'none', 'none', a, b, (Number(q) * 4 + (a.length % 10) / 10).toFixed(3)].join('\t')
    })
    fs.writeFileSync(path.join(dir, 'train.tsv'), [header, ...tsv.slice(0, 60)].join('\n'))
    fs.writeFileSync(path.join(dir, 'dev.tsv'), [header, ...tsv.slice(60)].join('\n'))
    const { runId } = await services.call('jobs.start', { kind: 'finetune', params: quick({ task: 'stsb', data: dir, maxSteps: 3, evalEvery: 3 }) })
    expect(await finish(runId)).toEqual({ runId, status: 'completed', error: null })
    const sum = (await services.call('runs.get', { id: runId })).summary as { metrics: Record<string, number>; trainable_params: number }
    expect(Object.keys(sum.metrics).sort()).toEqual(['loss', 'pearson', 'spearman'])
    expect(sum.trainable_params).toBe(119_808 + 312 + 1) // LoRA q/k/v + a one-output classifier
  }, 120_000)

  it('profiles a window of steps into a Chrome trace artifact and an operator summary', async () => {
    const { runId } = await services.call('jobs.start', { kind: 'finetune', params: quick({ maxSteps: 4, evalEvery: 0, saveEvery: 0, profileWait: 1, profileWarmup: 1, profileActive: 2 }) })
    expect(await finish(runId)).toMatchObject({ status: 'completed' })
    const sum = (await services.call('runs.get', { id: runId })).summary as { profile: { trace: string; ops: { name: string; calls: number; gflops_per_s: number | null }[] } }
    expect(fs.existsSync(sum.profile.trace)).toBe(true)
    const trace = JSON.parse(fs.readFileSync(sum.profile.trace, 'utf8')) as { traceEvents: { ph: string; name: string }[] }
    expect(trace.traceEvents.filter((e) => e.ph === 'B').map((e) => e.name)).toEqual(['train step 3', 'train step 4'])
    const lora = sum.profile.ops.find((o) => o.name === 'lora')!
    // 2 steps x 2 micro-batches x 4 (q/k/v in one call in layers 0-2; the [CLS]-only last layer's
    // query, its key/value folded into the attention), and the final evaluation (one batch)
    expect(lora.calls).toBe(2 * 2 * 4 + 4)
    expect(sum.profile.ops.find((o) => o.name === 'lora_down')?.calls).toBe(2 * 2 + 1)
    expect(lora.gflops_per_s).toBeGreaterThan(0)
    const artifacts = await services.call('runs.artifacts', { runId })
    expect(artifacts.some((a: { kind: string }) => a.kind === 'trace')).toBe(true)
  }, 120_000)

  it('LoRA on all six linear layers trains PEFT\'s parameter count; QLoRA on the nf4 base trains the seed\'s 120,434', async () => {
    const targetModules = ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] as const
    const all = (await services.call('jobs.start', { kind: 'finetune', params: quick({ targetModules: [...targetModules], maxSteps: 2, evalEvery: 0, saveEvery: 0 }) })).runId
    expect(await finish(all)).toMatchObject({ status: 'completed' })
    // Per layer: 4 × 16 × (312 + 312) + 2 × 16 × (312 + 1200) = 88,320; × 4 layers + classifier 626.
    expect((await services.call('runs.get', { id: all })).summary).toMatchObject({ trainable_params: 353_906 })
    const q = (await services.call('jobs.start', { kind: 'finetune', params: quick({ method: 'qlora', maxSteps: 2, evalEvery: 2, saveEvery: 0 }) })).runId
    expect(await finish(q)).toMatchObject({ status: 'completed' })
    const sum = (await services.call('runs.get', { id: q })).summary as { trainable_params: number; total_params: number; metrics: Record<string, number> }
    expect(sum).toMatchObject({ trainable_params: 120_434, total_params: 14_350_874 })
    expect(sum.metrics.accuracy).toBeGreaterThan(0)
  }, 120_000)
})
