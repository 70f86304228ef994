// `npm test`: build (the e2e suite drives the built app), run every test
// project, and end with one line: "N passed, N failed[, N skipped]".
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build, ROOT, run } from './lib.mjs'

build()
const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
console.log('test: type-checking (tsc --noEmit)…')
const typecheck = run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'])
// The standalone C++ kernel tests (no Node needed), through CMake/ctest.
const kernels = path.join(ROOT, 'native-kernels')
const kbuild = path.join(kernels, 'build-cmake')
console.log('test: building and running the C++ kernel tests (cmake, ctest)…')
const native = { passed: 0, failed: 0, skipped: 0 }
const configured = run('cmake', ['-S', kernels, '-B', kbuild, '-DCMAKE_BUILD_TYPE=Release'], { stdio: ['ignore', 'ignore', 'inherit'] })
const built = configured.status === 0 && run('cmake', ['--build', kbuild, '-j', String(os.availableParallelism())]).status === 0
if (!built) {
  console.log('test: the C++ kernel tests did not build (is cmake installed? see above); counted as one failure.')
  native.failed++
} else {
  const ctest = spawnSync('ctest', ['--test-dir', kbuild, '--output-on-failure', '-V'], { cwd: ROOT, encoding: 'utf8' })
  process.stdout.write(ctest.stdout ?? '')
  process.stderr.write(ctest.stderr ?? '')
  for (const m of (ctest.stdout ?? '').matchAll(/: test_\w+: (\d+) passed, (\d+) failed, (\d+) skipped/g)) {
    native.passed += Number(m[1])
    native.failed += Number(m[2])
    native.skipped += Number(m[3])
  }
  if (ctest.status !== 0 && native.failed === 0) native.failed++ // a test program crashed
}

const results = path.join(ROOT, 'out', 'test-results.json')
fs.rmSync(results, { force: true })
const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
const res = run(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)])

let passed = native.passed
let failed = native.failed
let skipped = native.skipped
if (fs.existsSync(results)) {
  const report = JSON.parse(fs.readFileSync(results, 'utf8'))
  for (const file of report.testResults) {
    // A file that failed to load has no tests: count it as one failure.
    if (file.status === 'failed' && file.assertionResults.length === 0) failed++
    for (const t of file.assertionResults) {
      if (t.status === 'passed') passed++
      else if (t.status === 'failed') failed++
      else skipped++
    }
  }
} else {
  failed++ // vitest itself did not finish
}
if (res.status !== 0 && failed === 0) failed++ // e.g. unhandled errors outside tests
if (typecheck.status !== 0) {
  console.log('test: the type check failed (see above); counted as one failure.')
  failed++
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
