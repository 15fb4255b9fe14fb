/**
 * The demo configuration rendered into a temporary directory with placeholder values (no demo
 * stack running), for tests of the commands that read it. Test-only (excluded from the build).
 */
import type { TestContext } from 'node:test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG_TEMPLATE, renderDemoConfig } from './config.js';

/**
 * Writes the rendered demo config (and dummy certificate files) into a fresh directory removed
 * after the test; returns the config file's path.
 *
 * @example
 * ```ts
 * const file = await writeDemoConfig(t);
 * ```
 */
export async function writeDemoConfig(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-demo-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'server.pem'), 'x');
  await writeFile(join(dir, 'server-key.pem'), 'x');
  const file = join(dir, 'portcullis.yaml');
  await writeFile(file, renderDemoConfig(await readFile(DEMO_CONFIG_TEMPLATE, 'utf8'), {
    httpsPort: 8443, httpPort: 8080, adminPort: 9901, tasksApiUrl: 'http://127.0.0.1:3000', idpIssuer: 'http://localhost:9000', idpJwksUri: 'http://localhost:9000/jwks',
    apiKeyPrefix: 'AbCdEfGh1234', apiKeyHash: `sha256:${'a'.repeat(64)}`, adminTokenSha256: 'b'.repeat(64),
  }));
  return file;
}
