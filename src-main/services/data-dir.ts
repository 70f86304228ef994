// Where the workbench keeps its database, runs and caches: TBW_HOME when set,
// otherwise the OS user-data location Electron would use for this app.
import os from 'node:os'
import path from 'node:path'

export const APP_DIR_NAME = 'TinyBERT Workbench'

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.TBW_HOME) return path.resolve(env.TBW_HOME)
  const home = os.homedir()
  switch (platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME)
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_DIR_NAME)
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_DIR_NAME)
  }
}

export function databasePath(dataDir: string): string {
  return path.join(dataDir, 'workbench.db')
}
