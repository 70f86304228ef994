// Test helpers: a fresh data directory and services that fork the job worker
// from its TypeScript source (through tsx), exactly as the built hosts do.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { AppServices } from '../src-main/services/app-services'
import type { AppEvent } from '../src-main/contract/events'
import { nodeForkSpawner, type WorkerEntry } from '../src-main/services/jobs/spawner'

export const REPO_ROOT = path.resolve(__dirname, '..')

export const SOURCE_WORKER: WorkerEntry = {
  script: path.join(REPO_ROOT, 'src-main', 'jobs', 'worker.ts'),
  execArgv: ['--import', 'tsx'],
}

export function tempDataDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tbw-test-${label}-`))
}

export function testServices(dataDir: string): AppServices {
  return new AppServices({ dataDir, host: 'cli', spawner: nodeForkSpawner(SOURCE_WORKER) })
}

// Resolves with the first event that matches, or rejects after timeoutMs.
export function waitForEvent(
  services: AppServices,
  match: (e: AppEvent) => boolean,
  timeoutMs = 30_000,
): Promise<AppEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no matching event within ${timeoutMs} ms`))
    }, timeoutMs)
    const off = services.bus.subscribe((e) => {
      if (match(e)) {
        clearTimeout(timer)
        off()
        resolve(e)
      }
    })
  })
}

// The real files users bring: ../shared/data beside the checkout (or /work/shared/data
// on these machines when the checkout lives elsewhere); TBW_SHARED_DATA overrides.
export function sharedData(...parts: string[]): string {
  const candidates = process.env.TBW_SHARED_DATA
    ? [process.env.TBW_SHARED_DATA]
    : [path.resolve(REPO_ROOT, '..', 'shared', 'data'), '/work/shared/data']
  const root = candidates.find((c) => fs.existsSync(c))
  if (!root) throw new Error(`shared test data not found (looked in ${candidates.join(', ')}; set TBW_SHARED_DATA)`)
  return path.join(root, ...parts)
}
