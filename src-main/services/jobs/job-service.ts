// Starts jobs in child processes and turns their messages into database
// rows and events. The host process stays the only database writer; a job
// that dies (even by SIGKILL) leaves its run marked 'crashed' with whatever
// it had reported.
import fs from 'node:fs'
import path from 'node:path'
import type { JobSpec } from '../../contract/commands'
import type { ActiveJob } from '../../contract/types'
import type { Db } from '../../db/database'
import { addArtifact } from '../../db/artifacts'
import { insertMetric } from '../../db/metrics'
import { createRun, finishRun, markRunning, orphanedRuns, updateProgress } from '../../db/runs'
import type { JobToHost } from '../../jobs/protocol'
import type { EventBus } from '../events'
import type { JobProcess, JobSpawner } from './spawner'

interface LiveJob {
  runId: number
  kind: string
  proc: JobProcess
  startedAt: string
  cancelRequested: boolean
  finished: boolean
  killTimer: NodeJS.Timeout | null
}

// How long a cancelled job gets to stop on its own before it is killed.
const CANCEL_GRACE_MS = 5_000

export class JobService {
  private readonly live = new Map<number, LiveJob>()

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly spawn: JobSpawner,
    private readonly dataDir: string,
    // What the run records about the machine it ran on (CPU features, threads, kernel variant, versions).
    private readonly describeSystem: () => Record<string, unknown> = () => ({}),
  ) {}

  // Runs a previous host left running can never finish: mark them crashed.
  recoverOrphans(isAlive: (pid: number) => boolean = pidAlive): number[] {
    const ids = orphanedRuns(this.db, isAlive).filter((id) => !this.live.has(id))
    for (const id of ids) {
      finishRun(this.db, id, 'crashed', { error: 'The workbench stopped while this run was in progress.' })
    }
    return ids
  }

  start(spec: JobSpec, name?: string, sweepId?: number): number {
    const runId = createRun(this.db, {
      kind: spec.kind,
      name: name ?? ('name' in spec && spec.name ? spec.name : `${spec.kind} ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`),
      config: { ...(spec as unknown as Record<string, unknown>), system: this.describeSystem() },
      params: spec.params,
      sweepId: sweepId ?? null,
      hostPid: process.pid,
    })
    const proc = this.spawn(`tbw-job-${runId}`)
    const job: LiveJob = {
      runId,
      kind: spec.kind,
      proc,
      startedAt: new Date().toISOString(),
      cancelRequested: false,
      finished: false,
      killTimer: null,
    }
    this.live.set(runId, job)
    markRunning(this.db, runId, proc.pid)
    this.bus.emit('job.status', { runId, status: 'running', error: null })
    proc.onMessage((msg) => this.onMessage(job, msg))
    proc.onExit((code, signal) => this.onExit(job, code, signal))
    const runDir = path.join(this.dataDir, 'runs', String(runId))
    fs.mkdirSync(runDir, { recursive: true })
    proc.send({ type: 'start', runId, spec, runDir, dataDir: this.dataDir })
    return runId
  }

  cancel(runId: number): boolean {
    const job = this.live.get(runId)
    if (!job || job.finished) return false
    job.cancelRequested = true
    job.proc.send({ type: 'cancel' })
    job.killTimer = setTimeout(() => job.proc.kill(), CANCEL_GRACE_MS)
    return true
  }

  active(): ActiveJob[] {
    return [...this.live.values()].filter((j) => !j.finished).map((j) => ({ runId: j.runId, kind: j.kind, pid: j.proc.pid, startedAt: j.startedAt }))
  }

  // Host shutdown: every live job is killed and its run marked now, while the
  // database is still open.
  shutdown(): void {
    for (const job of this.live.values()) {
      this.finish(job, 'crashed', { error: 'The workbench was closed while this run was in progress.' })
      if (job.killTimer) clearTimeout(job.killTimer)
      job.proc.kill()
    }
    this.live.clear()
  }

  private onMessage(job: LiveJob, msg: JobToHost): void {
    const { runId } = job
    switch (msg.type) {
      case 'progress':
        updateProgress(this.db, runId, msg.fraction, msg.message, msg.etaSeconds)
        this.bus.emit('job.progress', { runId, ...withoutType(msg) })
        break
      case 'metric':
        insertMetric(this.db, { runId, key: msg.key, step: msg.step, value: msg.value, wallTime: msg.wallTime })
        this.bus.emit('job.metric', {
          runId,
          key: msg.key,
          step: msg.step,
          value: Number.isFinite(msg.value) ? msg.value : null,
          wallTime: msg.wallTime,
        })
        break
      case 'log':
        this.bus.emit('job.log', { runId, level: msg.level, message: msg.message })
        break
      case 'artifact':
        try {
          addArtifact(this.db, runId, msg.kind, msg.path)
          this.bus.emit('runs.changed', { runId })
        } catch (err) {
          this.bus.emit('job.log', { runId, level: 'warn', message: `artifact ${msg.path} not recorded: ${(err as Error).message}` })
        }
        break
      case 'done':
        this.finish(job, 'completed', { summary: msg.summary })
        break
      case 'failed':
        this.finish(job, 'failed', { error: msg.error })
        break
      case 'cancelled':
        this.finish(job, 'cancelled', {})
        break
    }
  }

  private onExit(job: LiveJob, code: number | null, signal: string | null): void {
    if (job.killTimer) clearTimeout(job.killTimer)
    this.live.delete(job.runId)
    if (job.finished) return
    if (job.cancelRequested) {
      this.finish(job, 'cancelled', {})
      return
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
    this.finish(job, 'crashed', { error: `The job process ${how} before finishing; metrics up to then are kept.` })
  }

  private finish(job: LiveJob, status: 'completed' | 'failed' | 'cancelled' | 'crashed', f: { error?: string; summary?: Record<string, unknown> }): void {
    if (job.finished) return
    job.finished = true
    finishRun(this.db, job.runId, status, f)
    this.bus.emit('job.status', { runId: job.runId, status, error: f.error ?? null })
  }
}

function withoutType<T extends { type: string }>(msg: T): Omit<T, 'type'> {
  const { type: _type, ...rest } = msg
  return rest
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
