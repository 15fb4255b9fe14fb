/**
 * `npm start`: the demo stack in one process. Generates the development CA and certificate into
 * .demo/ on first start, starts the identity provider (http://localhost:9000) and the sample
 * Tasks API on 127.0.0.1, creates the reporting service's API key (.demo/api-key; the config
 * holds only its hash), writes the gateway's config from portcullis.demo.yaml and starts the
 * gateway in front of it (https://localhost:8443, and http://localhost:8080 redirecting).
 * Ctrl-C (or SIGTERM) stops everything cleanly.
 *
 * Environment: PORTCULLIS_DEMO_DIR (default .demo), PORTCULLIS_DEMO_HTTPS_PORT (8443),
 * PORTCULLIS_DEMO_HTTP_PORT (8080), PORTCULLIS_DEMO_IDP_PORT (9000); port 0 picks free ports
 * (the tests do that).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { DEMO_CONFIG_TEMPLATE, renderDemoConfig } from './config.js';
import { createRegistry } from '../config/registry.js';
import { ConfigError } from '../core/config-error.js';
import { formatIssues } from '../cli/check.js';
import { createLogger } from '../observe/logger.js';
import { builtinPolicies } from '../policies/index.js';
import { startGateway } from '../server/gateway.js';
import { ensureDevCertificates } from './certs.js';
import { startTasksApi } from './tasks-api.js';
import { IDP_KEYS_FILE, IDP_SECRETS_FILE, startIdentityProvider } from './idp.js';
import { generateApiKey, hashApiKey, keyPrefix } from '../policies/api-key/key-format.js';


function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, not '${raw}'`);
  return port;
}

/** The reporting service's key: kept in `file` (0600) so it survives restarts; only its hash goes into the config. */
async function ensureApiKey(file: string): Promise<{ prefix: string; hash: string }> {
  try {
    const key = (await readFile(file, 'utf8')).trim();
    const prefix = keyPrefix(key);
    if (prefix !== undefined) return { prefix, hash: hashApiKey(key) };
  } catch {
    // First start: create it below.
  }
  const created = generateApiKey();
  await writeFile(file, `${created.key}\n`, { mode: 0o600 });
  return { prefix: created.prefix, hash: created.hash };
}

/** The admin token: kept in `file` (0600); only its SHA-256 goes into the config. */
async function ensureAdminToken(file: string): Promise<string> {
  let token = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (token.length < 32) {
    token = randomBytes(32).toString('base64url');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
  }
  return createHash('sha256').update(token).digest('hex');
}

async function main(): Promise<void> {
  const dir = resolve(process.env.PORTCULLIS_DEMO_DIR ?? '.demo');
  const httpsPort = portFromEnv('PORTCULLIS_DEMO_HTTPS_PORT', 8443);
  const httpPort = portFromEnv('PORTCULLIS_DEMO_HTTP_PORT', 8080);
  const idpPort = portFromEnv('PORTCULLIS_DEMO_IDP_PORT', 9000);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certs = await ensureDevCertificates(dir);
  const apiKey = await ensureApiKey(join(dir, 'api-key'));
  const adminTokenHash = await ensureAdminToken(join(dir, 'admin-token'));
  const adminPort = portFromEnv('PORTCULLIS_DEMO_ADMIN_PORT', 9901);
  const idp = await startIdentityProvider({
    host: '127.0.0.1',
    port: idpPort,
    audience: 'https://localhost:8443',
    keysFile: join(dir, IDP_KEYS_FILE),
    secretsFile: join(dir, IDP_SECRETS_FILE),
  });
  const api = await startTasksApi({ host: '127.0.0.1', port: 0 });
  const stopBackends = () => Promise.all([api.close(), idp.close()]);

  const configFile = resolve(dir, 'portcullis.yaml');
  await writeFile(configFile, renderDemoConfig(await readFile(DEMO_CONFIG_TEMPLATE, 'utf8'), {
    httpsPort, httpPort, adminPort, tasksApiUrl: api.url, idpIssuer: idp.issuer, idpJwksUri: idp.jwksUri,
    apiKeyPrefix: apiKey.prefix, apiKeyHash: apiKey.hash, adminTokenSha256: adminTokenHash,
  }));

  const registry = createRegistry(builtinPolicies);
  let gateway;
  try {
    const loaded = await loadConfigFile(configFile, registry);
    const logger = createLogger(loaded.config.log);
    gateway = await startGateway({ loaded, registry, logger });
  } catch (error) {
    await stopBackends();
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
Portcullis demo ready: gateway ${gw} (redirect ${redirect}), identity provider ${idp.issuer}, sample API ${api.url}
  CA certificate: ${certs.caPath}

  curl --cacert ${certs.caPath} ${gw}/api/v1/tasks -i                      # 401: a token is needed
  TOKEN=$(npm run -s token -- alice)                                          # Authorization Code + PKCE as alice
  curl --cacert ${certs.caPath} ${gw}/api/v1/tasks -H "authorization: Bearer $TOKEN" -i
  curl --cacert ${certs.caPath} ${gw}/api/v1/reports/engineering -H "x-api-key: $(cat ${join(dir, 'api-key')})" -i
  curl --cacert ${certs.caPath} ${gw}/api/v1/debug -i                      # 404: not in the inventory
  curl --cacert ${certs.caPath} ${gw}/api/v1/tasks/..%2f..%2fdebug -i      # 400: path tricks refused
  curl ${redirect}/api/v1/tasks -i                                          # 308 to https
  curl http://127.0.0.1:${gateway.admin!.port}/metrics                       # Prometheus metrics
  curl http://127.0.0.1:${gateway.admin!.port}/alerts -H "authorization: Bearer $(cat ${join(dir, 'admin-token')})"
  npx portcullis audit ${configFile}                                        # security checklist, OWASP API Top 10
  head -c 100000 /dev/zero | curl --cacert ${certs.caPath} ${gw}/api/v1/tasks -H 'content-type: application/json' --data-binary @- -i   # 413

Press Ctrl-C to stop.
`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    Promise.all([gateway.close(), stopBackends()]).then(
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
