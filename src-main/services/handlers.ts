// The command handlers, by area, over the services AppServices owns.
import fs from 'node:fs'
import path from 'node:path'
import type { CommandName, CommandResult, ParsedInput } from '../contract/commands'
import { listArtifacts } from '../db/artifacts'
import { metricSeries } from '../db/metrics'
import { archiveRuns, compareRuns, deleteRuns } from '../db/run-compare'
import { FilterError } from '../db/run-filter'
import { getRun, listRuns, updateRun } from '../db/runs'
import { kernelCapabilities } from '../engine/addon'
import type { AppServices } from './app-services'
import { NotFoundError, UserInputError, userFacing } from './errors'
import { estimateFinetune } from './finetune/estimate'
import { continueSweep, launchSweep, listSweeps, sweepDetail, sweepOfRun, validateSweepText } from './sweeps/sweep-service'
import { systemInfo } from './system/system-info'
import { TimelineStores } from './traces/timeline-stores'

export type Handlers = { [N in CommandName]: (input: ParsedInput<N>) => CommandResult<N> | Promise<CommandResult<N>> }

function runOrThrow(app: AppServices, id: number) {
  const run = getRun(app.db, id)
  if (!run) throw new NotFoundError(`Run ${id} does not exist`)
  return run
}

export function createHandlers(app: AppServices): Handlers {
  const { db, bus, jobs, library: lib } = app
  const { dataDir, host } = app.options
  const timelines = new TimelineStores()
  return {
    'system.info': () => systemInfo(dataDir, host),

    // ---- runs ----
    'runs.list': (input) => {
      try {
        return listRuns(db, input)
      } catch (err) {
        if (err instanceof FilterError) throw new UserInputError(err.message)
        throw err
      }
    },
    'runs.get': ({ id }) => runOrThrow(app, id),
    'runs.metrics': ({ runId, keys, maxPoints }) => (runOrThrow(app, runId), metricSeries(db, runId, keys, maxPoints)),
    'runs.update': ({ id, notes, tags }) => {
      runOrThrow(app, id)
      updateRun(db, id, { notes, tags })
      bus.emit('runs.changed', { runId: id })
      return runOrThrow(app, id)
    },
    'runs.compare': ({ ids, all }) => (ids.forEach((id) => runOrThrow(app, id)), compareRuns(db, ids, all)),
    'runs.delete': ({ ids, artifacts }) => {
      const live = ids.map((id) => runOrThrow(app, id)).filter((r) => r.status === 'running' || r.status === 'queued')
      if (live.length) throw new UserInputError(`run ${live.map((r) => r.id).join(', ')} is still ${live[0].status}; cancel it first`)
      deleteRuns(db, ids)
      if (artifacts) for (const id of ids) fs.rmSync(path.join(dataDir, 'runs', String(id)), { recursive: true, force: true })
      for (const id of ids) bus.emit('runs.changed', { runId: id })
      return { deleted: ids }
    },
    'runs.archive': ({ ids, archived }) => {
      ids.forEach((id) => runOrThrow(app, id))
      archiveRuns(db, ids, archived)
      return { archived: archived ? ids : [] }
    },
    'runs.artifacts': ({ runId }) => (runOrThrow(app, runId), listArtifacts(db, runId)),

    // ---- jobs ----
    'jobs.start': (spec) => ({ runId: jobs.start(spec) }),
    'jobs.cancel': ({ runId }) => ({ cancelled: jobs.cancel(runId) }),
    'jobs.active': () => jobs.active(),

    // ---- traces ----
    'traces.timeline': ({ runId }) => timelines.get(runOrThrow(app, runId)).meta,
    'traces.window': ({ runId, t0, t1, pixels }) => timelines.get(runOrThrow(app, runId)).window(t0, t1, pixels),
    'traces.args': ({ runId, id }) => {
      const store = timelines.get(runOrThrow(app, runId))
      try {
        return store.args(id)
      } catch (err) {
        if (err instanceof RangeError) throw new NotFoundError(`Run ${runId}: ${err.message}`)
        throw err
      }
    },
    'traces.search': ({ runId, query, limit }) => timelines.get(runOrThrow(app, runId)).search(query, limit),

    // ---- sweeps ----
    'sweeps.validate': ({ text }) => validateSweepText(text),
    'sweeps.start': ({ text, name, settings, count, parallel }) => userFacing(() => ({ sweepId: launchSweep(app, text, settings, name, count ?? null, parallel) })),
    'sweeps.resume': ({ id, count, parallel }) => {
      if (!sweepDetail(db, id)) throw new NotFoundError(`Sweep ${id} does not exist`)
      if (jobs.active().some((j) => sweepOfRun(db, j.runId) === id)) throw new UserInputError(`sweep ${id} has trials running; it is not stopped`)
      continueSweep(app, id, count ?? null, parallel)
      return { sweepId: id }
    },
    'sweeps.list': () => listSweeps(db),
    'sweeps.get': ({ id, objectives }) => {
      const d = sweepDetail(db, id, objectives)
      if (!d) throw new NotFoundError(`Sweep ${id} does not exist`)
      return d
    },

    // ---- fine-tuning, models, datasets ----
    'finetune.estimate': async ({ params, meanTokens }) => {
      const model = await lib.inspectModel(params.model)
      const caps = kernelCapabilities()
      return estimateFinetune(model, params, 'error' in caps ? 'scalar' : caps.variant, 'error' in caps ? 1 : caps.threads, meanTokens)
    },
    'models.inspect': ({ path: dir }) => lib.inspectModel(dir),
    'models.tokenize': ({ path: dir, a, b, maxLength }) => lib.tokenize(dir, a, b, maxLength),
    'hub.pull': ({ kind, id }) => userFacing(() => lib.pulls.start(kind, id)),
    'datasets.open': (input) => lib.openDataset(input),
    'datasets.previewFile': ({ path: file, header }) => lib.previewFile(file, header),
    'datasets.loadFile': (input) => lib.loadFile(input),
  }
}
