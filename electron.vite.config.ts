import react from '@vitejs/plugin-react'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'

// Main bundle entries: the Electron bootstrap, the web host, the CLI and the
// job worker all come from src-main and share its chunks.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // hyparquet ships only ES modules: bundle it into the CommonJS main build.
      externalizeDeps: { exclude: ['hyparquet'] },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          serve: resolve(__dirname, 'src-main/hosts/serve-main.ts'),
          cli: resolve(__dirname, 'src-main/hosts/cli/main.ts'),
          'job-worker': resolve(__dirname, 'src-main/jobs/worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'src-main/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    publicDir: resolve(__dirname, 'resources/icons'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      minify: true,
      chunkSizeWarningLimit: 1024,
      rollupOptions: { input: resolve(__dirname, 'src-renderer/index.html') },
    },
  },
})
