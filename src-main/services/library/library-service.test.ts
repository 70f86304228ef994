// The Models/Datasets commands through the dispatcher: results, user-facing
// errors for bad files, and hub pulls reporting progress and their folder.
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initRandomCheckpoint } from '../../engine/bert/init-checkpoint'
import { sharedData, tempDataDir, testServices, waitForEvent } from '../../../test-support/services'
import type { AppServices } from '../app-services'

let services: AppServices
let server: http.Server
const DATA = sharedData()

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/api/models/org/tiny/revision/main') return res.end(JSON.stringify({ sha: 'a'.repeat(40), siblings: [{ rfilename: 'config.json' }] }))
    if (req.url === `/org/tiny/resolve/${'a'.repeat(40)}/config.json`) return res.end('{"hidden_size": 8}')
    res.statusCode = 404
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  services = testServices(tempDataDir('library'))
})

afterAll(() => {
  delete process.env.HF_ENDPOINT
  services?.close()
  server?.close()
})

describe('library commands', () => {
  it('inspects a model folder and tokenizes with it', async () => {
    const dir = path.join(tempDataDir('library-model'), 'm')
    initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: path.join(DATA, 'vocab/bert-base-uncased-vocab.txt'), outDir: dir })
    const info = await services.call('models.inspect', { path: dir })
    expect(info).toMatchObject({ layers: 4, hidden: 312, headSize: 26, parametersInFile: 14_350_874, parametersForClassification: 14_350_874, tokenizerFiles: ['vocab.txt'] })
    expect(info.randomWeights).toMatch(/^RANDOM/)
    const t = await services.call('models.tokenize', { path: dir, a: 'one two three four', b: 'five six', maxLength: 6 })
    expect(t).toMatchObject({ tokens: ['[CLS]', 'one', 'two', '[SEP]', 'five', '[SEP]'], length: 9, truncated: true })
  })

  it('gives bad files back as invalid_input with the reason, not as internal errors', async () => {
    const bad = await services.dispatch('datasets.open', { path: path.join(DATA, 'vocab') })
    expect(bad).toEqual({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/vocab: no split files/) } })
    const notModel = await services.dispatch('models.inspect', { path: DATA })
    expect(notModel).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/no config\.json/) } })
    const badTask = await services.dispatch('datasets.open', { path: path.join(DATA, 'mrpc'), task: 'imdb' })
    expect(badTask).toMatchObject({ ok: false, error: { code: 'invalid_input', fields: [{ path: 'task' }] } })
    expect(await services.dispatch('hub.pull', { kind: 'dataset', id: 'imagenet' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
  })

  it('pulls from the hub in the background, reporting the folder or the failure', async () => {
    const done = waitForEvent(services, (e) => e.name === 'hub.progress' && e.payload.id === 'org/tiny' && e.payload.status !== 'running')
    await services.call('hub.pull', { kind: 'model', id: 'org/tiny' })
    const ev = (await done).payload as { status: string; dir: string }
    expect(ev.status).toBe('done')
    expect(fs.readFileSync(path.join(ev.dir, 'config.json'), 'utf8')).toBe('{"hidden_size": 8}')
    const failed = waitForEvent(services, (e) => e.name === 'hub.progress' && e.payload.id === 'org/missing' && e.payload.status !== 'running')
    await services.call('hub.pull', { kind: 'model', id: 'org/missing' })
    expect((await failed).payload).toMatchObject({ status: 'failed', error: expect.stringMatching(/not found/) })
  })
})
