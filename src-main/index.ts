// Electron bootstrap only: the window, its security settings, IPC wiring.
import { app, BrowserWindow, ipcMain, Menu, session, shell } from 'electron'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { AppServices } from './services/app-services'
import { defaultDataDir } from './services/data-dir'
import { CONTENT_SECURITY_POLICY } from './hosts/csp'
import { electronUtilitySpawner } from './hosts/electron-job-spawner'
import { registerIpc } from './hosts/electron-ipc'

const devServerUrl = process.env.ELECTRON_RENDERER_URL
const rendererFile = path.join(__dirname, '../renderer/index.html')
const appUrl = devServerUrl ?? pathToFileURL(rendererFile).href
const windows = new Set<BrowserWindow>()
let services: AppServices | null = null

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'TinyBERT Workbench',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  })
  windows.add(win)
  win.on('closed', () => windows.delete(win))
  win.once('ready-to-show', () => win.show())
  if (devServerUrl) void win.loadURL(devServerUrl)
  else void win.loadFile(rendererFile)
}

// Navigation away from the app and new windows are refused everywhere;
// http(s) links open in the user's browser instead.
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (url !== appUrl) event.preventDefault()
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
})

app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
  Menu.setApplicationMenu(null)
  services = new AppServices({
    dataDir: process.env.TBW_HOME ? defaultDataDir() : app.getPath('userData'),
    host: 'electron',
    spawner: electronUtilitySpawner(path.join(__dirname, 'job-worker.js')),
  })
  registerIpc({
    ipcMain,
    services,
    appUrl,
    ownWebContents: () => [...windows].filter((w) => !w.isDestroyed()).map((w) => w.webContents),
  })
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('will-quit', () => {
  services?.close()
  services = null
})
