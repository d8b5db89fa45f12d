/**
 * The Key Vault secret names the partner adapters read (locally: `SECRET_<NAME>` variables, see
 * EnvSecretStore). One place, so infra, docs/integrations.md and the adapters agree.
 */
export const PARTNER_SECRETS = {
  /** RSA private key (PEM, PKCS#1 or PKCS#8) of the DocuSign integration key, for the JWT grant. */
  docusignPrivateKey: 'docusign-private-key',
  /** Connect HMAC keys, comma-separated: every one is accepted, so a key can be rotated without downtime. */
  docusignConnectHmacKeys: 'docusign-connect-hmac-keys',
  /** Asana personal access token of the integration's service user. */
  asanaPat: 'asana-pat',
  assetsApiKey: 'assets-api-key',
  qsystemsApiToken: 'qsystems-api-token',
} as const;
