// One streaming pass over a trace: counts by phase and category, processes and
// threads, GPU kernel time, flows, the device; and the operator table that
// torch.profiler's key_averages prints (calls, total and self CPU time, and the
// device time of the kernels each op launched, found through the launch's
// correlation id) plus a kernel table. Only CPU ops, runtime calls and GPU
// activity are kept, as compact numbers, to build the tables.
import { GrowableF64, GrowableU32 } from './growable'
import { readTrace, type TraceEvent } from './read-trace'

export interface TraceSummary {
  events: number
  by_ph: Record<string, number>
  by_cat: Record<string, number>
  kernel_total_us: number
  processes: number
  threads: number
  device: string | null
  flows: { ac2g_start: number; ac2g_finish: number }
  display_time_unit: string | null
  gpu: GpuSummary | null // null: no GPU activity in the trace
}

// GPU idle time (per device: the span from its first to its last kernel/copy, minus the union of
// their intervals over all streams) and launch overhead (runtime launch call -> kernel start).
export interface GpuSummary {
  devices: { pid: string; window_us: number; busy_us: number; idle_us: number; idle_share: number }[]
  launches: number // kernels matched to their launch by correlation id
  launch_delay_us: { mean: number; median: number; max: number } | null // launch call start -> kernel start
  launch_call_us: { mean: number } | null // time spent in the launch call on the CPU
}

export interface OpRow {
  name: string
  calls: number
  total_us: number
  self_us: number
  avg_us: number
  device_us: number // time of the GPU work this op launched itself (not its children's)
  self_share: number // of all CPU-op self time
}

export interface KernelRow {
  name: string
  calls: number
  total_us: number
  avg_us: number
  share: number // of all kernel time
}

export interface TraceAnalysis {
  summary: TraceSummary
  ops: OpRow[]
  kernels: KernelRow[]
}

const GPU_CATS = new Set(['kernel', 'gpu_memcpy', 'gpu_memset'])
const LAUNCH_CATS = new Set(['cuda_runtime', 'cuda_driver'])

// A thread's CPU ops and runtime launches as columns (a few bytes each, not an object per event).
class SpanColumns {
  ts = new GrowableF64()
  end = new GrowableF64()
  name = new GrowableU32() // index into names
  op = new GrowableU32() // 1: cpu_op, 0: a runtime launch
  correlation = new GrowableF64()
}

// Intervals [start, end) as two columns.
class Intervals {
  start = new GrowableF64()
  end = new GrowableF64()
}

const inc = (m: Record<string, number>, k: string) => void (m[k] = (m[k] ?? 0) + 1)

// tap: sees every event of the same streaming pass (the timeline builder uses it).
export async function analyzeTrace(
  file: string,
  onProgress?: (bytes: number, total: number) => void,
  tap?: (e: TraceEvent) => void,
): Promise<TraceAnalysis> {
  const by_ph: Record<string, number> = {}
  const by_cat: Record<string, number> = {}
  const pids = new Set<string>()
  const threads = new Set<string>()
  const names: string[] = []
  const nameIds = new Map<string, number>()
  const nameId = (n: string) => nameIds.get(n) ?? (nameIds.set(n, names.length), names.push(n), names.length - 1)
  const spans = new Map<string, SpanColumns>() // per thread
  const deviceByCorrelation = new Map<number, number>()
  const kernels = new Map<string, { calls: number; total: number }>()
  let events = 0
  let kernelTotal = 0
  let ac2gStart = 0
  let ac2gFinish = 0
  const gpuIntervals = new Map<string, Intervals>() // per device pid
  const kernelStartByCorrelation = new Map<number, number>()
  const launchStartByCorrelation = new Map<number, number>()
  const launchDurByCorrelation = new Map<number, number>()

  const header = await readTrace(
    file,
    (e: TraceEvent) => {
      tap?.(e)
      events++
      const ph = e.ph ?? '(none)'
      const cat = e.cat ?? '(none)'
      inc(by_ph, ph)
      inc(by_cat, cat)
      // Processes and threads that have events (Kineto names every possible device in metadata).
      if (e.pid !== undefined && ph !== 'M') pids.add(String(e.pid))
      if (e.pid !== undefined && e.tid !== undefined && ph !== 'M') threads.add(`${e.pid}:${e.tid}`)
      if (cat === 'ac2g') ph === 's' ? ac2gStart++ : ph === 'f' && ac2gFinish++
      if (ph !== 'X' || typeof e.ts !== 'number') return
      const dur = typeof e.dur === 'number' ? e.dur : 0
      const correlation = Number(e.args?.correlation ?? -1)
      if (GPU_CATS.has(cat)) {
        const dev = String(e.pid)
        let list = gpuIntervals.get(dev)
        if (!list) gpuIntervals.set(dev, (list = new Intervals()))
        list.start.push(e.ts)
        list.end.push(e.ts + dur)
        if (cat === 'kernel' && correlation >= 0 && !kernelStartByCorrelation.has(correlation)) kernelStartByCorrelation.set(correlation, e.ts)
        if (cat === 'kernel') {
          kernelTotal += dur
          const k = kernels.get(e.name ?? '') ?? { calls: 0, total: 0 }
          k.calls++
          k.total += dur
          kernels.set(e.name ?? '', k)
        }
        if (correlation >= 0) deviceByCorrelation.set(correlation, (deviceByCorrelation.get(correlation) ?? 0) + dur)
        return
      }
      if (LAUNCH_CATS.has(cat) && correlation >= 0) {
        launchStartByCorrelation.set(correlation, e.ts)
        launchDurByCorrelation.set(correlation, dur)
      }
      if (cat !== 'cpu_op' && !LAUNCH_CATS.has(cat)) return
      const key = `${e.pid}:${e.tid}`
      let list = spans.get(key)
      if (!list) spans.set(key, (list = new SpanColumns()))
      list.ts.push(e.ts)
      list.end.push(e.ts + dur)
      list.name.push(nameId(e.name ?? ''))
      list.op.push(cat === 'cpu_op' ? 1 : 0)
      list.correlation.push(correlation)
    },
    onProgress,
  )

  // Nesting per thread: parents start first (and are longer on ties).
  const rows = new Map<number, { calls: number; total: number; self: number; device: number }>()
  const row = (n: number) => rows.get(n) ?? (rows.set(n, { calls: 0, total: 0, self: 0, device: 0 }), rows.get(n)!)
  for (const list of spans.values()) {
    const [ts, end, name, op, corr] = [list.ts.data, list.end.data, list.name.data, list.op.data, list.correlation.data]
    const order = Uint32Array.from({ length: list.ts.length }, (_, i) => i).sort((a, b) => ts[a] - ts[b] || end[b] - end[a] || a - b)
    const stack: number[] = [] // enclosing spans, innermost last
    for (const s of order) {
      while (stack.length && end[stack[stack.length - 1]] <= ts[s]) stack.pop()
      let parent = -1 // innermost enclosing CPU op
      for (let i = stack.length - 1; i >= 0 && parent < 0; i--) if (op[stack[i]]) parent = stack[i]
      if (op[s]) {
        const r = row(name[s])
        r.calls++
        r.total += end[s] - ts[s]
        r.self += end[s] - ts[s]
        if (parent >= 0) row(name[parent]).self -= end[s] - ts[s]
        stack.push(s)
      } else if (parent >= 0) {
        row(name[parent]).device += deviceByCorrelation.get(corr[s]) ?? 0
      }
    }
  }
  const selfTotal = [...rows.values()].reduce((a, r) => a + r.self, 0)
  const ops: OpRow[] = [...rows]
    .map(([n, r]) => ({
      name: names[n],
      calls: r.calls,
      total_us: r.total,
      self_us: r.self,
      avg_us: r.total / r.calls,
      device_us: r.device,
      self_share: selfTotal ? r.self / selfTotal : 0,
    }))
    .sort((a, b) => b.self_us - a.self_us)
  const kernelRows: KernelRow[] = [...kernels]
    .map(([name, k]) => ({ name, calls: k.calls, total_us: k.total, avg_us: k.total / k.calls, share: kernelTotal ? k.total / kernelTotal : 0 }))
    .sort((a, b) => b.total_us - a.total_us)
  const props = Array.isArray(header.deviceProperties) ? (header.deviceProperties as { name?: string }[]) : []
  return {
    summary: {
      events,
      by_ph,
      by_cat,
      kernel_total_us: kernelTotal,
      processes: pids.size,
      threads: threads.size,
      device: props.length ? props.map((p) => p.name ?? '?').join(', ') : null,
      flows: { ac2g_start: ac2gStart, ac2g_finish: ac2gFinish },
      display_time_unit: header.displayTimeUnit ?? null,
      gpu: gpuSummary(gpuIntervals, kernelStartByCorrelation, launchStartByCorrelation, launchDurByCorrelation),
    },
    ops,
    kernels: kernelRows,
  }
}

function gpuSummary(
  intervals: Map<string, Intervals>,
  kernelStart: Map<number, number>,
  launchStart: Map<number, number>,
  launchDur: Map<number, number>,
): GpuSummary | null {
  if (!intervals.size) return null
  const devices = [...intervals].map(([pid, list]) => {
    const [start, end] = [list.start.data, list.end.data]
    const order = Uint32Array.from({ length: list.start.length }, (_, i) => i).sort((a, b) => start[a] - start[b] || a - b)
    let busy = 0
    let last = -Infinity // the latest end so far
    let [cs, ce] = [start[order[0]], end[order[0]]]
    for (const i of order) {
      last = Math.max(last, end[i])
      if (start[i] > ce) {
        busy += ce - cs
        ;[cs, ce] = [start[i], end[i]]
      } else ce = Math.max(ce, end[i])
    }
    busy += ce - cs
    const window = last - start[order[0]]
    return { pid, window_us: window, busy_us: busy, idle_us: window - busy, idle_share: window ? (window - busy) / window : 0 }
  })
  const delays: number[] = []
  const calls: number[] = []
  for (const [corr, start] of kernelStart) {
    const ls = launchStart.get(corr)
    if (ls === undefined) continue
    delays.push(start - ls)
    calls.push(launchDur.get(corr)!)
  }
  delays.sort((a, b) => a - b)
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  return {
    devices,
    launches: delays.length,
    launch_delay_us: delays.length ? { mean: mean(delays), median: delays[Math.floor(delays.length / 2)], max: delays[delays.length - 1] } : null,
    launch_call_us: calls.length ? { mean: mean(calls) } : null,
  }
}
