// `npm run docs`: writes the documentation generated from code (docs/portcullis.schema.json,
// docs/errors.md, docs/configuration.md). `npm run docs -- --check` writes nothing and exits 1
// when a committed file differs from what would be generated (for CI).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDocs } from '../src/config/docs.js';
import { builtinPolicies } from '../src/policies/index.js';

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`gen-docs: unknown argument ${unknown.join(' ')}\nusage: gen-docs [--check]`);
    return 2;
  }
  const check = args.includes('--check');
  const root = fileURLToPath(new URL('..', import.meta.url));
  let stale = 0;
  for (const file of generateDocs(builtinPolicies)) {
    const target = join(root, file.path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current === file.content) continue;
    if (check) {
      console.error(`${file.path}: out of date; run npm run docs`);
      stale++;
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    console.log(`wrote ${file.path}`);
  }
  return stale > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
