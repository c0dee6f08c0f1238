// Redaction rules, compiled once per logger: which keys, header names, query parameters, paths and
// token-shaped string values are replaced before anything is written. Never mutates input.

/** What to redact. Every list adds to loglane's defaults unless `defaults` is `false`. */
export interface RedactOptions {
  /**
   * Extra key names redacted at any depth in bodies, headers, query strings and metadata.
   * Matched case-insensitively, ignoring `-` and `_` (`apiKey` matches `API_KEY` and `api-key`).
   * @default [] (added to the built-in list: password, secret, token, apiKey, authorization, cookie, card, …)
   */
  keys?: readonly string[];
  /**
   * Dot paths from the root of a body or a metadata object, `*` matching any one key or index:
   * `['user.ssn', 'items.*.iban']`. Matched case-insensitively.
   * @default []
   */
  paths?: readonly string[];
  /**
   * Redact string values that look like credentials (`Bearer …`, `Basic …`, JSON Web Tokens),
   * wherever they appear (bodies, metadata, query values, messages).
   * @default true
   */
  tokens?: boolean;
  /**
   * Start from the built-in key list. Setting this to `false` redacts only `keys` and `paths`.
   * @default true
   */
  defaults?: boolean;
  /**
   * The text that replaces a redacted value.
   * @default '[REDACTED]'
   */
  censor?: string;
}

/** Keys redacted when their normalised form equals one of these. */
const EXACT_KEYS = [
  'pass', 'pwd', 'pin', 'cvv', 'cvc', 'ssn', 'card', 'otp', 'auth', 'session', 'sessionid', 'sid', 'jwt',
  'proxyauthorization', 'xapikey', 'xauthtoken', 'setcookie', 'iban',
];
/** Keys redacted when their normalised form contains one of these. */
const CONTAINED_KEYS = [
  'password', 'passwd', 'passphrase', 'secret', 'authorization', 'cookie', 'apikey', 'privatekey', 'creditcard',
  'cardnumber', 'credential', 'signature',
];
/** Keys redacted when their normalised form ends with one of these (`accessToken`, but not `tokenCount`). */
const SUFFIX_KEYS = ['token'];

const TOKEN_HINT = /eyJ|bearer|basic\s/i;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
// A "key": value pair in JSON text, also when the text was cut inside the value.
const JSON_PAIR = /"((?:[^"\\]|\\.){1,128})"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]*)/g;
// A key=value pair in a query string or a form body.
const FORM_PAIR = /(^|[?&;])([^&;=]{1,128})=([^&;#]*)/g;

const KEY_CACHE_LIMIT = 4096;

/** A compiled path trie node. */
export interface PathNode {
  readonly children: Map<string, PathNode>;
  wildcard: PathNode | undefined;
  terminal: boolean;
}

function newNode(): PathNode {
  return { children: new Map(), wildcard: undefined, terminal: false };
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Redaction rules compiled for fast, repeated use. */
export class Redactor {
  /** The replacement text. */
  readonly censor: string;
  /** Root of the user path trie, or `undefined` when no paths are configured. */
  readonly paths: PathNode | undefined;
  private readonly exact: Set<string>;
  private readonly contained: readonly string[];
  private readonly suffixes: readonly string[];
  private readonly tokens: boolean;
  private readonly keyCache = new Map<string, boolean>();

  constructor(options: RedactOptions = {}) {
    const useDefaults = options.defaults !== false;
    const extra = (options.keys ?? []).map(normaliseKey).filter((k) => k.length > 0);
    this.exact = new Set([...(useDefaults ? EXACT_KEYS : []), ...extra]);
    this.contained = useDefaults ? CONTAINED_KEYS : [];
    this.suffixes = useDefaults ? SUFFIX_KEYS : [];
    this.tokens = options.tokens !== false;
    this.censor = options.censor ?? '[REDACTED]';
    this.paths = compilePaths(options.paths ?? []);
  }

  /** True when a value under this key must not be written. */
  isSensitiveKey(key: string): boolean {
    const cached = this.keyCache.get(key);
    if (cached !== undefined) return cached;
    const norm = normaliseKey(key);
    const sensitive =
      this.exact.has(norm) ||
      this.contained.some((c) => norm.includes(c)) ||
      this.suffixes.some((s) => norm.endsWith(s));
    // Keys come from clients: bound the cache so that random keys cannot grow it.
    if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
    this.keyCache.set(key, sensitive);
    return sensitive;
  }

  /** Replaces bearer/basic credentials and JWTs inside a string value. */
  redactString(value: string): string {
    if (!this.tokens || value.length < 12 || !TOKEN_HINT.test(value)) return value;
    return value.replace(BEARER, `$1 ${this.censor}`).replace(JWT, this.censor);
  }

  /** Redacts sensitive query parameters (and token-shaped values) of a URL or path. */
  redactUrl(url: string): string {
    const q = url.indexOf('?');
    if (q === -1) return url;
    return url.slice(0, q) + this.redactForm(url.slice(q));
  }

  /** Redacts `key=value` pairs of a query string or an `application/x-www-form-urlencoded` body. */
  redactForm(text: string): string {
    return this.redactString(
      text.replace(FORM_PAIR, (whole, sep: string, key: string) =>
        this.isSensitiveKey(safeDecode(key)) ? `${sep}${key}=${this.censor}` : whole,
      ),
    );
  }

  /**
   * Redacts JSON text that could not be parsed (typically a body cut at its byte limit): every
   * `"key": value` pair with a sensitive key loses its value, even when the text ends inside it.
   */
  redactJsonText(text: string): string {
    return this.redactString(
      text.replace(JSON_PAIR, (whole, key: string, colon: string) =>
        this.isSensitiveKey(key) ? `"${key}"${colon}"${this.censor}"` : whole,
      ),
    );
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function compilePaths(paths: readonly string[]): PathNode | undefined {
  if (paths.length === 0) return undefined;
  const root = newNode();
  for (const path of paths) {
    let node = root;
    for (const raw of path.split('.')) {
      const segment = raw.trim().toLowerCase();
      if (segment === '') continue;
      if (segment === '*') {
        node.wildcard ??= newNode();
        node = node.wildcard;
      } else {
        let child = node.children.get(segment);
        if (!child) {
          child = newNode();
          node.children.set(segment, child);
        }
        node = child;
      }
    }
    if (node !== root) node.terminal = true;
  }
  return root;
}

/** The trie nodes reached from `nodes` by one key; `undefined` when no path continues. */
export function stepPaths(nodes: readonly PathNode[], key: string): PathNode[] | undefined {
  let next: PathNode[] | undefined;
  const lower = key.toLowerCase();
  for (const node of nodes) {
    const child = node.children.get(lower);
    if (child) (next ??= []).push(child);
    if (node.wildcard) (next ??= []).push(node.wildcard);
  }
  return next;
}
