// Reads Chrome Trace Event files (PyTorch profiler / Kineto .pt.trace.json,
// TensorFlow, chrome://tracing; plain or .gz) as a stream: events are handed
// out one at a time and never held as one parsed document, so file size is
// bounded by what the consumer keeps. Not a trace -> an error with the reason
// and the byte position.
import fs from 'node:fs'
import zlib from 'node:zlib'
import { TokenParser, Tokenizer } from '@streamparser/json'

export interface TraceEvent {
  ph?: string
  cat?: string
  name?: string
  pid?: number | string
  tid?: number | string
  ts?: number
  dur?: number
  id?: number | string
  args?: Record<string, unknown>
}

export interface TraceHeader {
  deviceProperties?: unknown
  displayTimeUnit?: string
  schemaVersion?: number
}

const HEADER_KEYS = ['deviceProperties', 'displayTimeUnit', 'schemaVersion']

export async function readTrace(
  file: string,
  onEvent: (e: TraceEvent) => void,
  onProgress?: (bytes: number, total: number) => void,
): Promise<TraceHeader> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`)
  const total = fs.statSync(file).size
  const gz = file.endsWith('.gz')
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 })
  let bytes = 0
  raw.on('data', (c) => {
    bytes += c.length
    onProgress?.(bytes, total)
  })
  const input: NodeJS.ReadableStream = gz ? raw.pipe(zlib.createGunzip()) : raw
  const header: TraceHeader = {}
  let tokenizer: Tokenizer | null = null
  let parser: TokenParser | null = null
  let offset = 0 // byte position of the last token, for error messages
  let events = 0
  let failure: Error | null = null
  const fail = (why: string) => {
    failure ??= new Error(`${file}: not a trace: ${why}`)
  }
  for await (const chunk of input) {
    if (failure) break
    if (!tokenizer) {
      // An object with traceEvents (Kineto, TF), or a bare array of events (JSON Array Format).
      const first = String(chunk).trimStart()[0]
      if (first !== '{' && first !== '[') {
        fail(`it starts with ${JSON.stringify(first ?? '')}, not a JSON object or array (position 0)`)
        break
      }
      const p = new TokenParser({ paths: first === '[' ? ['$.*'] : ['$.traceEvents.*', ...HEADER_KEYS.map((k) => `$.${k}`)], keepStack: false })
      p.onValue = ({ value, key, stack }) => {
        if (stack.length === 1 && typeof key === 'string') return void ((header as Record<string, unknown>)[key] = value)
        if (!value || typeof value !== 'object' || Array.isArray(value)) return fail(`event ${events} is not an object (position ${offset})`)
        events++
        onEvent(value as TraceEvent)
      }
      p.onError = (err) => fail(`${err.message} (position ${offset})`)
      const t = new Tokenizer()
      t.onToken = (token) => {
        offset = token.offset
        if (!p.isEnded) p.write(token)
      }
      t.onError = (err) => fail(err.message)
      tokenizer = t
      parser = p
    }
    try {
      tokenizer.write(chunk as Buffer)
    } catch (err) {
      fail(`${(err as Error).message} (position ${offset})`)
    }
  }
  if (!failure && parser && !parser.isEnded) fail(`the file ends early, inside the JSON (position ${offset})`)
  if (!tokenizer && !failure) fail('the file is empty')
  if (failure) throw failure
  if (!events) throw new Error(`${file}: not a trace: no traceEvents`)
  return header
}
