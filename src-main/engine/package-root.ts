// Finds the workbench's package root (where package.json and native-kernels/
// live) from wherever this code runs: source (vitest/tsx) or the built out/main.
import fs from 'node:fs'
import path from 'node:path'

let cached: string | null = null

export function packageRoot(): string {
  if (cached) return cached
  let dir = __dirname
  for (;;) {
    const pkg = path.join(dir, 'package.json')
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tinybert-workbench') {
          cached = dir
          return dir
        }
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`Cannot find the tinybert-workbench package root above ${__dirname}`)
    dir = parent
  }
}

export function appVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}
