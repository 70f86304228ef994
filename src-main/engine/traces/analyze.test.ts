// The trace reader and analyzer on the real traces in ../shared/data/traces.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { sharedData, tempDataDir } from '../../../test-support/services'
import { analyzeTrace } from './analyze'

const TRACES = sharedData('traces')

describe('trace import', () => {
  it('summarizes the seed study trace: 3,263 events, 453 CPU ops, 87 kernels of about 1.19 ms, 90/92 ac2g flows, a Tesla T4', async () => {
    const progress: number[] = []
    const a = await analyzeTrace(path.join(TRACES, 'fine_tuned_profiler.pt.trace.json'), (bytes) => progress.push(bytes))
    expect(a.summary).toMatchObject({
      events: 3263,
      by_ph: { X: 2775, i: 240, s: 90, f: 92, M: 66 },
      by_cat: { cpu_op: 453, kernel: 87, python_function: 2139, cpu_instant_event: 238, cuda_runtime: 94, ac2g: 182, gpu_memcpy: 1 },
      flows: { ac2g_start: 90, ac2g_finish: 92 },
      device: 'Tesla T4',
      display_time_unit: 'ms',
    })
    expect(a.summary.kernel_total_us).toBeCloseTo(1185.906, 2)
    // Batch-1 inference on a T4 is launch-bound: the GPU idles over 90% of its active window.
    const gpu = a.summary.gpu!
    expect(gpu.launches).toBe(87)
    expect(gpu.devices).toHaveLength(1)
    expect(gpu.devices[0].busy_us).toBeGreaterThanOrEqual(1185.9) // kernels plus the one memcpy, overlaps counted once
    expect(gpu.devices[0].busy_us).toBeLessThan(1185.906 + 5)
    expect(gpu.devices[0].idle_share).toBeGreaterThan(0.9)
    expect(gpu.launch_delay_us!.median).toBeGreaterThan(0)
    expect(gpu.launch_delay_us!.max).toBeGreaterThanOrEqual(gpu.launch_delay_us!.median)
    expect(progress.at(-1)).toBe(915_832)
    // key_averages-style: ops by self CPU time; addmm launched the GEMM kernels.
    const addmm = a.ops.find((o) => o.name === 'aten::addmm')!
    expect(addmm.calls).toBe(26)
    expect(addmm.device_us).toBeGreaterThan(0)
    expect(a.ops.reduce((s, o) => s + o.calls, 0)).toBe(453)
    expect(a.kernels.reduce((s, k) => s + k.calls, 0)).toBe(87)
    expect(a.kernels.some((k) => k.name.includes('fmha_cutlassF_f32_aligned_64x64_rf_sm75'))).toBe(true)
    for (const o of a.ops) expect(o.self_us).toBeLessThanOrEqual(o.total_us + 1e-6)
  })

  it('reads gzipped, nanosecond-unit, TensorFlow and bare-array traces', async () => {
    const hta = await analyzeTrace(path.join(TRACES, 'rank-0.Apr_03_18_51_38.1102.pt.trace.json.gz'))
    expect(hta.summary).toMatchObject({ events: 68_692, display_time_unit: 'ns' })
    expect(hta.summary.by_cat.kernel).toBe(4350)
    const tf = await analyzeTrace(path.join(TRACES, 'aoberai.trace.json.gz'))
    expect(tf.summary.events).toBe(765) // including the trailing empty {} event
    expect(tf.summary.by_cat).toEqual({ '(none)': 765 })
    const dir = tempDataDir('traces')
    const bare = path.join(dir, 'bare.json')
    fs.writeFileSync(bare, JSON.stringify([{ ph: 'X', name: 'a', pid: 1, tid: 1, ts: 0, dur: 5, cat: 'cpu_op' }, { ph: 'i', name: 'b', pid: 1, tid: 2, ts: 1 }]))
    expect((await analyzeTrace(bare)).summary).toMatchObject({ events: 2, processes: 1, threads: 2 })
    fs.writeFileSync(`${bare}.gz`, zlib.gzipSync(fs.readFileSync(bare)))
    expect((await analyzeTrace(`${bare}.gz`)).summary.events).toBe(2)
  })

  it('refuses files that are not traces, with the reason and position', async () => {
    const dir = tempDataDir('bad-traces')
    const write = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name))
    await expect(analyzeTrace(write('csv.json', 'a,b\n1,2\n'))).rejects.toThrow(/csv\.json: not a trace: it starts with "a", not a JSON object or array \(position 0\)/)
    await expect(analyzeTrace(write('cut.json', '{"traceEvents": [{"ph": "X", "name": "a"}, {"ph": '))).rejects.toThrow(/cut\.json: not a trace: .*(ends early|end)/)
    await expect(analyzeTrace(write('bad.json', '{"traceEvents": [{"ph": "X"} {"ph": "i"}]}'))).rejects.toThrow(/bad\.json: not a trace: .*position 29/)
    await expect(analyzeTrace(write('empty-events.json', '{"traceEvents": []}'))).rejects.toThrow(/no traceEvents/)
    await expect(analyzeTrace(write('numbers.json', '{"traceEvents": [1, 2]}'))).rejects.toThrow(/event 0 is not an object/)
    await expect(analyzeTrace(path.join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: no such file/)
  })
})
