/**
 * Bearer tokens, each mapped to a tenant. The map comes from a Worker
 * secret (JSON `{ "<token>": "<tenant>" }`), so keys never live in code.
 */
export type TokenMap = Readonly<Record<string, string>>;

export function parseTokens(secret: string | undefined): TokenMap {
  if (secret === undefined || secret.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new Error('BATON_TOKENS must be JSON: {"<token>": "<tenant>"}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('BATON_TOKENS must be a JSON object of token → tenant');
  for (const [token, tenant] of Object.entries(parsed)) {
    if (token.length < 16) throw new Error('every token in BATON_TOKENS must be at least 16 characters');
    if (typeof tenant !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(tenant))
      throw new Error(`tenant for a token must match [A-Za-z0-9_.-]{1,64}, got ${JSON.stringify(tenant)}`);
  }
  return parsed as TokenMap;
}

/** The tenant a request's `Authorization: Bearer …` header names, or `null`. Compares every token in constant time. */
export function tenantOf(header: string | undefined | null, tokens: TokenMap): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (match === null) return null;
  const given = match[1]!;
  let tenant: string | null = null;
  for (const [token, owner] of Object.entries(tokens)) {
    if (constantTimeEqual(given, token) && tenant === null) tenant = owner;
  }
  return tenant;
}

function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
