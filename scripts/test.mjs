// `npm test`: build (the e2e suite drives the built app), run every test
// project, and end with one line: "N passed, N failed[, N skipped]".
import fs from 'node:fs'
import path from 'node:path'
import { build, ROOT, run } from './lib.mjs'

build()
const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
console.log('test: type-checking (tsc --noEmit)…')
const typecheck = run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'])
const results = path.join(ROOT, 'out', 'test-results.json')
fs.rmSync(results, { force: true })
const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
const res = run(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)])

let passed = 0
let failed = 0
let skipped = 0
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
