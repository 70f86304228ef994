// How a host starts a job process. Node hosts fork; the Electron host uses
// utilityProcess (hosts/electron-job-spawner.ts). Both look the same here.
import { fork } from 'node:child_process'
import type { HostToJob, JobToHost } from '../../jobs/protocol'

export interface JobProcess {
  readonly pid: number | null
  send(msg: HostToJob): void
  kill(): void
  onMessage(cb: (msg: JobToHost) => void): void
  // Called once when the process is gone: exit code, or the signal that killed it.
  onExit(cb: (code: number | null, signal: string | null) => void): void
}

export type JobSpawner = (label: string) => JobProcess

export interface WorkerEntry {
  // The job worker script (out/main/job-worker.js when built, the .ts source in tests).
  script: string
  // Extra Node flags, e.g. ['--import', 'tsx'] to run the TypeScript source.
  execArgv?: string[]
}

export function nodeForkSpawner(entry: WorkerEntry): JobSpawner {
  return (label) => {
    const child = fork(entry.script, [label], {
      execArgv: entry.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    let exitCb: ((code: number | null, signal: string | null) => void) | null = null
    let exited: [number | null, string | null] | null = null
    child.on('exit', (code, signal) => {
      exited = [code, signal]
      exitCb?.(code, signal)
    })
    child.on('error', () => {
      // A failed spawn also emits 'exit' (or never started): report it as an exit.
      if (!exited) {
        exited = [null, 'SPAWN_FAILED']
        exitCb?.(null, 'SPAWN_FAILED')
      }
    })
    return {
      pid: child.pid ?? null,
      send: (msg) => {
        if (child.connected) child.send(msg)
      },
      kill: () => child.kill('SIGKILL'),
      onMessage: (cb) => child.on('message', (m) => cb(m as JobToHost)),
      onExit: (cb) => {
        exitCb = cb
        if (exited) cb(...exited)
      },
    }
  }
}
