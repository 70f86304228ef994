// Job processes under Electron: utilityProcess (a Node child that Electron
// manages), with the same JobProcess surface as the Node fork spawner.
import { utilityProcess } from 'electron'
import type { JobToHost } from '../jobs/protocol'
import type { JobSpawner } from '../services/jobs/spawner'

export function electronUtilitySpawner(script: string): JobSpawner {
  return (label) => {
    const child = utilityProcess.fork(script, [label], { serviceName: label, stdio: 'inherit' })
    let exited: number | null | undefined
    let exitCb: ((code: number | null, signal: string | null) => void) | null = null
    child.on('exit', (code) => {
      exited = code
      exitCb?.(code, null)
    })
    return {
      get pid() {
        return child.pid ?? null
      },
      send: (msg) => child.postMessage(msg),
      kill: () => void child.kill(),
      onMessage: (cb) => child.on('message', (m: unknown) => cb(m as JobToHost)),
      onExit: (cb) => {
        exitCb = cb
        if (exited !== undefined) cb(exited, null)
      },
    }
  }
}
