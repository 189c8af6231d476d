import { timingSafeEqual } from 'hono/utils/buffer';

/**
 * Bearer tokens, each mapped to a tenant. The map comes from a Worker
 * secret (JSON `{ "<token>": "<tenant>" }`), so keys never live in code.
 */
export type TokenMap = Readonly<Record<string, string>>;

/** Tokens must be at least this long: guessing one must not be a matter of a few requests. */
export const MIN_TOKEN_CHARS = 16;

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
    if (token.length < MIN_TOKEN_CHARS) throw new Error(`every token in BATON_TOKENS must be at least ${MIN_TOKEN_CHARS} characters`);
    if (typeof tenant !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(tenant)) throw new Error('every tenant in BATON_TOKENS must match [A-Za-z0-9_.-]{1,64}');
  }
  return parsed as TokenMap;
}

/** Parsed once per isolate for each value of the secret, not on every request. */
const parsed = new Map<string, TokenMap>();

export function tokensOf(secret: string | undefined): TokenMap {
  const key = secret ?? '';
  let tokens = parsed.get(key);
  if (tokens === undefined) {
    tokens = parseTokens(secret);
    if (parsed.size > 8) parsed.clear(); // a rotated secret leaves the old map behind
    parsed.set(key, tokens);
  }
  return tokens;
}

/** A token's id for logs and audit trails: the first 12 hex digits of its SHA-256, so the secret never leaves. */
export async function tokenIdOf(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The tenant a bearer token belongs to, or `null`. Compares it with every token, in constant time each. */
export async function tenantForToken(token: string, tokens: TokenMap): Promise<string | null> {
  let tenant: string | null = null;
  for (const [known, owner] of Object.entries(tokens)) {
    if ((await timingSafeEqual(known, token)) && tenant === null) tenant = owner;
  }
  return tenant;
}
