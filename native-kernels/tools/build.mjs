// Builds the native-kernels addon at install time (npm "install" script).
// A failed build stops the install with a message that says what to do.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const kernelsDir = path.resolve(here, '..')
const require = createRequire(import.meta.url)

function nodeGypBin() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js')
  } catch {
    return null
  }
}

const gyp = nodeGypBin()
if (!gyp) {
  console.error('native-kernels: node-gyp is not installed; run `npm install` (it is a devDependency).')
  process.exit(1)
}

// Build against this Node's own headers when it ships them (no download needed offline).
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`]
  const prefix = path.resolve(path.dirname(process.execPath), '..')
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : []
}

console.log('native-kernels: building the C++ addon (node-gyp, -O3)…')
const args = [gyp, 'rebuild', '--release', `--jobs=${process.env.TBW_BUILD_JOBS ?? 'max'}`, ...nodeDirArgs()]
const res = spawnSync(process.execPath, args, {
  cwd: kernelsDir,
  stdio: 'inherit',
})
if (res.status !== 0) {
  console.error(
    [
      '',
      'native-kernels: the C++ build FAILED, so the workbench cannot run its kernels.',
      'It needs a C++17 compiler, make and python3 (Debian: apt install build-essential python3;',
      'macOS: xcode-select --install; Windows: Visual Studio Build Tools with "Desktop development with C++").',
      'Fix the error above, then run `npm rebuild` or `npm install` again.',
    ].join('\n'),
  )
  process.exit(res.status ?? 1)
}
console.log('native-kernels: built native-kernels/build/Release/tbw_kernels.node')
