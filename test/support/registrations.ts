import { installFunctionsCore, type Registration } from '../../local/functions-core';

/**
 * What the entry registers, through the same functions-core stand-in the local host uses. The
 * settings are valid but point nowhere: importing the entry must not touch any service (adapters are
 * created lazily), so a test that only reads the registrations needs no stack.
 */
export async function registeredFunctions(): Promise<readonly Registration[]> {
  Object.assign(process.env, {
    APP_ENV: 'local',
    COSMOS__accountEndpoint: 'http://127.0.0.1:9',
    STORAGE__blobServiceUri: 'http://127.0.0.1:9/devstoreaccount1',
    AUTH_MODE: 'development',
    AUTH_ISSUER: 'https://login.algesta.local/dev',
    AUTH_AUDIENCE: 'api://algesta-local',
    AUTH_DEV_KEY_DIR: '/nonexistent',
  });
  const core = installFunctionsCore();
  await import('../../functions/index');
  return core.registrations();
}
