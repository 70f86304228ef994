#!/usr/bin/env node
// `tbw`: runs the built CLI (out/main/cli.js).
const fs = require('node:fs')
const path = require('node:path')

const cli = path.join(__dirname, '..', 'out', 'main', 'cli.js')
if (!fs.existsSync(cli)) {
  console.error(`tbw: ${cli} is missing. Run \`npm run setup\` (or \`npm run build\`) in ${path.dirname(__dirname)} first.`)
  process.exit(1)
}
require(cli)
