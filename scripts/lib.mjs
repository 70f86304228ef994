// Helpers shared by the setup/start/serve/test scripts (plain Node, no deps).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(path.join(ROOT, 'package.json'))

export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts })
  if (res.error) return { status: 1, error: res.error }
  return { status: res.status ?? 1, signal: res.signal }
}

export function npmCmd() {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm'
}

export function build() {
  const bin = path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  if (!fs.existsSync(bin)) {
    console.error('The dependencies are not installed: run `npm run setup` first.')
    process.exit(1)
  }
  const res = run(process.execPath, [bin, 'build'])
  if (res.status !== 0) {
    console.error('The build failed (see above).')
    process.exit(res.status || 1)
  }
}

// Why Electron cannot run here, or null when it can.
export function electronUnavailableReason() {
  let binary
  try {
    binary = require('electron')
  } catch {
    return 'The Electron binary is not installed (it was skipped or could not be downloaded at setup).'
  }
  if (typeof binary !== 'string' || !fs.existsSync(binary)) {
    return 'The Electron binary is not installed (it was skipped or could not be downloaded at setup).'
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'There is no display (DISPLAY/WAYLAND_DISPLAY are unset), so the desktop window cannot open.'
  }
  return null
}

export function electronBinary() {
  return require('electron')
}
