// What `tbw doctor` and the status bar show: versions, CPU, kernels, data dir.
import Database from 'better-sqlite3'
import os from 'node:os'
import type { SystemInfo } from '../../contract/types'
import { kernelCapabilities } from '../../engine/addon'
import { appVersion } from '../../engine/package-root'

let sqliteVersion: string | null = null

function sqlite(): string {
  if (!sqliteVersion) {
    const mem = new Database(':memory:')
    sqliteVersion = (mem.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v
    mem.close()
  }
  return sqliteVersion
}

export function systemInfo(dataDir: string, host: SystemInfo['host']): SystemInfo {
  const cpus = os.cpus()
  return {
    app: { name: 'TinyBERT Workbench', version: appVersion() },
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      electron: process.versions.electron ?? null,
      sqlite: sqlite(),
      modules: process.versions.modules,
    },
    platform: {
      os: process.platform,
      arch: process.arch,
      release: os.release(),
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      cores: cpus.length,
      memoryBytes: os.totalmem(),
    },
    kernels: kernelCapabilities(),
    dataDir,
    host,
  }
}
