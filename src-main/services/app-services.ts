// The one core every host (Electron, web host, CLI) runs: the database, the
// job service, the event bus, and the command dispatcher behind the contract.
import fs from 'node:fs'
import path from 'node:path'
import type { CommandName, CommandResult, ParsedInput } from '../contract/commands'
import type { CommandResponse } from '../contract/result'
import type { SystemInfo } from '../contract/types'
import type { Timeline } from '../engine/traces/timeline'
import { validateCommand } from '../contract/validate'
import { openDatabase, type Db } from '../db/database'
import { listArtifacts } from '../db/artifacts'
import { metricSeries } from '../db/metrics'
import { archiveRuns, compareRuns, deleteRuns } from '../db/run-compare'
import { FilterError } from '../db/run-filter'
import { kernelCapabilities } from '../engine/addon'
import { estimateFinetune } from './finetune/estimate'
import { continueSweep, launchSweep, listSweeps, sweepDetail, sweepOfRun, validateSweepText } from './sweeps/sweep-service'
import { getRun, listRuns, updateRun } from '../db/runs'
import { databasePath } from './data-dir'
import { EventBus } from './events'
import { JobService } from './jobs/job-service'
import { LibraryService, UserInputError } from './library/library-service'
import type { JobSpawner } from './jobs/spawner'
import { systemInfo } from './system/system-info'

export class NotFoundError extends Error {}

type Handlers = { [N in CommandName]: (input: ParsedInput<N>) => CommandResult<N> | Promise<CommandResult<N>> }

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
    const lib = this.library
    this.handlers = {
      'system.info': () => systemInfo(options.dataDir, options.host),
      'runs.list': (input) => {
        try {
          return listRuns(this.db, input)
        } catch (err) {
          if (err instanceof FilterError) throw new UserInputError(err.message)
          throw err
        }
      },
      'runs.get': ({ id }) => {
        const run = getRun(this.db, id)
        if (!run) throw new NotFoundError(`Run ${id} does not exist`)
        return run
      },
      'runs.metrics': ({ runId, keys, maxPoints }) => {
        if (!getRun(this.db, runId)) throw new NotFoundError(`Run ${runId} does not exist`)
        return metricSeries(this.db, runId, keys, maxPoints)
      },
      'jobs.start': (spec) => ({ runId: this.jobs.start(spec) }),
      'jobs.cancel': ({ runId }) => ({ cancelled: this.jobs.cancel(runId) }),
      'jobs.active': () => this.jobs.active(),
      'runs.update': ({ id, notes, tags }) => {
        if (!getRun(this.db, id)) throw new NotFoundError(`Run ${id} does not exist`)
        updateRun(this.db, id, { notes, tags })
        this.bus.emit('runs.changed', { runId: id })
        return getRun(this.db, id)!
      },
      'runs.compare': ({ ids, all }) => {
        for (const id of ids) if (!getRun(this.db, id)) throw new NotFoundError(`Run ${id} does not exist`)
        return compareRuns(this.db, ids, all)
      },
      'runs.delete': ({ ids, artifacts }) => {
        const runs = ids.map((id) => {
          const run = getRun(this.db, id)
          if (!run) throw new NotFoundError(`Run ${id} does not exist`)
          return run
        })
        const live = runs.filter((r) => r.status === 'running' || r.status === 'queued')
        if (live.length) throw new UserInputError(`run ${live.map((r) => r.id).join(', ')} is still ${live[0].status}; cancel it first`)
        deleteRuns(this.db, ids)
        if (artifacts) for (const id of ids) fs.rmSync(path.join(options.dataDir, 'runs', String(id)), { recursive: true, force: true })
        for (const id of ids) this.bus.emit('runs.changed', { runId: id })
        return { deleted: ids }
      },
      'runs.archive': ({ ids, archived }) => {
        for (const id of ids) if (!getRun(this.db, id)) throw new NotFoundError(`Run ${id} does not exist`)
        archiveRuns(this.db, ids, archived)
        return { archived: archived ? ids : [] }
      },
      'runs.artifacts': ({ runId }) => {
        if (!getRun(this.db, runId)) throw new NotFoundError(`Run ${runId} does not exist`)
        return listArtifacts(this.db, runId)
      },
      'traces.timeline': ({ runId }) => {
        const run = getRun(this.db, runId)
        if (!run) throw new NotFoundError(`Run ${runId} does not exist`)
        const file = (run.summary as { timeline?: string | null }).timeline
        if (run.kind !== 'trace-import' || !file || !fs.existsSync(file)) throw new NotFoundError(`Run ${runId} has no trace timeline`)
        return JSON.parse(fs.readFileSync(file, 'utf8')) as Timeline
      },
      'sweeps.validate': ({ text }) => validateSweepText(text),
      'sweeps.start': ({ text, name, settings, count, parallel }) => {
        try {
          return { sweepId: launchSweep(this, text, settings, name, count ?? null, parallel) }
        } catch (err) {
          throw new UserInputError((err as Error).message)
        }
      },
      'sweeps.resume': ({ id, count, parallel }) => {
        if (!sweepDetail(this.db, id)) throw new NotFoundError(`Sweep ${id} does not exist`)
        if (this.jobs.active().some((j) => sweepOfRun(this.db, j.runId) === id)) throw new UserInputError(`sweep ${id} has trials running; it is not stopped`)
        continueSweep(this, id, count ?? null, parallel)
        return { sweepId: id }
      },
      'sweeps.list': () => listSweeps(this.db),
      'sweeps.get': ({ id, objectives }) => {
        const d = sweepDetail(this.db, id, objectives)
        if (!d) throw new NotFoundError(`Sweep ${id} does not exist`)
        return d
      },
      'finetune.estimate': async ({ params, meanTokens }) => {
        const model = await lib.inspectModel(params.model)
        const caps = kernelCapabilities()
        const variant = 'error' in caps ? 'scalar' : caps.variant
        const threads = 'error' in caps ? 1 : caps.threads
        return estimateFinetune(model, params, variant, threads, meanTokens)
      },
      'models.inspect': ({ path }) => lib.inspectModel(path),
      'models.tokenize': ({ path, a, b, maxLength }) => lib.tokenize(path, a, b, maxLength),
      'hub.pull': ({ kind, id }) => {
        try {
          return lib.pulls.start(kind, id)
        } catch (err) {
          throw new UserInputError((err as Error).message)
        }
      },
      'datasets.open': (input) => lib.openDataset(input),
      'datasets.previewFile': ({ path, header }) => lib.previewFile(path, header),
      'datasets.loadFile': (input) => lib.loadFile(input),
    }
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
