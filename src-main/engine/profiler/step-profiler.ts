// Records a window of steps (training steps, eval batches, bench calls) like torch.profiler's
// schedule (wait, warmup, active): the
// native kernels' events (each op with its shape and FLOPs on the calling thread, each pool
// worker's share on its own track) and the engine's own spans (steps, evaluation, checkpoints),
// turned into a Chrome Trace Event file (Perfetto opens it) and an operator summary.
import { loadKernels, type ProfilerEvent } from '../addon'
import { writeFileAtomic } from '../bert/safetensors'

export interface ProfileSchedule {
  wait: number
  warmup: number
  active: number
}

export interface ProfileOpRow {
  name: string // op kind: matmul, lora, flash_attention, layernorm, ...
  calls: number
  total_us: number
  self_us: number
  avg_us: number
  share_of_step: number // total / the active steps' wall time
  gflops_per_s: number | null // null where FLOPs are not counted
}

interface JsSpan {
  name: string
  step?: boolean // a whole step (drawn as B/E with a step marker; the op shares are of these)
  startNs: number
  durNs: number
  args?: Record<string, unknown>
}

type TraceEvent = Record<string, unknown>

const MAIN_TID = 1 // the JS main thread, which is also the kernels' calling thread

export class StepProfiler {
  private readonly k = loadKernels()
  private events: ProfilerEvent[] = []
  private spans: JsSpan[] = []
  private counters: { ns: number; rssMb: number; heapMb: number }[] = []
  private stepStart = new Map<number, number>()
  private index = -1
  private recording = false
  private done = false

  constructor(
    readonly schedule: ProfileSchedule,
    readonly stepName = 'train step', // what one step is: 'eval batch', 'bench call'
  ) {
    if (schedule.active < 1) throw new Error('profile: active must be at least 1 step')
  }

  private phase(i: number): 'wait' | 'warmup' | 'active' | 'done' {
    const { wait, warmup, active } = this.schedule
    return i < wait ? 'wait' : i < wait + warmup ? 'warmup' : i < wait + warmup + active ? 'active' : 'done'
  }

  private counter(): void {
    const m = process.memoryUsage()
    this.counters.push({ ns: this.k.profilerNowNs(), rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 })
  }

  stepBegin(step: number): void {
    this.index++
    const p = this.phase(this.index)
    if (p === 'warmup' && this.phase(this.index - 1) !== 'warmup') this.k.profilerStart()
    if (p === 'active' && !this.recording) {
      this.k.profilerStart() // warm-up events are dropped here
      this.recording = true
    }
    if (this.recording) {
      this.counter()
      this.stepStart.set(step, this.k.profilerNowNs())
    }
  }

  stepEnd(step: number): void {
    if (!this.recording) return
    const start = this.stepStart.get(step)!
    this.spans.push({ name: `${this.stepName} ${step}`, step: true, startNs: start, durNs: this.k.profilerNowNs() - start, args: { step } })
    this.counter()
    if (this.phase(this.index + 1) !== 'active') {
      this.events = this.k.profilerStop()
      this.recording = false
      this.done = true
    }
  }

  // A span of the engine's own work (evaluation, checkpoint) inside a recorded step.
  span<T>(name: string, fn: () => T): T {
    if (!this.recording) return fn()
    const start = this.k.profilerNowNs()
    try {
      return fn()
    } finally {
      this.spans.push({ name, startNs: start, durNs: this.k.profilerNowNs() - start })
    }
  }

  get finished(): boolean {
    return this.done
  }

  // The trace in Chrome Trace Event JSON, timestamps in µs from the first recorded step.
  chromeTrace(meta: Record<string, unknown> = {}): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms'; otherData: Record<string, unknown> } {
    const t0 = [...this.spans, ...this.events].reduce((m, e) => Math.min(m, e.startNs), Infinity)
    const us = (ns: number) => (ns - t0) / 1000
    const workers = [...new Set(this.events.map((e) => e.thread))].filter((t) => t > 0).sort((a, b) => a - b)
    const out: TraceEvent[] = [
      { ph: 'M', name: 'process_name', pid: 1, tid: 0, args: { name: 'tinybert-workbench job' } },
      { ph: 'M', name: 'thread_name', pid: 1, tid: MAIN_TID, args: { name: 'main thread (engine + kernel calls)' } },
      { ph: 'M', name: 'thread_sort_index', pid: 1, tid: MAIN_TID, args: { sort_index: 0 } },
      ...workers.flatMap((w) => [
        { ph: 'M', name: 'thread_name', pid: 1, tid: MAIN_TID + w, args: { name: `kernel worker ${w}` } },
        { ph: 'M', name: 'thread_sort_index', pid: 1, tid: MAIN_TID + w, args: { sort_index: w } },
      ]),
    ]
    for (const s of this.spans) {
      if (s.step) {
        out.push({ ph: 'B', name: s.name, cat: 'user_annotation', pid: 1, tid: MAIN_TID, ts: us(s.startNs), args: s.args ?? {} })
        out.push({ ph: 'E', name: s.name, cat: 'user_annotation', pid: 1, tid: MAIN_TID, ts: us(s.startNs + s.durNs) })
        out.push({ ph: 'i', s: 't', name: `step ${String(s.args?.step)}`, cat: 'step', pid: 1, tid: MAIN_TID, ts: us(s.startNs) })
      } else out.push({ ph: 'X', name: s.name, cat: 'user_annotation', pid: 1, tid: MAIN_TID, ts: us(s.startNs), dur: s.durNs / 1000 })
    }
    for (const e of this.events) {
      const args: Record<string, unknown> = { op: e.op, dims: e.dims }
      if (e.flops > 0) Object.assign(args, { flops: e.flops, gflops_per_s: e.durNs > 0 ? Number((e.flops / e.durNs).toFixed(2)) : null })
      out.push({ ph: 'X', name: e.thread > 0 ? `${e.name} (worker)` : e.name, cat: e.thread > 0 ? 'kernel_worker' : 'cpu_op', pid: 1, tid: MAIN_TID + e.thread, ts: us(e.startNs), dur: e.durNs / 1000, args })
    }
    for (const c of this.counters) out.push({ ph: 'C', name: 'memory', pid: 1, tid: MAIN_TID, ts: us(c.ns), args: { rss_mb: Number(c.rssMb.toFixed(1)), js_heap_mb: Number(c.heapMb.toFixed(1)) } })
    return { traceEvents: out, displayTimeUnit: 'ms', otherData: { producer: 'tinybert-workbench', schedule: this.schedule, ...meta } }
  }

  // key_averages-style rows over the calling thread's native ops, by op kind: self time excludes
  // the ops nested inside (a layer's matmuls inside the layer).
  opSummary(): ProfileOpRow[] {
    const main = this.events.filter((e) => e.thread === 0).sort((a, b) => a.startNs - b.startNs || b.durNs - a.durNs)
    const self = main.map((e) => e.durNs)
    const stack: number[] = []
    main.forEach((e, i) => {
      while (stack.length && main[stack[stack.length - 1]].startNs + main[stack[stack.length - 1]].durNs <= e.startNs) stack.pop()
      if (stack.length) self[stack[stack.length - 1]] -= e.durNs
      stack.push(i)
    })
    const stepNs = this.spans.filter((s) => s.step).reduce((a, s) => a + s.durNs, 0)
    const rows = new Map<string, { calls: number; total: number; self: number; flops: number }>()
    main.forEach((e, i) => {
      const r = rows.get(e.op) ?? { calls: 0, total: 0, self: 0, flops: 0 }
      r.calls++
      r.total += e.durNs
      r.self += self[i]
      r.flops += e.flops
      rows.set(e.op, r)
    })
    return [...rows.entries()]
      .map(([name, r]) => ({
        name,
        calls: r.calls,
        total_us: r.total / 1000,
        self_us: r.self / 1000,
        avg_us: r.total / 1000 / r.calls,
        share_of_step: stepNs > 0 ? r.total / stepNs : 0,
        gflops_per_s: r.flops > 0 ? r.flops / r.total : null,
      }))
      .sort((a, b) => b.self_us - a.self_us)
  }
}

export interface SavedProfile {
  trace: string | null // null: the window never completed (too few steps)
  schedule: ProfileSchedule
  ops: ProfileOpRow[]
}

// The recorded window as a Chrome trace file (written whole or not at all) and its operator summary.
export function saveProfile(profiler: StepProfiler, file: string, meta: Record<string, unknown> = {}): SavedProfile {
  if (!profiler.finished) return { trace: null, schedule: profiler.schedule, ops: [] }
  writeFileAtomic(file, JSON.stringify(profiler.chromeTrace(meta)))
  return { trace: file, schedule: profiler.schedule, ops: profiler.opSummary() }
}
