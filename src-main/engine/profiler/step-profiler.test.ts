// Profiling a window of training steps: the schedule (wait, warmup, active), native events on the
// calling thread and on pool worker tracks, a Chrome trace our own importer reads back, and an
// operator summary with achieved GFLOP/s.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, it } from 'vitest'
import { fixtureBatch, fixtureConfig, fixtureLora, fixtureParams } from '../../../test-support/bert-fixture'
import { loadKernels } from '../addon'
import { BertClassifier } from '../bert/model'
import { analyzeTrace } from '../traces/analyze'
import { StepProfiler } from './step-profiler'

it('records only the active steps, with worker tracks, into a trace that imports', async () => {
  const k = loadKernels()
  const threads = k.threads()
  k.setThreads(2)
  try {
    const model = new BertClassifier(fixtureConfig, fixtureParams(), k.capabilities().variant as never, { options: { r: 4, alpha: 8, dropout: 0.1 }, tensors: fixtureLora() })
    const batch = { ...fixtureBatch() }
    const prof = new StepProfiler({ wait: 1, warmup: 1, active: 2 })
    for (let step = 1; step <= 6; step++) {
      prof.stepBegin(step)
      prof.span('forward + backward', () => model.trainStep(batch, { trainBase: false, hiddenDropout: 0.1 }))
      prof.stepEnd(step)
    }
    expect(prof.finished).toBe(true)
    const trace = prof.chromeTrace({ test: true })
    const ev = trace.traceEvents
    const steps = ev.filter((e) => e.ph === 'B').map((e) => e.name)
    expect(steps).toEqual(['train step 3', 'train step 4']) // wait 1, warmup 1, active 2
    expect(ev.filter((e) => e.ph === 'X' && e.name === 'forward').length).toBe(2)
    expect(ev.filter((e) => e.ph === 'X' && e.name === 'layer0.query,key,value').length).toBe(2) // LoRA q/k/v share one call
    // the last layer computes only the [CLS] rows: its query on B rows; its key and value fold into the
    // attention, leaving their adapters' down-projections (one call) on every token
    expect(ev.filter((e) => e.ph === 'X' && e.name === 'layer1.query').length).toBe(2)
    expect(ev.filter((e) => e.ph === 'X' && e.name === 'layer1.key,value' && (e.args as { op: string }).op === 'lora_down').length).toBe(2)
    expect(ev.filter((e) => e.ph === 'X' && e.name === 'layer1.attention' && (e.args as { op: string }).op === 'attention_cls_kv').length).toBe(2)
    const q = ev.find((e) => e.name === 'layer0.query,key,value')!
    expect((q.args as { dims: number[]; flops: number }).dims).toEqual([fixtureBatch().B * fixtureBatch().T, 64, 3 * 64])
    expect((q.args as { flops: number }).flops).toBeGreaterThan(0)
    expect(ev.some((e) => e.cat === 'kernel_worker' && e.tid === 2)).toBe(true) // a pool worker's track
    expect(new Set(ev.map((e) => e.ph))).toEqual(new Set(['M', 'B', 'E', 'i', 'X', 'C']))

    const ops = prof.opSummary()
    const lora = ops.find((o) => o.name === 'lora')!
    expect(lora.calls).toBe(2 * 2) // 2 steps x (layer 0's q/k/v in one call + the last layer's query)
    expect(lora.gflops_per_s).toBeGreaterThan(0)
    const layer = ops.find((o) => o.name === 'layer')!
    expect(layer.self_us).toBeLessThan(layer.total_us) // its ops are nested inside
    for (const o of ops) expect(o.share_of_step).toBeLessThanOrEqual(1)

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-prof-')), 'profile.trace.json')
    fs.writeFileSync(file, JSON.stringify(trace))
    const a = await analyzeTrace(file)
    expect(a.summary.events).toBe(ev.length)
    expect(a.summary.threads).toBeGreaterThanOrEqual(2)
    expect(a.ops.some((o) => o.name === 'layer0.attention')).toBe(true)
  } finally {
    k.setThreads(threads)
  }
})
