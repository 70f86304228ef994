// `npm run setup`: everything a fresh machine needs — dependencies, the native
// kernels, the Electron binary when it can be downloaded, and the build.
// What cannot be fetched here is skipped and reported, not fatal.
import fs from 'node:fs'
import path from 'node:path'
import { build, npmCmd, ROOT, run } from './lib.mjs'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node.js ${process.versions.node} is too old: the workbench needs Node.js 20.19 or newer.`)
  process.exit(1)
}

const skipped = []
const env = {
  ...process.env,
  // The Electron binary is fetched separately below, so a failed download
  // (offline, firewall) does not fail the whole install.
  ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
  ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip',
}

const hasLock = fs.existsSync(path.join(ROOT, 'package-lock.json'))
console.log(`setup: installing dependencies (npm ${hasLock ? 'ci' : 'install'}) and building the native kernels…`)
const install = run(npmCmd(), [hasLock ? 'ci' : 'install'], { env, shell: process.platform === 'win32' })
if (install.status !== 0) {
  console.error('setup: installing the dependencies failed (see above).')
  process.exit(install.status || 1)
}
if (env.ONNXRUNTIME_NODE_INSTALL === 'skip') skipped.push("onnxruntime-node's CUDA provider download (ONNXRUNTIME_NODE_INSTALL=skip)")

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  skipped.push('the Electron binary (ELECTRON_SKIP_BINARY_DOWNLOAD is set)')
} else {
  console.log('setup: downloading the Electron binary…')
  const electronInstall = path.join(ROOT, 'node_modules', 'electron', 'install.js')
  const res = run(process.execPath, [electronInstall], { timeout: 300_000, stdio: ['ignore', 'inherit', 'pipe'] })
  if (res.status !== 0) skipped.push('the Electron binary (the download failed: no network route or a firewall)')
}

console.log('setup: building the app…')
build()

console.log('\nsetup: done.')
if (skipped.length) {
  console.log('Skipped:')
  for (const s of skipped) console.log(`  - ${s}`)
  if (skipped.some((s) => s.startsWith('the Electron binary'))) {
    console.log('`npm start` will serve the workbench to your browser instead (the web host); `tbw` works as usual.')
  }
}
