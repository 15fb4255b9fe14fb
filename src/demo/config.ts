/**
 * The demo gateway's configuration: portcullis.demo.yaml with its {{…}} placeholders filled in
 * (ports, the sample API's and identity provider's URLs, the API key's hash, the admin token's
 * hash, the OpenAPI document's path). Used by `npm start` and by the tests that check the demo
 * configuration (`portcullis audit` must pass on it).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The template's path. */
export const DEMO_CONFIG_TEMPLATE = fileURLToPath(new URL('./portcullis.demo.yaml', import.meta.url));

/** What the demo config template needs filled in. */
export interface DemoConfigValues {
  readonly httpsPort: number;
  readonly httpPort: number;
  readonly adminPort: number;
  readonly tasksApiUrl: string;
  readonly idpIssuer: string;
  readonly idpJwksUri: string;
  readonly apiKeyPrefix: string;
  readonly apiKeyHash: string;
  readonly adminTokenSha256: string;
}

/**
 * Fills the {{…}} placeholders of portcullis.demo.yaml.
 *
 * @example
 * ```ts
 * await writeFile('.demo/portcullis.yaml', renderDemoConfig(template, values));
 * ```
 */
export function renderDemoConfig(template: string, v: DemoConfigValues): string {
  return template
    .replaceAll('{{HTTPS_PORT}}', String(v.httpsPort))
    .replaceAll('{{HTTP_PORT}}', String(v.httpPort))
    .replaceAll('{{TASKS_API_URL}}', v.tasksApiUrl)
    .replaceAll('{{IDP_URL}}', new URL(v.idpJwksUri).origin)
    .replaceAll('{{IDP_ISSUER}}', v.idpIssuer)
    .replaceAll('{{IDP_JWKS_URI}}', v.idpJwksUri)
    .replaceAll('{{API_KEY_PREFIX}}', v.apiKeyPrefix)
    .replaceAll('{{API_KEY_HASH}}', v.apiKeyHash)
    .replaceAll('{{ADMIN_PORT}}', String(v.adminPort))
    .replaceAll('{{ADMIN_TOKEN_SHA256}}', v.adminTokenSha256)
    .replaceAll('{{OPENAPI_FILE}}', fileURLToPath(new URL('./openapi.yaml', import.meta.url)))
    .replace('$schema: ../docs/portcullis.schema.json', `$schema: ${resolve(fileURLToPath(new URL('../../docs/portcullis.schema.json', import.meta.url)))}`);
}

