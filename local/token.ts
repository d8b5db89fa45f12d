/**
 * `npm run token -- --role <admin|operator|client|provider> [--client <id>] [--provider <id>]
 *   [--sub <id>] [--name <n>] [--email <e>] [--ttl 8h] [--data-dir .local]`
 * `npm run token -- [--data-dir .local] --persona <admin|operator|client|provider>`
 *
 * Prints a development token for the embedded stack and nothing else on stdout, so that
 * `TOKEN=$(npm run -s token -- --role operator)` works. Errors go to stderr with exit code 2.
 *
 * `--persona` is the demo user of that role with its demo tenant (the client's `DEMO.clientId`, the
 * provider's first `DEMO.providerIds`): the persona as a last argument is how the remote e2e suite
 * asks its token command (E2E_TOKEN_COMMAND, docs/testing-remote.md).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../shared/domain/access/principal';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevIssuer, type DevTokenClaims } from './dev-issuer';
import { DEMO } from './seed';

const USAGE =
  'usage: npm run token -- --role <admin|operator|client|provider> [--client <id>] [--provider <id>]\n' +
  '         [--sub <id>] [--name <n>] [--email <e>] [--ttl 8h] [--data-dir .local]\n' +
  '       npm run token -- [--data-dir .local] [--ttl 8h] --persona <admin|operator|client|provider>';

/** jose time spans limited to the plain forms worth typing here: 90s, 30m, 8h, 7d. */
const TTL = /^\d+[smhd]$/;

class UsageError extends Error {}

interface TokenRequest {
  claims: DevTokenClaims;
  ttl: string;
  keyDir: string;
}

function parseRequest(argv: string[], env: NodeJS.ProcessEnv): TokenRequest {
  const { values } = parseOptions(argv);
  if (values.persona !== undefined) {
    const mixed = (['role', 'client', 'provider', 'sub', 'name', 'email'] as const).filter((o) => values[o] !== undefined);
    if (mixed.length) throw new UsageError(`--persona names the demo user and tenant: drop --${mixed.join(', --')}`);
    const role = parseRole(values.persona);
    values.role = role;
    if (role === 'client') values.client = DEMO.clientId;
    if (role === 'provider') values.provider = DEMO.providerIds[0];
  }
  const role = parseRole(values.role);
  if (role === 'client' && !values.client) throw new UsageError('--client <clientId> is required for role client');
  if (role === 'provider' && !values.provider) throw new UsageError('--provider <providerId> is required for role provider');
  const ttl = values.ttl ?? '8h';
  if (!TTL.test(ttl)) throw new UsageError(`--ttl must look like 30m, 8h or 7d`);
  const dataDir = resolve(values['data-dir'] ?? env.LOCAL_DATA_DIR ?? '.local');
  return {
    claims: {
      // The demo user of that role by default, so the token matches a seeded profile.
      sub: values.sub ?? DEMO.users[role],
      role,
      ...(role === 'client' ? { clientId: values.client } : {}),
      ...(role === 'provider' ? { providerId: values.provider } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(values.email ? { email: values.email } : {}),
    },
    ttl,
    keyDir: join(dataDir, 'dev-issuer'),
  };
}

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        role: { type: 'string' },
        persona: { type: 'string' },
        client: { type: 'string' },
        provider: { type: 'string' },
        sub: { type: 'string' },
        name: { type: 'string' },
        email: { type: 'string' },
        ttl: { type: 'string' },
        'data-dir': { type: 'string' },
      },
    });
  } catch (err) {
    // parseArgs reports unknown options and missing values with a readable message.
    throw new UsageError((err as Error).message);
  }
}

function parseRole(value: string | undefined): Role {
  if (!value) throw new UsageError('--role is required');
  if (!(ROLES as readonly string[]).includes(value)) throw new UsageError(`unknown role "${value}"; one of ${ROLES.join(', ')}`);
  return value as Role;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let request: TokenRequest;
  try {
    request = parseRequest(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`token: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const issuer = await loadOrCreateDevIssuer(request.keyDir);
  const token = await issuer.mint(request.claims, { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, expiresIn: request.ttl });
  process.stdout.write(token + '\n');
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
