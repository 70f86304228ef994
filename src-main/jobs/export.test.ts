// Quantize and export jobs end to end (real job processes): a short QLoRA run exported as a
// merged folder, a PEFT adapter and ONNX (fp32 / int8 / 4-bit), each checked against the
// workbench's logits; a quantize job whose folder `tbw eval` can score.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initRandomCheckpoint } from '../engine/bert/init-checkpoint'
import { readSafetensorsHeader } from '../engine/bert/safetensors'
import { evaluateCheckpoint } from '../engine/train/evaluate-checkpoint'
import type { AppServices } from '../services/app-services'
import { sharedData, tempDataDir, testServices, waitForEvent } from '../../test-support/services'

let services: AppServices
let model = ''
let out = ''

beforeAll(() => {
  model = path.join(tempDataDir('export-model'), 'tinybert-random')
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: sharedData('vocab', 'bert-base-uncased-vocab.txt'), outDir: model, seed: 5 })
  out = tempDataDir('export-out')
  services = testServices(tempDataDir('export'))
})
afterAll(() => services?.close())

async function run(spec: Parameters<AppServices['call']>[1]): Promise<Record<string, unknown>> {
  const { runId } = await services.call('jobs.start', spec as never)
  const ev = await waitForEvent(services, (e) => e.name === 'job.status' && e.payload.runId === runId && e.payload.status !== 'running', 120_000)
  expect(ev.payload).toMatchObject({ status: 'completed', error: null })
  return (await services.call('runs.get', { id: runId })).summary
}

describe('export and quantize jobs', () => {
  it('a QLoRA run exports merged, PEFT and ONNX files that match the workbench', async () => {
    const ft = await run({
      kind: 'finetune',
      params: { model, task: 'mrpc', data: sharedData('mrpc'), method: 'qlora', limitTrain: 32, limitEval: 16, batchSize: 8, gradAccum: 1, maxSteps: 2, evalEvery: 0, saveEvery: 0, maxLength: 48, lr: 0.01 },
    })
    const checkpoint = ft.checkpoint as string
    const merged = await run({ kind: 'export', params: { format: 'merged', checkpoint, out: path.join(out, 'merged') } })
    expect(merged.max_abs_diff).toBe(0)
    expect(fs.readdirSync(path.join(out, 'merged')).sort()).toEqual(['config.json', 'model.safetensors', 'vocab.txt'])

    const peft = await run({ kind: 'export', params: { format: 'peft', checkpoint, out: path.join(out, 'peft') } })
    expect(peft.merged_adapters).toBe(true)
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'peft', 'adapter_config.json'), 'utf8'))
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', r: 16, lora_alpha: 16, lora_dropout: 0.05, target_modules: ['query', 'key', 'value'], modules_to_save: ['classifier'] })
    const keys = readSafetensorsHeader(path.join(out, 'peft', 'adapter_model.safetensors')).tensors.map((t) => t.name)
    expect(keys).toContain('base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight')
    expect(keys).toContain('base_model.model.bert.encoder.layer.3.attention.self.value.lora_B.weight')
    expect(keys).toContain('base_model.model.classifier.weight')
    expect(keys.length).toBe(4 * 3 * 2 + 2)

    const fp32 = await run({ kind: 'export', params: { format: 'onnx', checkpoint, out: path.join(out, 'model.onnx') } })
    expect(fp32.max_abs_diff as number).toBeLessThanOrEqual(1e-4)
    const int8 = await run({ kind: 'export', params: { format: 'onnx-int8', checkpoint, out: path.join(out, 'model-int8.onnx') } })
    const int4 = await run({ kind: 'export', params: { format: 'onnx-int4', checkpoint, out: path.join(out, 'model-int4.onnx') } })
    expect(int8.max_abs_diff as number).toBeGreaterThan(0)
    expect(int8.bytes as number).toBeLessThan((fp32.bytes as number) * 0.8)
    expect(int4.bytes as number).toBeLessThan(int8.bytes as number)
  }, 240_000)

  it('a quantize job writes a folder that eval scores', async () => {
    const q = await run({ kind: 'quantize', params: { model, out: path.join(out, 'int8'), mode: 'int8', embeddings: 'int8' } })
    expect(q.ratio as number).toBeGreaterThan(3.5)
    const r = await evaluateCheckpoint({ model: q.out as string, task: 'mrpc', data: sharedData('mrpc'), split: 'validation', dataDir: out })
    expect(r.examples).toBe(408)
    expect(r.metrics.accuracy).toBeGreaterThan(0)
    // `tbw eval --profile-active 2`: 4 batches of 128; skip none, warm up 1, record 2, and the metrics do not change.
    const file = path.join(out, 'eval-profile.trace.json')
    const p = await evaluateCheckpoint({ model: q.out as string, task: 'mrpc', data: sharedData('mrpc'), split: 'validation', dataDir: out, profile: { wait: 0, warmup: 1, active: 2, file } })
    expect(p.metrics).toEqual(r.metrics)
    expect(p.profile?.trace).toBe(file)
    const trace = JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: { ph: string; name: string }[] }
    expect(trace.traceEvents.filter((e) => e.ph === 'B').map((e) => e.name)).toEqual(['eval batch 1', 'eval batch 2'])
    // 2 batches x (3 layers x 4 GEMMs + 5): query/key/value share one (one pass over their input), then
    // the other three linears; the [CLS]-only last layer runs its query apart from key/value
    expect(p.profile!.ops.find((o) => o.name === 'matmul_quant')!.calls).toBe(2 * (3 * 4 + 5))
  }, 120_000)
})
