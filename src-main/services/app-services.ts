// The one core every host (Electron, web host, CLI) runs: the database, the
// job service, the event bus, and the command dispatcher behind the contract.
import fs from 'node:fs'
import type { CommandName, CommandResult, ParsedInput } from '../contract/commands'
import type { CommandResponse } from '../contract/result'
import type { SystemInfo } from '../contract/types'
import { validateCommand } from '../contract/validate'
import { openDatabase, type Db } from '../db/database'
import { databasePath } from './data-dir'
import { NotFoundError, UserInputError } from './errors'
import { EventBus } from './events'
import { createHandlers, type Handlers } from './handlers'
import { JobService } from './jobs/job-service'
import type { JobSpawner } from './jobs/spawner'
import { LibraryService } from './library/library-service'
import { systemInfo } from './system/system-info'

export { NotFoundError }

export interface AppServicesOptions {
  dataDir: string
  host: SystemInfo['host']
  spawner: JobSpawner
}

export class AppServices {
  readonly db: Db
  readonly bus = new EventBus()
  readonly jobs: JobService
  readonly library: LibraryService
  private readonly handlers: Handlers

  constructor(readonly options: AppServicesOptions) {
    fs.mkdirSync(options.dataDir, { recursive: true })
    this.db = openDatabase(databasePath(options.dataDir))
    this.jobs = new JobService(this.db, this.bus, options.spawner, options.dataDir, () => {
      const info = systemInfo(options.dataDir, options.host)
      return { kernels: info.kernels, versions: info.versions, platform: info.platform }
    })
    this.jobs.recoverOrphans()
    this.library = new LibraryService(options.dataDir, this.bus)
    this.handlers = createHandlers(this)
  }

  // Validates raw input against the contract, then calls the service.
  async dispatch(name: unknown, input: unknown): Promise<CommandResponse> {
    const v = validateCommand(name, input)
    if (!v.ok) return { ok: false, error: v.error }
    const handler = this.handlers[v.name] as (i: unknown) => unknown
    try {
      return { ok: true, result: (await handler(v.input)) as CommandResult<CommandName> }
    } catch (err) {
      if (err instanceof NotFoundError) return { ok: false, error: { code: 'not_found', message: err.message } }
      if (err instanceof UserInputError) return { ok: false, error: { code: 'invalid_input', message: err.message } }
      console.error(`command ${v.name} failed:`, err)
      return { ok: false, error: { code: 'internal', message: (err as Error).message ?? String(err) } }
    }
  }

  // Typed call for in-process callers (CLI, tests); throws on error.
  async call<N extends CommandName>(name: N, input: ParsedInput<N> | Record<string, unknown> = {}): Promise<CommandResult<N>> {
    const res = await this.dispatch(name, input)
    if (!res.ok) throw Object.assign(new Error(res.error.message), { code: res.error.code, fields: res.error.fields })
    return res.result as CommandResult<N>
  }

  close(): void {
    this.jobs.shutdown()
    this.db.close()
  }
}
