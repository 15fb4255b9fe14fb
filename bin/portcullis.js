#!/usr/bin/env node
// The CLI entry: the compiled build when present, otherwise the TypeScript sources through tsx
// (a git checkout before `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))).href);
}
