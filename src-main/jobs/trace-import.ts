// The trace-import job: a streaming pass over a Chrome/Kineto trace with
// progress, returning the summary and the operator and kernel tables (stored
// as the run's summary; `tbw trace top ID` and the Traces page read them).
import fs from 'node:fs'
import path from 'node:path'
import { writeFileAtomic } from '../engine/bert/safetensors'
import { analyzeTrace } from '../engine/traces/analyze'
import { TIMELINE_MAX_EVENTS, TimelineBuilder } from '../engine/traces/timeline'
import type { JobContext } from './job-context'

const TABLE_ROWS = 500

export async function runTraceImport(ctx: JobContext, p: { file: string }): Promise<Record<string, unknown>> {
  const file = path.resolve(p.file)
  let last = 0
  const timeline = new TimelineBuilder()
  const a = await analyzeTrace(
    file,
    (bytes, total) => {
      const now = Date.now()
      if (now - last < 200 && bytes < total) return
      last = now
      ctx.checkpoint()
      ctx.progress(bytes / total, `${(bytes / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB read`)
    },
    (e) => timeline.add(e),
  )
  // The timeline beside the run, for the Traces page (too many events: summary and tables only).
  let timelineFile: string | null = null
  if (timeline.overflow) ctx.log(`more than ${TIMELINE_MAX_EVENTS.toLocaleString('en-US')} complete events: no timeline, summary and tables only`, 'warn')
  else {
    timelineFile = path.join(ctx.runDir, 'timeline.json')
    writeFileAtomic(timelineFile, JSON.stringify(timeline.build()))
    ctx.artifact('timeline', timelineFile)
  }
  ctx.log(`${path.basename(file)}: ${a.summary.events.toLocaleString('en-US')} events, ${a.ops.length} operators, ${a.kernels.length} kernels`)
  return {
    file,
    bytes: fs.statSync(file).size,
    timeline: timelineFile,
    summary: a.summary,
    ops: a.ops.slice(0, TABLE_ROWS),
    kernels: a.kernels.slice(0, TABLE_ROWS),
  }
}
