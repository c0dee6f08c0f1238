// The secrets corpus of issue #8: the secrets loglane must redact, the shapes they come in, and the
// look-alikes it must leave alone. Shared by the core suite and the Express suite (through a real app).

/** A small seeded generator, so that a failing case names the same secret on every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const next = generator(0x5ec2e7);

/**
 * A fresh credential: 22 random letters and digits and `k7` (so it always has a digit and a lower-case
 * letter, like a real one), so that finding it (or its first 8 characters) in a line pinpoints a leak
 * and nothing else can contain it by chance.
 */
export function makeSecret(): string {
  let text = '';
  for (let i = 0; i < 22; i++) text += ALNUM[Math.floor(next() * ALNUM.length)];
  return `${text}k7`;
}

/** The shortest part of a secret that counts as a leak: its first 8 characters. */
export const FRAGMENT = 8;

/** `line` contains `secret` or its first `FRAGMENT` characters (what a cut would leave). */
export function leaks(line: string, secret: string): boolean {
  return line.includes(secret.slice(0, FRAGMENT));
}

/**
 * Key names whose value is a secret wherever the name turns up: an object key at any depth (metadata,
 * bodies, Maps, parsed cookies), a header name, a query or form parameter, a cookie name, `name=value`
 * in text.
 */
export const SECRET_KEYS: readonly string[] = [
  // Named by the issue.
  'x-session-id', 'x-access-key', 'tokens', 'refresh_tokens', 'accessTokens', 'cvv2', 'passcode', 'mfa_code',
  'otp_code', 'pinCode', 'signingKey', 'encryption_key', 'sessionKey', 'securityAnswer', 'connect.sid', 'JSESSIONID',
  // Session cookies and ids of other stacks.
  'PHPSESSID', 'ASP.NET_SessionId', 'sessionId', 'session', 'sid', 'user.sid', 'x-session-token',
  // The classics, in the spellings clients use.
  'password', 'new_password', 'Passwd', 'passphrase', 'secret', 'client_secret', 'api_key', 'apiKey', 'x-api-key',
  'access_token', 'id_token', 'refreshToken', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie',
  'x-auth-token', 'x-csrf-token', 'privateKey', 'card_number', 'creditCard', 'cvc', 'pin', 'x-pin', 'otp', 'totp',
  'ssn', 'iban', 'jwt', 'bearer', 'credentials', 'signature', 'x-amz-security-token', 'X-Amz-Signature',
  'X-Amz-Credential', 'aws_secret_access_key', 'AWS_ACCESS_KEY_ID', 'code_verifier', 'verification_code', 'authCode',
  'recovery_codes', 'backupCode', 'hmac', 'x-hub-signature-256', 'master_key', 'decryption_key', 'new_pwd',
  // Compatibility forms fold to ASCII.
  'ｐａｓｓｗｏｒｄ',
  // Found in review of issue #8: short names as the last word of a key (header names are lower case, so
  // camelCase forms such as `userPin` are tested as object keys in redact.test.ts), plurals of exact names.
  'DB_PASS', 'new_pin', 'x-user-pin', 'customer_ssn', 'payout-iban', 'cards', 'ssns', 'ibans',
];

/**
 * Names that are secrets as URL parameters (`?code=` of an OAuth redirect, `?sig=` of an Azure SAS
 * URL, `?key=` of a Google API call). As object keys (a parsed query or form body), `code` and `key`
 * hide only a credential-shaped value: `{ code: 'ENOENT' }` and `{ key: 'user:42' }` are kept.
 */
export const PARAMETER_NAMES: readonly string[] = ['code', 'sig', 'key'];

/** Keys that look like secret ones but are not, with values that must reach the line as they are. */
export const LOOKALIKE_KEYS: readonly string[] = [
  'tokenCount', 'tokenizer', 'max_tokens', 'total_tokens', 'prompt_tokens', 'author', 'authorId', 'authority',
  'passage', 'passenger', 'bypass', 'compass', 'cardinality', 'discard', 'session_count', 'sessionCount',
  'sessionIdleTimeout', 'statusCode', 'errorCode', 'countryCode', 'zipCode', 'code', 'key', 'primaryKey',
  'publicKey', 'keyboard', 'monkey', 'ssid', 'wifi_ssid', 'opinion', 'spinner', 'pinned', 'footprint', 'hotspot',
  'description', 'signed', 'designation', 'codec',
];

/** Values under `code` and `key` that are not credentials and must be kept. */
export const ORDINARY_CODES: readonly string[] = ['ENOENT', 'ERR_HTTP2_STREAM_ERROR', 'invalid_grant', 'user:42', 'auth/user-not-found', '404'];

/** Prose and ordinary text that must reach the line as it is. */
export const PROSE: readonly string[] = [
  'missing or unknown bearer token; basic authentication failed',
  'the bearer of good news, basically',
  'expected bearer credentials in the authorization header',
  'process exited with code=1 after 3 retries',
  'see https://example.com/docs?page=2&lang=en#setup',
  'mailto:ann@example.com wrote: ok',
  'tokens used: 12, sessions open: 3',
];

const b64url = (text: string): string => Buffer.from(text).toString('base64url');

/**
 * A JSON Web Token whose payload holds `secret` (claims are personal data: a cut must not leave them
 * readable either) and whose signature is `secret`.
 */
export function jwtWith(secret: string): string {
  return `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${secret}","iat":1764000000}`)}.${secret}`;
}

/** What must not reach a line of a JWT made by `jwtWith`: the signature, and the payload after `{"sub":"`. */
export function jwtForbidden(secret: string): string[] {
  return [secret, b64url(`{"sub":"${secret}","iat":1764000000}`).slice(12)];
}

/** A piece of text that carries a secret, and the strings that must not reach a line. */
export interface SecretText {
  /** What the text is, for failure messages. */
  name: string;
  text: string;
  forbidden: readonly string[];
}

/**
 * Free-text shapes a secret comes in: credentials after a scheme (any case), JWTs, URLs that carry a
 * secret in the query, the fragment or the user information, `name=value` and quoted JSON in messages.
 */
export function secretTexts(): SecretText[] {
  const s = (): string => makeSecret();
  const texts: SecretText[] = [];
  const add = (name: string, make: (secret: string) => string, forbidden?: (secret: string) => string[]): void => {
    const secret = s();
    texts.push({ name, text: make(secret), forbidden: forbidden ? forbidden(secret) : [secret] });
  };
  add('lower-case bearer', (x) => `upstream rejected bearer ${x} (expired)`);
  add('Bearer', (x) => `retrying with Bearer ${x}`);
  add('BEARER in a header line', (x) => `Authorization: BEARER ${x}`);
  add('Basic', (x) => `Authorization: Basic ${Buffer.from(`ann:${x}`).toString('base64')}`, (x) => [Buffer.from(`ann:${x}`).toString('base64')]);
  add('JWT', (x) => `token ${jwtWith(x)} refused`, jwtForbidden);
  add('JWT glued to text', (x) => `id=42;jwt${jwtWith(x)}`, jwtForbidden);
  add('access_token in a URL', (x) => `GET https://api.example.com/v1/me?access_token=${x}&fields=name`);
  add('OAuth code in a URL', (x) => `callback https://app.example.com/oauth/cb?code=${x}&state=af0ifjsldkj`);
  add('SAS signature in a URL', (x) => `upload to https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&se=2026-12-01&sig=${x}`);
  add('API key in a URL', (x) => `geocode https://maps.googleapis.com/maps/api/geocode/json?address=x&key=${x}`);
  add('token in a URL fragment', (x) => `redirect to https://app.example.com/#access_token=${x}&token_type=bearer`);
  add('password in a URL', (x) => `connecting to postgres://orders:${x}@db.internal:5432/orders`);
  add('password=value in text', (x) => `login failed: password=${x} user=ann`);
  add('percent-encoded name in a URL', (x) => `GET /login?pass%77ord=${x}`);
  add('cookie in text', (x) => `Cookie: theme=dark; connect.sid=s%3A${x}.sig`);
  add('JSESSIONID in text', (x) => `Set-Cookie: JSESSIONID=${x}; Path=/; HttpOnly`);
  add('quoted JSON in a message', (x) => `upstream said {"error":"invalid_client","client_secret":"${x}"}`);
  add('quoted JSON object under a secret key', (x) => `upstream said {"credentials":{"user":"ann","value":"${x}"},"ok":false}`);
  add('quoted JSON array under a secret key', (x) => `bad request body {"tokens":["${x}"]}`);
  add('password with an unencoded @ in a URL', (x) => `connecting to postgres://orders:p@${x}@db.internal:5432/orders`);
  add('percent-encoded bearer in a query', (x) => `GET /search?q=Bearer%20${x}&page=2`);
  return texts;
}

/** A body that hides `value` under `key` at several depths, inside arrays and objects. */
export function nestedBody(key: string, value: string): Record<string, unknown> {
  return {
    top: { [key]: value },
    items: [{ id: 1 }, { id: 2, nested: { deeper: [{ [key]: value }] } }],
    lists: [[{ [key]: [value, { value }] }]],
  };
}
