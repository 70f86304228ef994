// Entry of out/main/serve.js: parses --port / --data-dir and starts the web host.
import { Command } from 'commander'
import { serve } from './serve'

const program = new Command('serve')
  .description('Serve the TinyBERT Workbench UI and API on 127.0.0.1')
  .option('--port <n>', 'port to listen on (default: a random free port)', (v) => parsePort(v))
  .option('--data-dir <dir>', 'data directory (default: TBW_HOME or the OS user-data folder)')
  .option('--reason <text>', 'say why the web host runs instead of the desktop app')
  .action((o: { port?: number; dataDir?: string; reason?: string }) => serve(o))

function parsePort(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be an integer 0..65535, got ${v}`)
  return n
}

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`serve: ${err.message}`)
  process.exit(1)
})
