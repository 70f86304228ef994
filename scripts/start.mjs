// `npm start`: build, then open the desktop app; where Electron cannot run
// (binary not downloaded, no display), fall back to the web host and say why.
import path from 'node:path'
import { build, electronBinary, electronUnavailableReason, ROOT, run } from './lib.mjs'

build()
const reason = electronUnavailableReason()
if (reason) {
  const res = run(process.execPath, [path.join(ROOT, 'out', 'main', 'serve.js'), '--reason', reason, ...process.argv.slice(2)])
  process.exit(res.status)
}
const res = run(electronBinary(), ['.', ...process.argv.slice(2)])
process.exit(res.status)
