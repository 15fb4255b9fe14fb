/**
 * `npm run token`: prints an access token from the demo identity provider, and nothing else on
 * stdout, so `TOKEN=$(npm run -s token -- alice)` works.
 *
 *   npm run -s token -- alice                          Authorization Code + PKCE as alice (a JWT for the gateway)
 *   npm run -s token -- bob --resource urn:portcullis:opaque    an opaque token (introspected by the gateway)
 *   npm run -s token -- --client reporting-cli         Client Credentials
 *
 * The identity provider is at http://localhost:9000 unless PORTCULLIS_IDP_URL says otherwise. The
 * client secret of `--client` comes from `--secret`, else PORTCULLIS_CLIENT_SECRET, else the file
 * the demo wrote (`.demo/idp-clients.json`, or under PORTCULLIS_DEMO_DIR). Failures print one line
 * on stderr and exit 1.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_IDP_URL, TokenFlowError, getClientToken, getUserToken } from './idp-client.js';
import { IDP_SECRETS_FILE, readClientSecrets } from './idp-keys.js';

export { DEFAULT_IDP_URL, TokenFlowError, getClientToken, getUserToken, type ClientTokenOptions, type UserTokenOptions } from './idp-client.js';

const USAGE = `usage: npm run -s token -- <user> [--resource URI] [--scope "a b"]
       npm run -s token -- --client <client-id> [--secret S] [--resource URI] [--scope "a b"]
users: alice, bob, carol; client: reporting-cli`;

async function main(argv: readonly string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      client: { type: 'string' },
      secret: { type: 'string' },
      resource: { type: 'string' },
      scope: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const idpUrl = process.env.PORTCULLIS_IDP_URL ?? DEFAULT_IDP_URL;
  const common = { ...(values.resource === undefined ? {} : { resource: values.resource }), ...(values.scope === undefined ? {} : { scope: values.scope }) };
  if (values.client !== undefined) {
    if (positionals.length > 0) throw new TokenFlowError(`give a user or --client, not both\n${USAGE}`);
    const secret = values.secret ?? process.env.PORTCULLIS_CLIENT_SECRET ?? (await secretFromDemoDir(values.client));
    return getClientToken(idpUrl, values.client, secret, common);
  }
  if (positionals.length !== 1) throw new TokenFlowError(USAGE);
  return getUserToken(idpUrl, positionals[0]!, common);
}

async function secretFromDemoDir(clientId: string): Promise<string> {
  const file = resolve(process.env.PORTCULLIS_DEMO_DIR ?? '.demo', IDP_SECRETS_FILE);
  const secret = (await readClientSecrets(file))[clientId];
  if (typeof secret !== 'string') throw new TokenFlowError(`no secret for '${clientId}' in ${file}: start the demo first (npm start), or pass --secret / PORTCULLIS_CLIENT_SECRET`);
  return secret;
}

const invoked = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invoked) {
  main(process.argv.slice(2)).then(
    (token) => process.stdout.write(`${token}\n`),
    (error: unknown) => {
      const known = error instanceof TokenFlowError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
      console.error(`token: ${error instanceof Error ? error.message : String(error)}`);
      if (!known) console.error(error);
      process.exitCode = 1;
    },
  );
}
