// The hub client against a local fake hub: file selection, resume after a cut
// connection, size and sha256 checks, offline mode, datasets.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDataDir } from '../../../test-support/services'
import { glueDatasetRequest, pull } from './hub'

const COMMIT = 'c0ffee0000000000000000000000000000000001'
const weights = crypto.randomBytes(200_000)
const files: Record<string, Buffer> = {
  'config.json': Buffer.from('{"hidden_size": 8}'),
  'vocab.txt': Buffer.from('[PAD]\n[UNK]\n'),
  'model.safetensors': weights,
  'pytorch_model.bin': Buffer.from('not needed when safetensors exists'),
  'README.md': Buffer.from('# not fetched'),
}
const dataset: Record<string, Buffer> = { 'mrpc/train-00000-of-00001.parquet': Buffer.from('PAR1 fake'), 'rte/train.parquet': Buffer.from('x') }

let server: http.Server
let endpoint = ''
const seen: { url: string; range?: string }[] = []
let cutNext = false // cut the next model.safetensors response half-way
let corruptNext = false // serve wrong bytes for the next model.safetensors

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '')
    seen.push({ url, range: req.headers.range })
    const api = /^\/api\/(models|datasets)\/(.+)\/revision\/main$/.exec(url)
    if (api && (api[2] === 'fake-org/tiny-bert' || api[2] === 'nyu-mll/glue')) {
      const repo = api[1] === 'models' ? files : dataset
      res.setHeader('Content-Type', 'application/json')
      return res.end(JSON.stringify({ sha: COMMIT, siblings: Object.keys(repo).map((rfilename) => ({ rfilename })) }))
    }
    const resolve = /^\/(datasets\/)?[^/]+\/[^/]+\/resolve\/[0-9a-f]+\/(.+)$/.exec(url)
    const body = resolve ? (resolve[1] ? dataset : files)[resolve[2]] : undefined
    if (!body) {
      res.statusCode = 404
      return res.end()
    }
    const isLfs = resolve![2] === 'model.safetensors'
    if (isLfs) {
      res.setHeader('X-Linked-Etag', `"${crypto.createHash('sha256').update(body).digest('hex')}"`)
      res.setHeader('X-Linked-Size', String(body.length))
    }
    const start = req.headers.range ? Number(/bytes=(\d+)-/.exec(req.headers.range)![1]) : 0
    let payload = body.subarray(start)
    if (isLfs && corruptNext) {
      corruptNext = false
      payload = Buffer.from(payload).fill(7)
    }
    res.statusCode = start ? 206 : 200
    res.setHeader('Content-Length', String(payload.length))
    if (isLfs && cutNext) {
      cutNext = false
      res.write(payload.subarray(0, payload.length / 2))
      setTimeout(() => res.destroy(), 20)
      return
    }
    res.end(payload)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('hub client', () => {
  it('pulls a model, resuming after a cut connection, checking size and sha256', async () => {
    const cacheDir = tempDataDir('hub')
    const progress: number[] = []
    cutNext = true
    await expect(pull({ cacheDir, endpoint }, 'model', 'fake-org/tiny-bert')).rejects.toThrow(/model\.safetensors|terminated|socket|fetch/i)
    const got = await pull({ cacheDir, endpoint, onProgress: (p) => p.file === 'model.safetensors' && progress.push(p.bytes) }, 'model', 'fake-org/tiny-bert')
    expect(got.commit).toBe(COMMIT)
    expect(got.files.sort()).toEqual(['config.json', 'model.safetensors', 'vocab.txt'])
    expect(fs.readFileSync(path.join(got.dir, 'model.safetensors')).equals(weights)).toBe(true)
    const resumed = seen.filter((s) => s.url.endsWith('/model.safetensors') && s.range)
    expect(resumed.length).toBe(1)
    expect(Number(/bytes=(\d+)-/.exec(resumed[0].range!)![1])).toBeGreaterThan(0)
    expect(progress.at(-1)).toBe(weights.length)

    // Offline: served from the cache; a missing file is named.
    const offline = await pull({ cacheDir, endpoint: 'http://127.0.0.1:9', offline: true }, 'model', 'fake-org/tiny-bert')
    expect(offline.dir).toBe(got.dir)
    fs.rmSync(path.join(got.dir, 'vocab.txt'))
    await expect(pull({ cacheDir, offline: true }, 'model', 'fake-org/tiny-bert')).rejects.toThrow(/offline: fake-org\/tiny-bert@main is missing vocab\.txt/)
    await expect(pull({ cacheDir, offline: true }, 'model', 'other/model')).rejects.toThrow(/offline: other\/model@main is not in the cache/)
  })

  it('refuses a download whose sha256 does not match and keeps nothing of it', async () => {
    const cacheDir = tempDataDir('hub-bad')
    corruptNext = true
    await expect(pull({ cacheDir, endpoint }, 'model', 'fake-org/tiny-bert')).rejects.toThrow(/model\.safetensors: sha256 [0-9a-f]+ does not match/)
    const snapshot = path.join(cacheDir, 'models--fake-org--tiny-bert', 'snapshots', COMMIT)
    expect(fs.existsSync(path.join(snapshot, 'model.safetensors'))).toBe(false)
    expect(fs.existsSync(path.join(snapshot, 'model.safetensors.incomplete'))).toBe(false)
    await expect(pull({ cacheDir, endpoint }, 'model', 'fake-org/missing')).rejects.toThrow(/not found/)
    await expect(pull({ cacheDir, endpoint }, 'model', 'bad id with spaces')).rejects.toThrow(/not a hub repository id/)
  })

  it('pulls a GLUE task from the nyu-mll/glue dataset', async () => {
    const cacheDir = tempDataDir('hub-data')
    const req = glueDatasetRequest('glue/mrpc')
    const got = await pull({ cacheDir, endpoint }, 'dataset', req.repoId, { files: req.files })
    expect(got.files).toEqual(['mrpc/train-00000-of-00001.parquet'])
    expect(fs.readFileSync(path.join(got.dir, got.files[0]), 'utf8')).toBe('PAR1 fake')
    expect(() => glueDatasetRequest('imagenet')).toThrow(/not a known dataset/)
  })
})
