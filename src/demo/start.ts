/**
 * `npm start`: the demo stack in one process. Generates the development CA and certificate into
 * .demo/ on first start, starts the sample Tasks API on 127.0.0.1, writes the gateway's config
 * from portcullis.demo.yaml and starts the gateway in front of it (https://localhost:8443, and
 * http://localhost:8080 redirecting). Ctrl-C (or SIGTERM) stops everything cleanly.
 *
 * Environment: PORTCULLIS_DEMO_DIR (default .demo), PORTCULLIS_DEMO_HTTPS_PORT (8443),
 * PORTCULLIS_DEMO_HTTP_PORT (8080); port 0 picks free ports (the tests do that).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config/load.js';
import { createRegistry } from '../config/registry.js';
import { ConfigError } from '../core/config-error.js';
import { formatIssues } from '../cli/check.js';
import { createLogger } from '../observe/logger.js';
import { builtinPolicies } from '../policies/index.js';
import { startGateway } from '../server/gateway.js';
import { ensureDevCertificates } from './certs.js';
import { startTasksApi } from './tasks-api.js';

const TEMPLATE = fileURLToPath(new URL('./portcullis.demo.yaml', import.meta.url));

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, not '${raw}'`);
  return port;
}

async function main(): Promise<void> {
  const dir = resolve(process.env.PORTCULLIS_DEMO_DIR ?? '.demo');
  const httpsPort = portFromEnv('PORTCULLIS_DEMO_HTTPS_PORT', 8443);
  const httpPort = portFromEnv('PORTCULLIS_DEMO_HTTP_PORT', 8080);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certs = await ensureDevCertificates(dir);
  const api = await startTasksApi({ host: '127.0.0.1', port: 0 });

  const template = await readFile(TEMPLATE, 'utf8');
  const configFile = resolve(dir, 'portcullis.yaml');
  await writeFile(configFile, template
    .replaceAll('{{HTTPS_PORT}}', String(httpsPort))
    .replaceAll('{{HTTP_PORT}}', String(httpPort))
    .replaceAll('{{TASKS_API_URL}}', api.url)
    .replace('$schema: ../docs/portcullis.schema.json', `$schema: ${resolve(fileURLToPath(new URL('../../docs/portcullis.schema.json', import.meta.url)))}`));

  const registry = createRegistry(builtinPolicies);
  let gateway;
  try {
    const loaded = await loadConfigFile(configFile, registry);
    const logger = createLogger(loaded.config.log);
    gateway = await startGateway({ loaded, registry, logger });
  } catch (error) {
    await api.close();
    if (error instanceof ConfigError) {
      console.error(formatIssues(configFile, error.issues));
      process.exitCode = 1;
      return;
    }
    throw error;
  }

  const gw = `https://localhost:${gateway.https!.port}`;
  const redirect = `http://localhost:${gateway.http!.port}`;
  console.log(`
Portcullis demo ready: gateway ${gw} (redirect ${redirect}), sample API ${api.url}
  CA certificate: ${certs.caPath}

  curl --cacert ${certs.caPath} ${gw}/api/v1/tasks -i
  curl --cacert ${certs.caPath} ${gw}/api/v1/debug -i                      # 404: not in the inventory
  curl --cacert ${certs.caPath} ${gw}/api/v1/tasks/..%2f..%2fdebug -i      # 400: path tricks refused
  curl ${redirect}/api/v1/tasks -i                                          # 308 to https
  head -c 100000 /dev/zero | curl --cacert ${certs.caPath} ${gw}/api/v1/tasks -H 'content-type: application/json' --data-binary @- -i   # 413

Press Ctrl-C to stop.
`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    Promise.all([gateway.close(), api.close()]).then(
      () => console.log('demo stopped'),
      (error: unknown) => {
        console.error('demo stopped with an error:', error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('demo failed to start:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
