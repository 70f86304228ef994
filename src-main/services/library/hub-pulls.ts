// Hub downloads started from the UI: they run in the host process (network
// I/O, no CPU work), report progress as events, and end with the folder to open.
import path from 'node:path'
import { glueDatasetRequest, pull, type HubOptions } from '../../engine/hub/hub'
import type { EventBus } from '../events'

export class HubPulls {
  private nextId = 1

  constructor(
    private readonly dataDir: string,
    private readonly bus: EventBus,
  ) {}

  options(): HubOptions {
    return {
      cacheDir: path.join(this.dataDir, 'hub'),
      offline: process.env.HF_HUB_OFFLINE === '1' || process.env.TBW_OFFLINE === '1',
      token: process.env.HF_TOKEN,
    }
  }

  start(kind: 'model' | 'dataset', id: string): { pullId: number } {
    const req = kind === 'dataset' ? glueDatasetRequest(id) : null // validates the name before anything starts
    const pullId = this.nextId++
    let lastEmit = 0
    const o: HubOptions = {
      ...this.options(),
      onProgress: ({ file, bytes, total }) => {
        const now = Date.now()
        if (now - lastEmit < 200 && bytes !== total) return
        lastEmit = now
        this.bus.emit('hub.progress', { pullId, id, status: 'running', file, bytes, total, dir: null, error: null })
      },
    }
    const task = req ? pull(o, 'dataset', req.repoId, { files: req.files }) : pull(o, 'model', id)
    task
      .then((got) => {
        const dir = req ? path.join(got.dir, id.split('/')[1]) : got.dir
        this.bus.emit('hub.progress', { pullId, id, status: 'done', file: null, bytes: 0, total: null, dir, error: null })
      })
      .catch((err: Error) => this.bus.emit('hub.progress', { pullId, id, status: 'failed', file: null, bytes: 0, total: null, dir: null, error: err.message }))
    return { pullId }
  }
}
