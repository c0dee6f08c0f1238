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
const BEARER = /\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{4,})/gi;
/** A lower-case word after a lower-case `bearer`/`basic` is prose ("missing bearer token"), not a credential. */
const PROSE_WORD = /^[a-z]{1,19}$/;
// No word boundary before `eyJ` (base64url of `{"`): a token glued to other text (`id0eyJ…`) is still one.
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
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
    return value
      .replace(BEARER, (whole, scheme: string, space: string, credential: string) =>
        // `Bearer x`/`Basic x` as in an Authorization header is always a credential.
        scheme === scheme.toLowerCase() && PROSE_WORD.test(credential) ? whole : `${scheme}${space}${this.censor}`,
      )
      .replace(JWT, this.censor);
  }

  /** Redacts sensitive query parameters (and token-shaped values) of a URL or path. */
  redactUrl(url: string): string {
    const q = url.indexOf('?');
    if (q === -1) return url;
    return url.slice(0, q) + this.redactForm(url.slice(q));
  }

  /**
   * Redacts `key=value` pairs of a query string or an `application/x-www-form-urlencoded` body: a
   * sensitive key, or a value that is a credential once percent-decoded (`q=Bearer%20…`).
   */
  redactForm(text: string): string {
    return this.redactString(
      text.replace(FORM_PAIR, (whole, sep: string, key: string, value: string) => {
        if (this.isSensitiveKey(safeDecode(key))) return `${sep}${key}=${this.censor}`;
        if (!this.tokens || !/%|\+/.test(value)) return whole;
        const decoded = safeDecode(value);
        return this.redactString(decoded) === decoded ? whole : `${sep}${key}=${this.censor}`;
      }),
    );
  }

  /**
   * Redacts JSON text that could not be parsed (typically a body cut at its byte limit, or several
   * JSON values in a row): the value of every object key that is sensitive is replaced, even when
   * the text ends inside it; an object or array value goes up to its closing bracket. The text is
   * scanned token by token, so that strings are never mistaken for keys. User `paths` need a parsed
   * body and do not apply here.
   */
  redactJsonText(text: string): string {
    const censor = JSON.stringify(this.censor);
    const open: number[] = [];
    const n = text.length;
    let out = '';
    let last = 0;
    let expectKey = false;
    let key: string | undefined;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const end = endOfString(text, i);
        if (expectKey && open[open.length - 1] === 0x7b) key = keyText(text.slice(i, end));
        expectKey = false;
        i = end;
      } else if (c === 0x3a) {
        i++;
        if (key !== undefined && this.isSensitiveKey(key)) {
          while (i < n && isJsonSpace(text.charCodeAt(i))) i++;
          const end = endOfValue(text, i);
          out += text.slice(last, i) + censor;
          last = end;
          i = end;
        }
        key = undefined;
      } else {
        if (c === 0x7b || c === 0x5b) {
          open.push(c);
          expectKey = c === 0x7b;
        } else if (c === 0x7d || c === 0x5d) {
          open.pop();
          expectKey = false;
        } else if (c === 0x2c) expectKey = open[open.length - 1] === 0x7b;
        i++;
      }
    }
    return this.redactString(last === 0 ? text : out + text.slice(last));
  }
}

const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Index just after the string that starts (with its quote) at `start`, or the text's end when it was cut. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++; // backslash: skip the escaped character
    else if (c === 0x22) return i + 1;
  }
  return text.length;
}

/** A key as JSON text (`"pass\u0077ord"`, maybe without its closing quote) to the key it names. */
function keyText(quoted: string): string {
  if (quoted.indexOf('\\') === -1) return quoted.slice(1, quoted.endsWith('"') && quoted.length > 1 ? -1 : undefined);
  try {
    return JSON.parse(quoted.endsWith('"') && quoted.length > 1 ? quoted : `${quoted}"`) as string;
  } catch {
    return quoted.slice(1);
  }
}

/** Index just after the JSON value that starts at `start` (a cut value ends with the text). */
function endOfValue(text: string, start: number): number {
  const c = text.charCodeAt(start);
  if (c === 0x22) return endOfString(text, start);
  if (c === 0x7b || c === 0x5b) return endOfComposite(text, start);
  let i = start;
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === 0x2c || d === 0x7d || d === 0x5d || isJsonSpace(d)) break;
    i++;
  }
  return i;
}

/** Index just after the object or array that starts at `start`, or the text's end when it was cut. */
function endOfComposite(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
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
