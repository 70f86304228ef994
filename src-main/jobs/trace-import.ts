// The trace-import job: a streaming pass over a Chrome/Kineto trace with
// progress, returning the summary and the operator and kernel tables (stored
// as the run's summary; `tbw trace top ID` and the Traces page read them).
import fs from 'node:fs'
import path from 'node:path'
import { analyzeTrace, type TraceAnalysis } from '../engine/traces/analyze'
import type { TimelineMeta } from '../engine/traces/timeline-format'
import { TimelineWriter } from '../engine/traces/timeline-write'
import type { JobContext } from './job-context'

const TABLE_ROWS = 500

export async function runTraceImport(ctx: JobContext, p: { file: string; sourceRunId?: number }): Promise<Record<string, unknown>> {
  const file = path.resolve(p.file)
  const began = Date.now()
  let last = 0
  // The timeline beside the run, for the Traces page: written under a temporary name, renamed when whole.
  const timelineDir = path.join(ctx.runDir, 'timeline')
  const tmp = `${timelineDir}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  const timeline = new TimelineWriter(tmp)
  let a: TraceAnalysis
  let meta: TimelineMeta
  try {
    a = await analyzeTrace(
      file,
      (bytes, total) => {
        const now = Date.now()
        if (now - last < 200 && bytes < total) return
        last = now
        ctx.checkpoint()
        ctx.progress(bytes / total, `${(bytes / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB read`)
      },
      (e) => timeline.addTraceEvent(e),
    )
    ctx.progress(1, 'writing the timeline')
    meta = timeline.finish()
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true }) // a failed or cancelled import leaves no half-written timeline
    throw err
  }
  fs.rmSync(timelineDir, { recursive: true, force: true })
  fs.renameSync(tmp, timelineDir)
  ctx.artifact('timeline', timelineDir)
  ctx.log(`timeline: ${meta.events.toLocaleString('en-US')} slices on ${meta.tracks.length} tracks, ${meta.counters.length} counter tracks, ${meta.flows.count.toLocaleString('en-US')} flows`)
  ctx.log(`${path.basename(file)}: ${a.summary.events.toLocaleString('en-US')} events, ${a.ops.length} operators, ${a.kernels.length} kernels`)
  return {
    file,
    bytes: fs.statSync(file).size,
    timeline: timelineDir,
    source_run: p.sourceRunId ?? null,
    summary: a.summary,
    ops: a.ops.slice(0, TABLE_ROWS),
    kernels: a.kernels.slice(0, TABLE_ROWS),
    // What the import cost this job process (the scale benchmark quotes them).
    import_seconds: (Date.now() - began) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  }
}
