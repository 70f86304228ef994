import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { testServices, tempDataDir, waitForEvent } from '../../../test-support/services'
import type { AppServices } from '../app-services'

const open: AppServices[] = []
function services(dir: string): AppServices {
  const s = testServices(dir)
  open.push(s)
  return s
}
afterEach(() => {
  for (const s of open.splice(0)) {
    try {
      s.close()
    } catch {
      // already closed by the test
    }
  }
})

const statusIs = (runId: number, status: string) => (e: { name: string; payload: unknown }) =>
  e.name === 'job.status' && (e.payload as { runId: number; status: string }).runId === runId &&
  (e.payload as { status: string }).status === status

describe('job service', () => {
  it('runs the engine self-test in a child process with progress, ETA and metrics', async () => {
    const s = services(tempDataDir('jobs'))
    const progress: number[] = []
    const etas: (number | null)[] = []
    s.bus.subscribe((e) => {
      if (e.name === 'job.progress') {
        progress.push(e.payload.fraction)
        etas.push(e.payload.etaSeconds)
      }
    })
    const { runId } = await s.call('jobs.start', { kind: 'engine-selftest', params: { steps: 5, intervalMs: 10, vectorLength: 4099 } })
    const active = await s.call('jobs.active')
    expect(active.map((j) => j.runId)).toContain(runId)
    expect(active[0].pid).not.toBe(process.pid)
    await waitForEvent(s, statusIs(runId, 'completed'))

    expect(progress).toEqual([0.2, 0.4, 0.6, 0.8, 1])
    expect(etas.at(-1)).toBe(0)
    expect(etas[0]).not.toBeNull()
    const run = await s.call('runs.get', { id: runId })
    expect(run.status).toBe('completed')
    expect(run.progress).toBe(1)
    expect(run.summary.maxRelError).toBeLessThanOrEqual(1e-5)
    expect(run.params).toEqual({ steps: 5, intervalMs: 10, vectorLength: 4099 })
    expect(run.metricKeys).toContain('max_rel_error')
    const [series] = await s.call('runs.metrics', { runId, keys: ['max_rel_error'] })
    expect(series.points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5])
  })

  it('cancels a running job and marks the run cancelled', async () => {
    const s = services(tempDataDir('cancel'))
    const { runId } = await s.call('jobs.start', { kind: 'engine-selftest', params: { steps: 1000, intervalMs: 50, vectorLength: 64 } })
    await waitForEvent(s, (e) => e.name === 'job.progress' && e.payload.runId === runId)
    expect(await s.call('jobs.cancel', { runId })).toEqual({ cancelled: true })
    await waitForEvent(s, statusIs(runId, 'cancelled'))
    const run = await s.call('runs.get', { id: runId })
    expect(run.status).toBe('cancelled')
    expect(run.progress).toBeLessThan(1)
    expect(await s.call('jobs.active')).toEqual([])
  })

  it('a job killed with SIGKILL leaves the host running and the run crashed with its metrics, which survive a restart', async () => {
    const dir = tempDataDir('crash')
    const s = services(dir)
    const { runId } = await s.call('jobs.start', { kind: 'engine-selftest', params: { steps: 1000, intervalMs: 30, vectorLength: 256 } })
    // Wait until a few steps were reported, then kill the child the hard way.
    await waitForEvent(s, (e) => e.name === 'job.metric' && e.payload.runId === runId && e.payload.key === 'max_rel_error' && e.payload.step >= 3)
    const [job] = await s.call('jobs.active')
    process.kill(job.pid!, 'SIGKILL')
    const ev = await waitForEvent(s, statusIs(runId, 'crashed'))
    expect((ev.payload as { error: string }).error).toMatch(/SIGKILL/)

    const before = await s.call('runs.metrics', { runId, keys: ['max_rel_error'] })
    const reported = before[0].points.length
    expect(reported).toBeGreaterThanOrEqual(3)
    // The host still serves commands after the crash.
    expect((await s.call('runs.list', {})).map((r) => r.id)).toContain(runId)
    s.close()

    // A restart (a new host on the same data directory) sees the same run and metrics.
    const again = services(dir)
    const run = await again.call('runs.get', { id: runId })
    expect(run.status).toBe('crashed')
    expect(run.error).toMatch(/SIGKILL/)
    const after = await again.call('runs.metrics', { runId, keys: ['max_rel_error'] })
    expect(after[0].points.length).toBe(reported)
    expect(after[0].points.map((p) => p.step)).toEqual(before[0].points.map((p) => p.step))
  })

  it('marks runs of a host that died as crashed at the next start, but not runs of a live host', async () => {
    const dir = tempDataDir('orphans')
    const s = services(dir)
    const insert = s.db.prepare(
      `INSERT INTO runs (kind, name, status, host_pid, created_at) VALUES ('engine-selftest', 'x', 'running', ?, '2026-01-01')`,
    )
    const deadHost = Number(insert.run(2 ** 22 + 12345).lastInsertRowid)
    const liveHost = Number(insert.run(process.pid).lastInsertRowid)
    s.close()
    const again = services(dir)
    expect((await again.call('runs.get', { id: deadHost })).status).toBe('crashed')
    expect((await again.call('runs.get', { id: liveHost })).status).toBe('running')
    expect(fs.existsSync(dir)).toBe(true)
  })
})
