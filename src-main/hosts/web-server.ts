// The web host: the renderer and the API over HTTP + WebSocket on loopback.
// Every request and socket must carry the session token (query, header or the
// cookie set when the tokened URL is first opened); the Host header must be
// loopback (no DNS rebinding); WebSocket origins must be our own.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { ClientMessage, ServerMessage } from '../contract/bridge'
import type { CommandResponse } from '../contract/result'
import type { AppServices } from '../services/app-services'
import { CONTENT_SECURITY_POLICY } from './csp'

export interface WebHostOptions {
  services: AppServices
  rendererDir: string
  port?: number
  token?: string
}

export interface WebHost {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const MAX_BODY_BYTES = 1 << 20
const COOKIE = 'tbw_token'
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

export function tokensEqual(a: string | null | undefined, b: string): boolean {
  if (!a) return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto.timingSafeEqual(x, y)
}

function cookieToken(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const [k, v] = part.trim().split('=')
    if (k === COOKIE && v) return decodeURIComponent(v)
  }
  return null
}

function requestToken(req: http.IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  return url.searchParams.get('token') ?? cookieToken(req.headers.cookie)
}

function statusFor(res: CommandResponse): number {
  if (res.ok) return 200
  return { invalid_input: 400, unknown_command: 404, not_found: 404, conflict: 409, forbidden: 403, internal: 500 }[res.error.code]
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url')
  const rendererDir = path.resolve(opts.rendererDir)
  let port = 0

  const hostAllowed = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`
  const originAllowed = (origin: string | undefined) =>
    origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`

  const send = (res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    })
    res.end(body)
  }

  const serveStatic = (res: http.ServerResponse, pathname: string, setCookie: boolean) => {
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '')
    const file = path.resolve(rendererDir, rel)
    if (!file.startsWith(rendererDir + path.sep)) return send(res, 403, 'Forbidden path')
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      if (rel === 'index.html') return send(res, 500, `The renderer is not built (${file} is missing). Run \`npm run build\`.`)
      return send(res, 404, 'Not found')
    }
    if (setCookie) res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
    send(res, 200, fs.readFileSync(file), MIME[path.extname(file)] ?? 'application/octet-stream')
  }

  const handleCommand = (req: http.IncomingMessage, res: http.ServerResponse, name: string) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        send(res, 413, 'Request body too large')
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', async () => {
      if (res.writableEnded) return
      let input: unknown
      try {
        input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}
      } catch (err) {
        const response: CommandResponse = { ok: false, error: { code: 'invalid_input', message: `Body is not JSON: ${(err as Error).message}` } }
        return send(res, 400, JSON.stringify(response), 'application/json')
      }
      const response = await opts.services.dispatch(name, input)
      send(res, statusFor(response), JSON.stringify(response), 'application/json')
    })
  }

  const server = http.createServer((req, res) => {
    if (!hostAllowed(req.headers.host)) return send(res, 421, 'This server only answers to 127.0.0.1 / localhost')
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const given = requestToken(req, url)
    if (!tokensEqual(given, token)) {
      const message = 'Missing or wrong token: open the URL that `npm run serve` printed (it ends in ?token=…).'
      if (!url.pathname.startsWith('/api/')) return send(res, 401, message)
      const response: CommandResponse = { ok: false, error: { code: 'forbidden', message } }
      return send(res, 401, JSON.stringify(response), 'application/json')
    }
    const command = /^\/api\/commands\/([\w.]+)$/.exec(url.pathname)
    if (command) {
      if (req.method !== 'POST') return send(res, 405, 'Use POST with a JSON body')
      return handleCommand(req, res, command[1])
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed')
    serveStatic(res, url.pathname, url.searchParams.has('token'))
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const reject = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    if (url.pathname !== '/ws') return reject(404, 'Not Found')
    if (!hostAllowed(req.headers.host) || !originAllowed(req.headers.origin)) return reject(403, 'Forbidden')
    if (!tokensEqual(requestToken(req, url), token)) return reject(401, 'Unauthorized')
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws))
  })

  const onSocket = (ws: WebSocket) => {
    const unsubscribe = opts.services.bus.subscribe((event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event } satisfies ServerMessage))
    })
    ws.on('close', unsubscribe)
    ws.on('message', async (data) => {
      let msg: ClientMessage
      try {
        msg = JSON.parse(data.toString()) as ClientMessage
        if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number') throw new Error('missing numeric id')
      } catch (err) {
        ws.close(1003, `bad message: ${(err as Error).message}`.slice(0, 120))
        return
      }
      const response = await opts.services.dispatch(msg.command, msg.input)
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, response } satisfies ServerMessage))
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
