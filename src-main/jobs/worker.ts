// Entry point of a job process. Runs under Node's child_process.fork (IPC via
// process.send) or Electron's utilityProcess (IPC via process.parentPort).
import { JobSpec } from '../contract/commands'
import { JobCancelled, JobContext } from './job-context'
import type { HostToJob, JobToHost } from './protocol'
import { runFinetune } from './finetune'
import { isBenchChild, runBenchChild } from '../engine/bench/bench-matrix'
import { runBench } from './bench'
import { runEval } from './eval'
import { runExport } from './export'
import { runQuantize } from './quantize'
import { runSizeReport } from './size-report'
import { runTraceImport } from './trace-import'
import { runSelfTest } from './selftest'

interface ParentPort {
  postMessage(msg: unknown): void
  on(event: 'message', cb: (e: { data: unknown }) => void): void
}

interface Channel {
  send(m: JobToHost): void
  // Sends the last message, then exits once it has left the process.
  sendAndExit(m: JobToHost): void
  onMessage(cb: (m: HostToJob) => void): void
}

function channel(): Channel {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      sendAndExit: (m) => {
        parentPort.postMessage(m)
        setImmediate(() => process.exit(0))
      },
      onMessage: (cb) => parentPort.on('message', (e) => cb(e.data as HostToJob)),
    }
  }
  const send = process.send?.bind(process)
  if (!send) throw new Error('job worker started without an IPC channel')
  return {
    send: (m) => void send(m),
    sendAndExit: (m) => void send(m, undefined, undefined, () => process.exit(0)),
    onMessage: (cb) => process.on('message', (m) => cb(m as HostToJob)),
  }
}

async function runJob(ctx: JobContext, spec: JobSpec): Promise<Record<string, unknown>> {
  switch (spec.kind) {
    case 'engine-selftest':
      return runSelfTest(ctx, spec.params)
    case 'finetune':
      return runFinetune(ctx, spec.params)
    case 'trace-import':
      return runTraceImport(ctx, spec.params)
    case 'quantize':
      return runQuantize(ctx, spec.params)
    case 'export':
      return runExport(ctx, spec.params)
    case 'bench':
      return runBench(ctx, spec.params)
    case 'size-report':
      return runSizeReport(ctx, spec.params)
    case 'eval':
      return runEval(ctx, spec.params)
  }
}

function startJobHost(): void {
  const io = channel()
  let ctx: JobContext | null = null
  io.onMessage((msg) => {
    if (msg.type === 'cancel') {
      ctx?.requestCancel()
      return
    }
    if (msg.type !== 'start' || ctx) return
    const spec = JobSpec.safeParse(msg.spec)
    if (!spec.success) {
      io.sendAndExit({ type: 'failed', error: `invalid job spec: ${spec.error.message}` })
      return
    }
    ctx = new JobContext(msg.runId, (m) => io.send(m), msg.runDir, msg.dataDir)
    runJob(ctx, spec.data).then(
      (summary) => io.sendAndExit({ type: 'done', summary }),
      (err: unknown) =>
        io.sendAndExit(err instanceof JobCancelled ? { type: 'cancelled' } : { type: 'failed', error: (err as Error).message ?? String(err) }),
    )
  })
}

// A bench variant runs in a fork of this script (engine/bench/bench-matrix.ts).
if (isBenchChild()) runBenchChild()
else startJobHost()
