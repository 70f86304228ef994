// Start a job and wait for its end, drawing its progress bar on a terminal.
import type { z } from 'zod'
import type { JobSpec } from '../../contract/commands'
import type { AppServices } from '../../services/app-services'
import { progressBar } from './format'

export async function runJobToEnd(s: AppServices, spec: z.input<typeof JobSpec>, o: { progress: boolean }): Promise<{ runId: number; status: string; error: string | null }> {
  const { runId } = await s.call('jobs.start', spec)
  const tty = o.progress && process.stdout.isTTY
  const end = await new Promise<{ status: string; error: string | null }>((resolve) => {
    s.bus.subscribe((e) => {
      if (e.name === 'job.progress' && e.payload.runId === runId && tty) process.stdout.write(`\r${progressBar(e.payload.fraction, e.payload.etaSeconds, e.payload.message)}\x1b[K`)
      if (e.name === 'job.status' && e.payload.runId === runId && e.payload.status !== 'running') resolve(e.payload)
    })
  })
  if (tty) process.stdout.write('\n')
  return { runId, ...end }
}
