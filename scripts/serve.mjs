// `npm run serve [-- --port N --data-dir DIR]`: build, then run the web host.
import path from 'node:path'
import { build, ROOT, run } from './lib.mjs'

build()
const res = run(process.execPath, [path.join(ROOT, 'out', 'main', 'serve.js'), ...process.argv.slice(2)])
process.exit(res.status)
