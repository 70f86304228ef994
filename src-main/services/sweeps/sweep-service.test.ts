// Sweeps through the host's commands: validation results, a sweep started for
// one trial, left paused, then resumed to its run_cap with the trials an
// uninterrupted grid would have run; importance needs finished trials.
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initRandomCheckpoint } from '../../engine/bert/init-checkpoint'
import { sharedData, tempDataDir, testServices } from '../../../test-support/services'
import type { AppServices } from '../app-services'
import { importance } from './sweep-service'

let services: AppServices
let model = ''

beforeAll(() => {
  model = path.join(tempDataDir('sweep-model'), 'm')
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: sharedData('vocab', 'bert-base-uncased-vocab.txt'), outDir: model, seed: 2 })
  services = testServices(tempDataDir('sweeps'))
})
afterAll(() => services?.close())

const until = async (fn: () => Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('sweep commands', () => {
  it('validates, runs one trial, pauses, and resumes to the run cap', async () => {
    const bad = await services.call('sweeps.validate', { text: 'method: grid\nparameters: {beam_size: {values: [1]}}' })
    expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/^parameters\.beam_size: the trainer has no option/) })
    const text = 'method: grid\nmetric: {name: eval/loss, goal: minimize}\nparameters:\n  lora_r: {values: [2, 4, 8]}\n'
    expect(await services.call('sweeps.validate', { text })).toMatchObject({ ok: true, method: 'grid', trials: 3 })
    const settings = { model, task: 'mrpc', data: sharedData('mrpc'), maxSteps: 1, batchSize: 8, limitTrain: 16, limitEval: 16, maxLength: 32 }
    const { sweepId } = await services.call('sweeps.start', { text, settings, count: 1 })
    await until(async () => (await services.call('sweeps.get', { id: sweepId })).status === 'paused')
    expect((await services.call('sweeps.get', { id: sweepId })).trials.map((t) => t.params.lora_r)).toEqual([2])
    await services.call('sweeps.resume', { id: sweepId })
    await until(async () => (await services.call('sweeps.get', { id: sweepId })).status === 'finished')
    const d = await services.call('sweeps.get', { id: sweepId })
    expect(d.trials.map((t) => [t.params.lora_r, t.status])).toEqual([[2, 'completed'], [4, 'completed'], [8, 'completed']])
    expect(d.best).not.toBeNull()
    expect(d.importance.map((x) => x.name)).toEqual(['lora_r'])
    expect(d.pareto).toBeNull()
    // Smaller adapters are never bigger: with model size as an objective, the r=2 trial is on the front.
    const multi = await services.call('sweeps.get', { id: sweepId, objectives: [{ name: 'model/trainable_params', goal: 'minimize' }] })
    expect(multi.pareto).toContain(d.trials[0].runId)
    expect(multi.pareto!.length).toBeGreaterThanOrEqual(1)
    const runs = await services.call('runs.list', { filter: 'kind = finetune' })
    expect(runs.every((r) => r.sweepId === sweepId)).toBe(true)
  }, 120_000)

  it('scores importance by rank correlation for numbers and correlation ratio for categories', () => {
    const trials = [1, 2, 3, 4, 5, 6].map((i) => ({ params: { r: i, opt: i % 2 ? 'a' : 'b', noise: [3, 1, 2, 3, 1, 2][i - 1] }, metric: i * 0.1 + (i % 2 ? 0 : 0.05) }))
    const imp = Object.fromEntries(importance(trials, ['r', 'opt', 'noise']).map((x) => [x.name, x.score]))
    expect(imp.r).toBeCloseTo(1, 6)
    expect(imp.noise).toBeLessThan(0.5)
    expect(imp.opt).toBeGreaterThan(0)
  })
})
