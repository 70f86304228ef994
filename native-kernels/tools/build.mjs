// Builds the native-kernels addon at install time (npm "install" script).
// A failed build stops the install with a message that says what to do.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
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

// The CUDA backend (libtbw_cuda.so beside the addon, loaded at run time) where nvcc is found.
// CMake builds it in build-cmake, the folder `npm test` builds the kernel tests in, so the
// tests reuse it. Without nvcc or cmake the workbench runs on the CPU and says why.
function findNvcc() {
  const dirs = (process.env.PATH ?? '').split(path.delimiter)
  for (const base of [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda']) if (base) dirs.push(path.join(base, 'bin'))
  for (const d of dirs) if (d && fs.existsSync(path.join(d, 'nvcc'))) return path.join(d, 'nvcc')
  return null
}

function buildCuda() {
  if (process.env.TBW_CUDA === '0') return console.log('native-kernels: CUDA backend skipped (TBW_CUDA=0)')
  if (process.platform !== 'linux') return console.log('native-kernels: CUDA backend skipped (built on Linux only for now)')
  const nvcc = findNvcc()
  if (!nvcc) return console.log('native-kernels: CUDA backend not built: nvcc was not found (CPU kernels only)')
  const cmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' })
  if (cmake.status !== 0) return console.log('native-kernels: CUDA backend not built: nvcc is here but cmake is not (apt install cmake)')
  console.log(`native-kernels: building the CUDA backend with ${nvcc}…`)
  const out = path.join(kernelsDir, 'build-cmake')
  const archs = process.env.TBW_CUDA_ARCHS ? [`-DTBW_CUDA_ARCHS=${process.env.TBW_CUDA_ARCHS}`] : []
  const configure = spawnSync('cmake', ['-S', kernelsDir, '-B', out, '-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_CUDA_COMPILER=${nvcc}`, ...archs], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const jobs = process.env.TBW_BUILD_JOBS ?? String(os.availableParallelism())
  const built = configure.status === 0 && spawnSync('cmake', ['--build', out, '--target', 'tbw_cuda', '-j', jobs], { stdio: 'inherit' }).status === 0
  const lib = path.join(out, 'libtbw_cuda.so')
  if (!built || !fs.existsSync(lib)) {
    console.error('native-kernels: the CUDA backend FAILED to build (see above); the workbench will run on the CPU only.')
    return
  }
  fs.copyFileSync(lib, path.join(kernelsDir, 'build', 'Release', 'libtbw_cuda.so'))
  console.log('native-kernels: built native-kernels/build/Release/libtbw_cuda.so')
}

buildCuda()
