// Shared setup of the Node hosts (web host and CLI): data directory, the job
// worker from the build, and the services.
import fs from 'node:fs'
import path from 'node:path'
import type { SystemInfo } from '../contract/types'
import { packageRoot } from '../engine/package-root'
import { AppServices } from '../services/app-services'
import { defaultDataDir } from '../services/data-dir'
import { nodeForkSpawner } from '../services/jobs/spawner'

export function builtWorkerScript(): string {
  const script = path.join(packageRoot(), 'out', 'main', 'job-worker.js')
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first.`)
  return script
}

export function rendererDir(): string {
  return path.join(packageRoot(), 'out', 'renderer')
}

export function createNodeServices(host: SystemInfo['host'], dataDir?: string): AppServices {
  return new AppServices({
    dataDir: dataDir ? path.resolve(dataDir) : defaultDataDir(),
    host,
    spawner: nodeForkSpawner({ script: builtWorkerScript() }),
  })
}
