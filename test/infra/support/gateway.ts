/**
 * The contract of issue 24's gateway and edge, as checks that return the problems they find (so the
 * tests can show each check failing on a deliberately broken copy): the API Management policy file
 * (infra/gateway/policies/global.xml) against the served OpenAPI document and shared/'s token claims,
 * and each environment's gateways and Front Door WAF as the Bicep deploys them.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { TOKEN_CLAIMS } from '../../../shared/platform/auth/token-verifier';
import { GATEWAY_PROBLEMS, PROBLEM_BASE, PROBLEMS } from '../../../shared/platform/http/problem';
import { type BicepObject, type ModuleInstance, sampleOf } from './evaluate';
import { type Deployment, get } from './infra';

export interface OpenApi {
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
}

export interface Operation {
  readonly method: string;
  readonly path: string;
  readonly operationId: string;
  readonly anonymous: boolean;
}

export function operationsOf(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => typeof op === 'object' && op !== null && 'operationId' in op)
      .map(([method, op]) => ({
        method,
        path,
        operationId: op.operationId!,
        anonymous: Array.isArray(op.security) && op.security.length === 0,
      })),
  );
}

type Node = Record<string, unknown>;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true, trimValues: true });

/** preserveOrder's shape: [{ tag: [children], ':@': { attrs } }]. */
function tagOf(n: Node): string | undefined {
  return Object.keys(n).find((k) => k !== ':@');
}
function children(n: Node): Node[] {
  const t = tagOf(n);
  return t && Array.isArray(n[t]) ? (n[t] as Node[]) : [];
}
function attr(n: Node, name: string): string | undefined {
  return (n[':@'] as Record<string, string> | undefined)?.[`@${name}`];
}
function text(n: Node): string {
  return children(n)
    .map((c) => (typeof c['#text'] === 'string' || typeof c['#text'] === 'number' ? String(c['#text']) : ''))
    .join('');
}
function all(nodes: Node[], tag: string): Node[] {
  return nodes.flatMap((n) => [...(tagOf(n) === tag ? [n] : []), ...all(children(n), tag)]);
}
function section(root: Node[], name: string): Node[] {
  const policies = root.find((n) => tagOf(n) === 'policies');
  const s = policies ? children(policies).find((n) => tagOf(n) === name) : undefined;
  return s ? children(s) : [];
}

/**
 * Attribute values holding a literal "<", which XML forbids (XML 1.0, AttValue) but fast-xml-parser's
 * validator lets through; a C# generic such as GetValueOrDefault<string>(…) in a policy expression is
 * the usual way to write one.
 */
export function attributeProblems(xml: string): string[] {
  const walk = (nodes: Node[]): string[] =>
    nodes.flatMap((n) => [
      ...Object.entries((n[':@'] as Record<string, string> | undefined) ?? {})
        .filter(([, v]) => typeof v === 'string' && v.includes('<'))
        .map(([k, v]) => `<${tagOf(n)} ${k.slice(1)}="${v}">: "<" in an attribute value is not well-formed XML`),
      ...walk(children(n)),
    ]);
  return walk(parser.parse(xml) as Node[]);
}

/** The branches of the inbound <choose> that routes operations, by what their condition matches. */
interface Branch {
  readonly condition: string;
  readonly body: Node[];
  /** The one path it matches exactly, or the regular expression it matches. */
  readonly matches: (path: string) => boolean;
}

function routingBranches(inbound: Node[]): { branches: Branch[]; otherwise: Node[] } | undefined {
  const choose = inbound.filter((n) => tagOf(n) === 'choose').find((c) => children(c).some((n) => tagOf(n) === 'otherwise'));
  if (!choose) return undefined;
  const branches = children(choose)
    .filter((n) => tagOf(n) === 'when')
    .map((w): Branch => {
      const condition = attr(w, 'condition') ?? '';
      const exact = /OriginalUrl\.Path\.Equals\("([^"]+)", StringComparison\.OrdinalIgnoreCase\)/.exec(condition);
      const regex = /Regex\.IsMatch\(context\.Request\.OriginalUrl\.Path, "([^"]+)"/.exec(condition);
      // .NET and JavaScript read these simple patterns alike; "\\." in the C# string literal is "\.".
      const matches = exact
        ? (p: string) => p.toLowerCase() === exact[1]!.toLowerCase()
        : regex
          ? (p: string) => new RegExp(regex[1]!.replace(/\\\\/g, '\\'), 'i').test(p)
          : () => false;
      return { condition, body: children(w), matches };
    });
  const otherwise = children(children(choose).find((n) => tagOf(n) === 'otherwise')!);
  return { branches, otherwise };
}

const limiterTags = ['rate-limit-by-key'];

/** Problems of the global policy against the served document; [] when it keeps the contract. */
export function policyProblems(xml: string, doc: OpenApi, webhookRoutes: readonly string[]): string[] {
  const problems: string[] = [];
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return [`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`];
  const root = parser.parse(xml) as Node[];
  for (const s of ['inbound', 'backend', 'outbound', 'on-error']) if (!all(root, s).length) problems.push(`no <${s}> section`);
  const inbound = section(root, 'inbound');

  // 1. Front Door's id, before anything else.
  const first = inbound[0];
  const fdid = first && tagOf(first) === 'choose' ? children(first).find((n) => tagOf(n) === 'when') : undefined;
  const fdCondition = fdid ? (attr(fdid, 'condition') ?? '') : '';
  // Its only exception: Front Door's own health probe path (global.xml says why).
  const exempt = [...fdCondition.matchAll(/OriginalUrl\.Path\.Equals\("([^"]+)"/g)].map((m) => m[1]);
  if (exempt.join() !== '/api/health/ready') problems.push(`the Front Door check exempts ${exempt.join(', ')}`);
  if (
    !/Headers\.GetValueOrDefault\("X-Azure-FDID", ""\) != "\{\{front-door-id\}\}"/.test(fdCondition) ||
    !all(children(fdid!), 'return-response').length
  )
    problems.push('the first inbound policy does not refuse requests whose X-Azure-FDID is not {{front-door-id}}');
  else {
    const body = text(all(children(fdid!), 'set-body')[0] ?? {});
    const status = attr(all(children(fdid!), 'set-status')[0] ?? {}, 'code');
    problems.push(...problemBodyProblems('Front Door check', body, 'forbidden', status));
  }

  // The client's address: Front Door's X-Azure-ClientIP, read only after the X-Azure-FDID check.
  const address = inbound.findIndex((n) => tagOf(n) === 'set-variable' && attr(n, 'name') === 'clientAddress');
  if (address < 1 || !/Headers\.GetValueOrDefault\("X-Azure-ClientIP"/.test(attr(inbound[address]!, 'value') ?? ''))
    problems.push('the client address is not X-Azure-ClientIP read after the Front Door check');

  // 2. Every operation lands in a branch of its own kind.
  const routing = routingBranches(inbound);
  if (!routing) return [...problems, 'no inbound <choose> with an <otherwise> routes the operations'];
  const jwtIn = (nodes: Node[]) => all(nodes, 'validate-jwt').length > 0;
  const limitersIn = (nodes: Node[]) => all(nodes, 'rate-limit-by-key');
  for (const op of operationsOf(doc)) {
    const where = `${op.method.toUpperCase()} ${op.path} (${op.operationId})`;
    const branch = routing.branches.find((b) => b.matches(op.path));
    const webhook = webhookRoutes.some((r) => `/api/${r}` === op.path);
    if (webhook) {
      if (!branch) problems.push(`${where}: the partner webhook has no branch of its own`);
      else {
        const keys = limitersIn(branch.body).map((l) => attr(l, 'counter-key'));
        if (keys.length !== 1 || keys[0] !== op.path.replace('/api/webhooks/', 'webhook-'))
          problems.push(`${where}: its branch does not limit it on a counter of its own (${keys.join(', ')})`);
        if (jwtIn(branch.body)) problems.push(`${where}: a webhook carries its partner's signature, not a token`);
      }
    } else if (op.anonymous) {
      if (!branch || routing.branches.filter((b) => b.matches(op.path)).length !== 1)
        problems.push(`${where}: the anonymous operation is not in exactly one branch`);
      else if (!limitersIn(branch.body).some((l) => /clientAddress/.test(attr(l, 'counter-key') ?? '')))
        problems.push(`${where}: the anonymous operation is not limited per client address`);
    } else if (branch) problems.push(`${where}: an authenticated operation skips validate-jwt (matched ${branch.condition})`);
  }
  if (!jwtIn(routing.otherwise)) problems.push('the authenticated branch has no validate-jwt');
  // CORS preflights (the OPTIONS operation gateway-import.ts adds to each path) carry no token.
  const preflight = routing.branches.find((b) => b.condition === '@(context.Request.Method == "OPTIONS")');
  if (
    !preflight ||
    jwtIn(preflight.body) ||
    !limitersIn(preflight.body).some((l) => /clientAddress/.test(attr(l, 'counter-key') ?? ''))
  )
    problems.push('CORS preflights (OPTIONS) do not pass without a token, limited per client address');

  // 3. validate-jwt: the app's issuer and audience (named values set from the same params), OpenID keys.
  const jwt = all(routing.otherwise, 'validate-jwt')[0];
  if (jwt) {
    const issuers = all(children(jwt), 'issuer').map(text);
    const audiences = all(children(jwt), 'audience').map(text);
    const openid = all(children(jwt), 'openid-config').map((n) => attr(n, 'url'));
    if (issuers.join() !== '{{auth-issuer}}') problems.push(`validate-jwt issuers ${issuers.join()}`);
    if (audiences.join() !== '{{auth-audience}}') problems.push(`validate-jwt audiences ${audiences.join()}`);
    if (openid.join() !== '{{auth-openid-config}}') problems.push(`validate-jwt openid-config ${openid.join()}`);
    if (attr(jwt, 'output-token-variable-name') !== 'jwt') problems.push('validate-jwt does not keep the token as "jwt"');
  }

  // 4. The limit keys read exactly the claims shared/ reads.
  const claimsRead = new Set([...xml.matchAll(/jwt\.Claims\.GetValueOrDefault\("([^"]+)"/g)].map((m) => m[1]!));
  const claimsShared = new Set<string>([...TOKEN_CLAIMS.userId, TOKEN_CLAIMS.clientId, TOKEN_CLAIMS.providerId]);
  if ([...claimsRead].sort().join() !== [...claimsShared].sort().join())
    problems.push(
      `the limit keys read the claims ${[...claimsRead].sort().join(', ')}, shared/ reads ${[...claimsShared].sort().join(', ')}`,
    );
  const afterJwt = routing.otherwise.slice(routing.otherwise.indexOf(jwt!) + 1);
  const keyed = afterJwt.filter((n) => limiterTags.includes(tagOf(n)!)).map((n) => `${tagOf(n)} ${attr(n, 'counter-key')}`);
  for (const want of [
    'rate-limit-by-key @((string)context.Variables["tenantKey"])',
    'rate-limit-by-key @((string)context.Variables["userKey"])',
    'rate-limit-by-key @("5min:" + (string)context.Variables["tenantKey"])',
  ])
    if (!keyed.includes(want)) problems.push(`after validate-jwt, no ${want}`);

  // 5. Every limiter's numbers are named values; every rate limiter hands its retry time to on-error.
  // quota-by-key is not available in the v2 tiers (learn.microsoft.com/azure/api-management/quota-by-key-policy).
  if (all(inbound, 'quota-by-key').length) problems.push('quota-by-key: not available in Basic v2 / Standard v2');
  for (const l of all(inbound, 'rate-limit-by-key')) {
    if (!/^\{\{[a-z0-9-]+\}\}$/.test(attr(l, 'calls') ?? ''))
      problems.push(`${tagOf(l)} calls="${attr(l, 'calls')}" is not a named value`);
    if (tagOf(l) === 'rate-limit-by-key' && attr(l, 'retry-after-variable-name') !== 'retryAfter')
      problems.push(`${attr(l, 'counter-key')}: no retry-after-variable-name="retryAfter"`);
  }

  // 6. The gateway's refusals are the app's problem documents, the 429s with Retry-After and RateLimit.
  const onError = routingOnError(root);
  const expect = [
    { source: 'rate-limit-by-key', type: 'rate-limited', status: 429 },
    { source: 'validate-jwt', type: 'unauthorized', status: 401 },
    // An unknown route (no operation matches): the app's not-found problem, as the smoke test expects.
    { source: 'configuration', type: 'not-found', status: 404 },
  ] as const;
  for (const e of expect) {
    const branch = onError.find((w) => (attr(w, 'condition') ?? '').includes(`context.LastError.Source == "${e.source}"`));
    if (!branch) {
      problems.push(`on-error does not answer ${e.source} failures`);
      continue;
    }
    const status = attr(all(children(branch), 'set-status')[0] ?? {}, 'code');
    const body = text(all(children(branch), 'set-body')[0] ?? {});
    problems.push(...problemBodyProblems(e.source, body, e.type, status));
    const headers = all(children(branch), 'set-header').map((h) => attr(h, 'name'));
    const wanted =
      e.status === 429
        ? ['Content-Type', 'Retry-After', 'RateLimit-Policy', 'RateLimit']
        : e.status === 401
          ? ['Content-Type', 'WWW-Authenticate']
          : ['Content-Type'];
    for (const h of wanted) if (!headers.includes(h)) problems.push(`${e.source}: the ${e.status} answer has no ${h} header`);
  }

  // 7. The per-tenant quota per UTC day, counted in the built-in cache (quota-by-key is not in v2).
  const rateLimited = onError.find((w) =>
    (attr(w, 'condition') ?? '').includes('context.LastError.Source == "rate-limit-by-key"'),
  );
  problems.push(...dailyQuotaProblems(afterJwt, rateLimited ? all(children(rateLimited), 'return-response')[0] : undefined));
  return problems;
}

/** The variables the daily quota sets, and the expressions issue 24's contract wants for them. */
export const DAILY_QUOTA = {
  /** One instant for the key and the reset, so both name the same day. */
  now: '@(DateTime.UtcNow)',
  key: '@("quota:" + (string)context.Variables["tenantKey"] + ":" + ((DateTime)context.Variables["quotaNow"]).ToString("yyyy-MM-dd"))',
  /** Seconds to the next UTC midnight: 86400 at 00:00:00, 1 during the day's last second. */
  resetSeconds: '@(86400 - (int)((DateTime)context.Variables["quotaNow"]).TimeOfDay.TotalSeconds)',
  namedValue: 'limit-tenant-calls-day',
  /** The longest the cache entry may outlive its day (s): the entry is garbage after midnight anyway. */
  maxMarginSeconds: 3600,
} as const;

/**
 * The daily quota in the authenticated branch (the nodes after validate-jwt): the key is the tenant
 * key and the UTC day; the count is looked up, refused at the named value's limit with the very 429
 * on-error gives a rate limit (retry after the seconds to midnight), else stored plus one for at most
 * the rest of the day and a margin.
 */
function dailyQuotaProblems(afterJwt: Node[], onErrorAnswer: Node | undefined): string[] {
  const problems: string[] = [];
  const at = (pred: (n: Node) => boolean) => afterJwt.findIndex(pred);
  const variable = (name: string) => at((n) => tagOf(n) === 'set-variable' && attr(n, 'name') === name);
  const value = (i: number) => (i < 0 ? undefined : attr(afterJwt[i]!, 'value'));
  const tenantKey = variable('tenantKey');
  const [now, key, reset] = [variable('quotaNow'), variable('quotaKey'), variable('quotaResetSeconds')];
  if (value(now) !== DAILY_QUOTA.now) problems.push(`daily quota: quotaNow is ${value(now)}, not the UTC time`);
  if (value(key) !== DAILY_QUOTA.key || key < tenantKey)
    problems.push(`daily quota: the counter key is ${value(key)}, not the tenant key and the UTC day`);
  if (value(reset) !== DAILY_QUOTA.resetSeconds)
    problems.push(`daily quota: quotaResetSeconds is ${value(reset)}, not the seconds to the next UTC midnight`);

  const lookup = at((n) => tagOf(n) === 'cache-lookup-value');
  const store = at((n) => tagOf(n) === 'cache-store-value');
  const refusal = at(
    (n) =>
      tagOf(n) === 'choose' &&
      children(n).some(
        (w) => attr(w, 'condition') === '@((int)context.Variables["quotaCount"] >= int.Parse("{{limit-tenant-calls-day}}"))',
      ),
  );
  if (lookup < 0 || store < 0 || refusal < 0)
    return [
      ...problems,
      'daily quota: no cache-lookup-value, refusal at {{limit-tenant-calls-day}} and cache-store-value after validate-jwt',
    ];
  const quotaKeyRef = '@((string)context.Variables["quotaKey"])';
  for (const i of [lookup, store]) {
    const n = afterJwt[i]!;
    if (attr(n, 'key') !== quotaKeyRef) problems.push(`daily quota: ${tagOf(n)} key ${attr(n, 'key')}`);
    // The built-in cache, whatever external cache may be configured later (docs/security.md).
    if (attr(n, 'caching-type') !== 'internal') problems.push(`daily quota: ${tagOf(n)} is not on the built-in cache`);
  }
  if (attr(afterJwt[lookup]!, 'variable-name') !== 'quotaUsed' || attr(afterJwt[lookup]!, 'default-value') !== '0')
    problems.push('daily quota: the lookup does not start a new day at 0 in quotaUsed');
  // A cache fault reads null (api-management-howto-cache): counted as 0, never an exception (a 500).
  const count = value(variable('quotaCount'));
  if (count !== '@(int.Parse(context.Variables.GetValueOrDefault("quotaUsed", "0") ?? "0"))')
    problems.push(`daily quota: quotaCount is ${count}, which does not read a missing or null count as 0`);
  if (!(Math.max(now, key, reset) < lookup && lookup < refusal && refusal < store))
    problems.push('daily quota: not in the order key, lookup, refusal, store');
  if (attr(afterJwt[store]!, 'value') !== '@(((int)context.Variables["quotaCount"] + 1).ToString())')
    problems.push(`daily quota: the store writes ${attr(afterJwt[store]!, 'value')}, not the count plus one`);
  const duration = /^@\(\(int\)context\.Variables\["quotaResetSeconds"\] \+ (\d+)\)$/.exec(
    attr(afterJwt[store]!, 'duration') ?? '',
  );
  if (!duration || Number(duration[1]) > DAILY_QUOTA.maxMarginSeconds)
    problems.push(
      `daily quota: the entry lives ${attr(afterJwt[store]!, 'duration')}, not the rest of the day plus at most ${DAILY_QUOTA.maxMarginSeconds} s`,
    );

  // The refusal: the same limit variables as the rate limits, retry at midnight, on-error's 429 verbatim.
  const limitVars = Object.fromEntries(
    ['limitName', 'limitCalls', 'limitWindow'].map((name) => [
      name,
      value(afterJwt.slice(0, lookup).findLastIndex((n) => tagOf(n) === 'set-variable' && attr(n, 'name') === name)),
    ]),
  );
  if (limitVars.limitCalls !== `{{${DAILY_QUOTA.namedValue}}}` || limitVars.limitWindow !== '86400' || !limitVars.limitName)
    problems.push(`daily quota: the 429 would report ${JSON.stringify(limitVars)}`);
  const when = children(afterJwt[refusal]!).find((w) => tagOf(w) === 'when')!;
  const retry = children(when).find((n) => tagOf(n) === 'set-variable' && attr(n, 'name') === 'retryAfter');
  if (!retry || attr(retry, 'value') !== '@((int)context.Variables["quotaResetSeconds"])')
    problems.push('daily quota: its refusal does not retry after the seconds to the next UTC midnight');
  const answer = all(children(when), 'return-response')[0];
  // Compared as parsed, with the expressions' line breaks and indentation (deeper here) ignored.
  const shape = (n: Node) => JSON.stringify(n).replace(/\\n */g, ' ');
  if (!answer || !onErrorAnswer || shape(answer) !== shape(onErrorAnswer))
    problems.push("daily quota: its refusal is not on-error's 429 for a rate limit");
  return problems;
}

function routingOnError(root: Node[]): Node[] {
  return section(root, 'on-error')
    .filter((n) => tagOf(n) === 'choose')
    .flatMap((c) => children(c).filter((n) => tagOf(n) === 'when'));
}

/** A body written as JSON or as `new JObject(new JProperty("k", v), ...)`: its string and number fields. */
function bodyFields(body: string): Record<string, string | number> {
  try {
    return JSON.parse(body) as Record<string, string | number>;
  } catch {
    const fields: Record<string, string | number> = {};
    for (const m of body.matchAll(/new JProperty\("([^"]+)", (?:"([^"]*)"|(\d+))\)/g)) fields[m[1]!] = m[2] ?? Number(m[3]);
    return fields;
  }
}

function problemBodyProblems(where: string, body: string, type: string, status: string | undefined): string[] {
  const known = { ...PROBLEMS, ...GATEWAY_PROBLEMS } as Record<string, { status: number; title: string }>;
  const want = known[type]!;
  const got = bodyFields(body);
  const problems: string[] = [];
  if (got.type !== PROBLEM_BASE + type) problems.push(`${where}: problem type ${String(got.type)}, want ${PROBLEM_BASE + type}`);
  if (got.title !== want.title) problems.push(`${where}: title ${String(got.title)}, want ${want.title}`);
  if (got.status !== want.status || status !== String(want.status))
    problems.push(`${where}: status ${String(got.status)}/${status}, want ${want.status}`);
  return problems;
}

// ---- The deployment ----

/**
 * The daily quota's number in an environment with a gateway: each gateway's named value is
 * `gatewayLimits.tenantCallsPerDay`, and it binds: more than one five-minute window allows, less than
 * the 288 windows of a day allow (else the sustained limit alone would bound the day).
 */
export function dailyQuotaLimitProblems(d: Deployment): string[] {
  const limits = d.main.symbol('gatewayLimits') as { tenantCallsPerDay?: unknown; tenantCallsPer5Minutes?: unknown };
  const perDay = limits.tenantCallsPerDay;
  const per5 = Number(limits.tenantCallsPer5Minutes);
  const problems: string[] = [];
  if (typeof perDay !== 'number' || perDay <= per5 || perDay >= per5 * 288)
    problems.push(`gatewayLimits.tenantCallsPerDay ${String(perDay)} does not bind between ${per5} and ${per5 * 288}`);
  for (const g of gatewaysOf(d)) {
    const named = (g.params.namedValues as BicepObject[]).find((n) => n.name === DAILY_QUOTA.namedValue);
    if (named?.value !== String(perDay))
      problems.push(
        `gateway in ${String(g.params.location)}: {{${DAILY_QUOTA.namedValue}}} is ${String(named?.value)}, not gatewayLimits.tenantCallsPerDay`,
      );
  }
  return problems;
}

export const gatewaysOf = (d: Deployment): ModuleInstance[] => d.registryModules('avm/res/api-management/service');
export const wafsOf = (d: Deployment): ModuleInstance[] =>
  d.registryModules('avm/res/network/front-door-web-application-firewall-policy');

/**
 * What issue 24 asks of an environment with a gateway: one v2 gateway per region whose global policy
 * is the policy file, a WAF policy in Prevention mode with the per-address rate rule and the body size
 * rule associated with the Front Door endpoint, Premium with Microsoft's managed rule sets when
 * `premium`, and Front Door's origins the gateways.
 */
export function edgeProblems(d: Deployment, policyXml: string, premium: boolean): string[] {
  const problems: string[] = [];
  const regions = d.regions().map((r) => r.location);
  const gateways = gatewaysOf(d);
  if (gateways.length !== regions.length) problems.push(`${gateways.length} gateways for ${regions.length} regions`);
  for (const g of gateways) {
    const where = `gateway in ${String(g.params.location)}`;
    if (!['BasicV2', 'StandardV2'].includes(String(g.params.sku))) problems.push(`${where}: sku ${String(g.params.sku)}`);
    const policies = g.params.policies as BicepObject[] | undefined;
    if (policies?.length !== 1 || policies[0]!.value !== policyXml || policies[0]!.format !== 'rawxml')
      problems.push(`${where}: its global policy is not infra/gateway/policies/global.xml`);
    if (g.params.apis !== undefined) problems.push(`${where}: declares APIs (their policies could drop <base />)`);
    const named = new Map((g.params.namedValues as BicepObject[]).map((n) => [n.name, n.value]));
    for (const ref of new Set([...policyXml.matchAll(/\{\{([a-z0-9-]+)\}\}/g)].map((m) => m[1]!)))
      if (!named.has(ref)) problems.push(`${where}: the policy uses {{${ref}}}, which is not a named value`);
    const backend = (g.params.backends as BicepObject[] | undefined)?.find((b) => b.name === 'function-app');
    if (!backend) problems.push(`${where}: no function-app backend`);
  }
  const profiles = d.registryModules('avm/res/cdn/profile');
  const wafs = wafsOf(d);
  if (profiles.length !== 1 || wafs.length !== 1)
    return [...problems, `${profiles.length} Front Door profiles, ${wafs.length} WAF policies`];
  const [profile, waf] = [profiles[0]!, wafs[0]!];
  if (premium && profile.params.sku !== 'Premium_AzureFrontDoor') problems.push(`Front Door sku ${String(profile.params.sku)}`);
  if (waf.params.sku !== profile.params.sku) problems.push('the WAF policy and the profile differ in tier');
  if (
    get(waf.params, 'policySettings', 'mode') !== 'Prevention' ||
    get(waf.params, 'policySettings', 'enabledState') !== 'Enabled'
  )
    problems.push('the WAF policy does not block (Prevention, Enabled)');
  const sets = ((get(waf.params, 'managedRules', 'managedRuleSets') ?? []) as BicepObject[]).map(
    (s) => `${s.ruleSetType}@${s.ruleSetVersion}`,
  );
  if (premium)
    for (const want of ['Microsoft_DefaultRuleSet@2.1', 'Microsoft_BotManagerRuleSet@1.0'])
      if (!sets.includes(want)) problems.push(`no managed rule set ${want}`);
  const rules = (get(waf.params, 'customRules', 'rules') ?? []) as BicepObject[];
  const rate = rules.find((r) => r.ruleType === 'RateLimitRule' && r.action === 'Block');
  if (!rate || get(rate, 'matchConditions', 0, 'matchVariable') !== 'SocketAddr') problems.push('no per-address rate limit rule');
  const size = rules.find(
    (r) =>
      r.ruleType === 'MatchRule' &&
      r.action === 'Block' &&
      get(r, 'matchConditions', 0, 'selector') === 'Content-Length' &&
      get(r, 'matchConditions', 0, 'operator') === 'GreaterThan',
  );
  if (!size) problems.push('no request body size rule');
  const security = (profile.params.securityPolicies ?? []) as BicepObject[];
  const associated = security.some(
    (s) =>
      s.wafPolicyResourceId !== undefined &&
      ((s.associations ?? []) as BicepObject[]).some((a) => (a.patternsToMatch as string[]).includes('/*')),
  );
  if (!associated) problems.push('the WAF policy is not associated with the endpoint (no security policy for /*)');
  const origins = (get(profile.params, 'originGroups', 0, 'origins') ?? []) as BicepObject[];
  const hosts = gateways.map((g) => `${sampleOf(g.params.name ?? null)}.azure-api.net`);
  for (const o of origins) {
    const host = sampleOf(o.hostName ?? null);
    if (!hosts.includes(host ?? '')) problems.push(`Front Door origin ${String(o.name)} is ${host}, not a gateway`);
  }
  return problems;
}
