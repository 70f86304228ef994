// `npm run serve` / `tbw serve`: the workbench in any browser, on loopback.
import { startWebHost } from './web-server'
import { createNodeServices, rendererDir } from './node-host'

export interface ServeOptions {
  port?: number
  dataDir?: string
  reason?: string // why the web host runs instead of Electron, when it does
}

export async function serve(opts: ServeOptions): Promise<void> {
  const services = createNodeServices('web', opts.dataDir)
  const host = await startWebHost({ services, rendererDir: rendererDir(), port: opts.port })
  if (opts.reason) console.log(`${opts.reason}\nStarting the web host instead.`)
  console.log(`TinyBERT Workbench web host (data: ${services.options.dataDir})`)
  console.log(`Open ${host.url}`)
  console.log('Press Ctrl+C to stop.')
  let closing = false
  const stop = async () => {
    if (closing) return
    closing = true
    await host.close()
    services.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
