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
  'pass', 'pwd', 'pin', 'card', 'ssn', 'otp', 'auth', 'session', 'sid', 'jwt', 'bearer', 'iban', 'sig',
  'proxyauthorization', 'xapikey', 'xauthtoken', 'setcookie',
];
/** Keys redacted when their normalised form contains one of these. */
const CONTAINED_KEYS = [
  'password', 'passwd', 'passphrase', 'passcode', 'secret', 'authorization', 'cookie', 'apikey', 'privatekey',
  'creditcard', 'cardnumber', 'credential', 'signature', 'cvv', 'cvc', 'accesskey', 'signingkey', 'encryptionkey',
  'decryptionkey', 'sessionkey', 'masterkey', 'authkey', 'hmac', 'securityanswer', 'codeverifier',
];
/**
 * Keys redacted when their normalised form, or its singular, ends with one of these: `accessToken`, `refresh_tokens`,
 * `x-session-id`, `JSESSIONID`, `mfa_code`, but not `tokenCount`, `sessionCount` or `statusCode`.
 */
const SUFFIX_KEYS = [
  'token', 'sessionid', 'sessid', 'otp', 'pwd', 'pinnumber',
  // One-time and verification codes; `code` alone is a parameter name (PARAMETER_KEYS), as in `{ code: 404 }`.
  'pincode', 'mfacode', 'otpcode', 'totpcode', 'smscode', 'authcode', 'verificationcode', 'securitycode',
  'recoverycode', 'backupcode', 'resetcode', 'twofactorcode', '2facode', 'onetimecode', 'confirmationcode',
];
/** Counts that the `tokens` suffix would catch: usage figures of language-model APIs, not credentials. */
const NOT_SENSITIVE = new Set([
  'maxtokens', 'totaltokens', 'prompttokens', 'completiontokens', 'inputtokens', 'outputtokens', 'numtokens',
  'cachedtokens', 'reasoningtokens',
]);
/**
 * Names that are secrets as query or form parameters (`?code=` of an OAuth redirect, `?key=` of a
 * Google API call). As object keys they are common (`{ code: 'ENOENT' }`, `{ key: 'user:42' }`): there,
 * only a credential-shaped string value is redacted (`CREDENTIAL_VALUE`).
 */
const PARAMETER_KEYS = new Set(['code', 'key']);
/** A random-looking string: 16+ characters of the token68 alphabet with a digit and a lower-case letter. */
const CREDENTIAL_VALUE = /^(?=[^]*\d)(?=[^]*[a-z])[A-Za-z0-9._~+/=-]{16,}$/;
/**
 * Short secret names as the last word of a key (`connect.sid`, `userSid`, `DB_PASS`, `newPin`,
 * `customer_ssn`, `payoutIban`, plural too), not as the end of a longer word (`ssid` of a Wi-Fi
 * network, `bypass`, `compass`): too short to be caught inside any key, so a word of their own.
 */
const SHORT_NAME_WORD = /(?:^|[^a-z0-9])(?:sid|pass|pin|ssn|iban)s?$/i;
const SHORT_NAME_CAMEL = /[a-z0-9](?:Sid|SID|Pass|PASS|Pin|PIN|Ssn|SSN|Iban|IBAN)s?$/;
/** `x-pin`, `x_session`: a header-style `x-` prefix in front of a sensitive name. */
const X_PREFIX = /^x[-_]/i;
/** Keys longer than this are not field names: their values are redacted rather than the whole key scanned. */
const MAX_KEY_CHARS = 1024;

/** Cheap test for a string that may hold a credential shape (`eyJ…`, `bearer …`, `basic …`). */
/**
 * An object key or metadata name shorter than this is written as it is: checking it for a credential
 * (a token used as a key, `?<jwt>=1`) costs more than every key can pay, and no token is this short.
 */
export const MIN_CREDENTIAL_KEY_CHARS = 12;
const TOKEN_HINT = /eyJ|bearer|basic\s/i;
const BEARER = /\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{4,})/gi;
/**
 * Words that, after a lower-case `bearer`/`basic`, make it prose ("missing bearer token", "basic
 * authentication failed"); any other word there is read as a credential (`bearer hunter2abc`).
 */
const PROSE_WORDS = new Set([
  'token', 'tokens', 'auth', 'authentication', 'authorization', 'authorisation', 'credential', 'credentials',
  'header', 'headers', 'scheme', 'schemes', 'type', 'string', 'value', 'format', 'prefix', 'realm', 'challenge',
  'error', 'errors', 'is', 'was', 'are', 'were', 'not', 'missing', 'required', 'expected', 'invalid', 'expired',
  'must', 'and', 'or', 'of', 'the', 'a', 'an', 'for', 'in', 'on', 'with', 'to', 'from', 'only', 'has', 'have',
  'but', 'if', 'when', 'then', 'as', 'by', 'at', 'be', 'no', 'access', 'login', 'mode', 'support', 'supported',
]);
/**
 * The password of a URL's user information: `postgres://app:s3cret@db/x`, up to the last `@` before
 * the path, as URL parsers read it (`app:p@ss@db`: the password is `p@ss`, not `p`); never past a
 * quote, so a URL inside JSON text does not take the next field with it.
 */
const URL_PASSWORD = /(:\/\/[^\s/?#@:"'<>\\]*:)([^\s/?#"'<>\\]+)@/g;
/** A scheme right before a cut credential: `… Bearer ` + `abc` (the rest was cut). */
const SCHEME_BEFORE = /\b(?:bearer|basic)\s+$/i;
/** The user name of a URL right before a cut password: `postgres://app:` + `s3c` (the rest was cut). */
const USER_BEFORE = /:\/\/[^\s/?#@:]*:$/;
/**
 * A URL's user information right before a cut run: `postgres://app:p@` + `ss…` (an unencoded `@` in
 * the password; the run may be more of the password or the host, which cannot be told apart at the cut).
 */
const PASSWORD_BEFORE = /:\/\/[^\s/?#@:"'<>\\]*:[^\s/?#"'<>\\]*@$/;
/** A scheme percent- or plus-encoded inside a run of URL text: `q=Bearer%20abc`. */
const ENCODED_SCHEME = /(?:bearer|basic)(?:%20|\+)+/i;
// A key=value pair in a query string or a form body (the whole text is one).
const FORM_PAIR = /(^|[?&;])([^&;=]+)=([^&;#]*)/g;
/**
 * A `"key": value` pair of JSON inside a string (an error message quoting a body): a string value (to
 * the end of the text when it was cut there) or a scalar one.
 */
const QUOTE_COLON = /"\s?:/;
const QUOTED_PAIR = /"((?:[^"\\]|\\.){1,256})"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[-+.\w]+)/g;
/** A `"key":` followed by an object or array value, in text. */
const QUOTED_COMPOSITE = /"((?:[^"\\]|\\.){1,256})"\s*:\s*[{[]/g;
/** The same in JSON inside a JSON string (`\"key\":{`). */
const ESCAPED_COMPOSITE = /\\"([^"\\]{1,256})\\"\s*:\s*[{[]/g;
/** The same pair in JSON that is itself inside a JSON string (`\"key\":\"value\"`): double-encoded bodies. */
const ESCAPED_PAIR = /\\"([^"\\]{1,256})\\"(\s*:\s*)(\\"(?:[^"\\]|\\[^"])*(?:\\"|\\?$)|[-+.\w]+)/g;

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
  // Fullwidth and other compatibility forms (`ｐａｓｓｗｏｒｄ`) fold to ASCII first.
  // eslint-disable-next-line no-control-regex
  const folded = /[^\u0000-\u007f]/.test(key) ? key.normalize('NFKC') : key;
  return folded.toLowerCase().replace(/[^a-z0-9]/g, '');
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
  private readonly defaults: boolean;
  private readonly tokens: boolean;
  private readonly keyCache = new Map<string, boolean>();

  constructor(options: RedactOptions = {}) {
    const useDefaults = options.defaults !== false;
    const extra = (options.keys ?? []).map(normaliseKey).filter((k) => k.length > 0);
    this.exact = new Set([...(useDefaults ? EXACT_KEYS : []), ...extra]);
    this.contained = useDefaults ? CONTAINED_KEYS : [];
    this.suffixes = useDefaults ? SUFFIX_KEYS : [];
    this.defaults = useDefaults;
    this.tokens = options.tokens !== false;
    this.censor = options.censor ?? '[REDACTED]';
    this.paths = compilePaths(options.paths ?? []);
  }

  /** True when a value under this key must not be written. */
  isSensitiveKey(key: string): boolean {
    const cached = this.keyCache.get(key);
    if (cached !== undefined) return cached;
    // A key this long is not a field name; scanning it would cost more than its value is worth.
    if (key.length > MAX_KEY_CHARS) return true;
    const sensitive =
      this.matches(normaliseKey(key)) ||
      (X_PREFIX.test(key) && this.matches(normaliseKey(key.slice(2)))) ||
      (this.defaults && (SHORT_NAME_WORD.test(key) || SHORT_NAME_CAMEL.test(key)));
    // Keys come from clients: bound the cache so that random keys cannot grow it.
    if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
    this.keyCache.set(key, sensitive);
    return sensitive;
  }

  /**
   * True when a query or form parameter of this name must not be written: a sensitive key, or a name
   * that is a secret as a parameter only (`code`, `sig`, `key`). Percent-encoded names are decoded.
   */
  isSensitiveParameter(name: string): boolean {
    const key = name.indexOf('%') === -1 ? name : safeDecode(name);
    return this.isSensitiveKey(key) || (this.defaults && key.length <= 4 && PARAMETER_KEYS.has(key.toLowerCase()));
  }

  /**
   * True when a string value under an object key that is a secret only as a parameter name (`code`,
   * `key`) looks like a credential (`{ code: '4/0AX4XfWh…' }` from a parsed OAuth callback query).
   */
  isCredentialUnder(key: string, value: string): boolean {
    return this.defaults && key.length <= 4 && PARAMETER_KEYS.has(key.toLowerCase()) && CREDENTIAL_VALUE.test(value);
  }

  private matches(norm: string): boolean {
    if (norm.length === 0 || NOT_SENSITIVE.has(norm)) return false;
    // Plurals too: `cards`, `ssns`, `refresh_tokens`, `recovery_codes`, `sessionIds`.
    const singular = norm.endsWith('s') ? norm.slice(0, -1) : norm;
    if (this.exact.has(norm) || this.exact.has(singular)) return true;
    for (const c of this.contained) if (norm.includes(c)) return true;
    for (const s of this.suffixes) if (norm.endsWith(s) || singular.endsWith(s)) return true;
    return false;
  }

  /**
   * Replaces credentials inside a string value: the value of a sensitive `key=value` pair (a URL's
   * query or fragment, a cookie, `password=…` in text) or `"key": value` pair (JSON quoted in a
   * message), and, with `tokens`, bearer/basic credentials, JWTs and the password of a URL.
   * Ordinary strings (no `=`, no `":`, no credential hint) are returned after three cheap scans.
   */
  redactString(value: string): string {
    // The common case, an ordinary string, costs three character searches and (12+ characters) one
    // short regular expression: measured, one combined expression was twice as slow.
    const pairs = value.indexOf('=') !== -1;
    const quoted = value.indexOf('"') !== -1;
    if (!pairs && !quoted && (value.length < 12 || value.indexOf('@') === -1) && !this.mayHoldToken(value)) return value;
    let out = pairs ? this.redactPairs(value) : value;
    if (quoted && QUOTE_COLON.test(out)) {
      out = this.redactQuotedComposites(out, QUOTED_COMPOSITE, false);
      out = out.replace(QUOTED_PAIR, this.replaceQuotedPair);
      if (out.indexOf('\\":') !== -1) {
        out = this.redactQuotedComposites(out, ESCAPED_COMPOSITE, true);
        out = out.replace(ESCAPED_PAIR, this.replaceEscapedPair);
      }
    }
    return this.redactShapes(out);
  }

  private mayHoldToken(value: string): boolean {
    return this.tokens && value.length >= 12 && TOKEN_HINT.test(value);
  }

  /** With `tokens`: bearer/basic credentials, JWTs and the password of a URL's user information. */
  private redactShapes(value: string): string {
    if (!this.tokens || value.length < 12) return value;
    let out = value;
    if (TOKEN_HINT.test(out)) out = redactJwts(out.replace(BEARER, this.replaceBearer), this.censor);
    if (out.indexOf('@') !== -1 && out.indexOf('://') !== -1) out = out.replace(URL_PASSWORD, `$1${this.censor}@`);
    return out;
  }

  private readonly replaceBearer = (whole: string, scheme: string, space: string, credential: string): string =>
    // `Bearer x`/`Basic x` as in an Authorization header is always a credential; lower-case, only a
    // known prose word after it ("missing bearer token") is left as it is.
    scheme === scheme.toLowerCase() && PROSE_WORDS.has(credential) ? whole : `${scheme}${space}${this.censor}`;

  /**
   * Redacts the value of each sensitive `key=value` pair inside any text: a URL's query or fragment
   * (`?access_token=…`, `#id_token=…`), a cookie (`connect.sid=…`), a log-style `password=…`. The key
   * is the run of key characters right before `=`; the value runs to a space, `&`, `;`, `#`, a quote,
   * `<`, `>` or `\\`. `code` and `key` are secret names after `?`, `&` or `#` only (URL parameters),
   * not in prose (`exit code=1`). A scan by hand: a regular expression with a callback cost ~10 times
   * more for the ordinary URL in a Referer header.
   */
  private redactPairs(text: string): string {
    let out = '';
    let last = 0;
    let eq = text.indexOf('=');
    while (eq !== -1) {
      let start = eq;
      while (start > last && isKeyChar(text.charCodeAt(start - 1))) start--;
      let end = eq + 1;
      let encoded = false;
      for (let c = text.charCodeAt(end); end < text.length && !isValueEnd(c); c = text.charCodeAt(++end)) {
        if (c === 0x25 || c === 0x2b) encoded = true; // % +
      }
      if (start < eq && end > eq + 1) {
        const before = start > 0 ? text.charCodeAt(start - 1) : -1;
        const key = text.slice(start, eq);
        const parameter = before === 0x3f || before === 0x26 || before === 0x23; // ? & #
        const sensitive = parameter ? this.isSensitiveParameter(key) : this.isSensitiveKey(key.indexOf('%') === -1 ? key : safeDecode(key));
        if (sensitive || (encoded && this.hasEncodedCredential(text.slice(eq + 1, end)))) {
          out += text.slice(last, eq + 1) + this.censor;
          last = end;
        }
      }
      eq = text.indexOf('=', end);
    }
    return last === 0 ? text : out + text.slice(last);
  }

  /**
   * The object or array value of a sensitive `"key":` in text (an error message quoting a body:
   * `{"password":{"value":"…"}}`, `{"tokens":["…"]}`), to its closing bracket: `QUOTED_PAIR` takes
   * only string and scalar values, and the keys inside such a value are not sensitive themselves.
   */
  private redactQuotedComposites(text: string, pattern: RegExp, escaped: boolean): string {
    let out = '';
    let last = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const open = match.index + match[0].length - 1;
      const key = match[1] ?? '';
      if (!this.isSensitiveKey(escaped ? key : keyText(`"${key}"`))) continue;
      const end = endOfComposite(text, open, escaped);
      out += text.slice(last, open) + (escaped ? `\\"${this.censor}\\"` : `"${this.censor}"`);
      last = end;
      pattern.lastIndex = end;
    }
    return last === 0 ? text : out + text.slice(last);
  }

  private readonly replaceQuotedPair = (whole: string, quotedKey: string, colon: string): string =>
    this.isSensitiveKey(quotedKey) ? `"${quotedKey}"${colon}"${this.censor}"` : whole;

  private readonly replaceEscapedPair = (whole: string, key: string, colon: string): string =>
    this.isSensitiveKey(key) ? `\\"${key}\\"${colon}\\"${this.censor}\\"` : whole;

  /** A percent- or plus-encoded value that is a credential once decoded (`q=Bearer%20abc…`). */
  private hasEncodedCredential(value: string): boolean {
    if (!this.tokens || (value.indexOf('%') === -1 && value.indexOf('+') === -1)) return false;
    const decoded = safeDecode(value);
    if (decoded.length < 12 || !TOKEN_HINT.test(decoded)) return false;
    return decoded.replace(BEARER, this.replaceBearer) !== decoded || redactJwts(decoded, this.censor) !== decoded;
  }

  /** Redacts sensitive query parameters (and token-shaped values) of a URL or path. */
  redactUrl(url: string): string {
    const q = url.indexOf('?');
    if (q === -1) return this.redactString(url);
    return this.redactString(url.slice(0, q)) + this.redactForm(url.slice(q));
  }

  /**
   * Redacts `key=value` pairs of a query string or an `application/x-www-form-urlencoded` body: a
   * sensitive name (`isSensitiveParameter`), or a value that is a credential once percent-decoded
   * (`q=Bearer%20…`).
   */
  redactForm(text: string): string {
    return this.redactShapes(text.replace(FORM_PAIR, this.replaceFormPair));
  }

  private readonly replaceFormPair = (whole: string, sep: string, key: string, value: string): string =>
    this.isSensitiveParameter(key) || this.hasEncodedCredential(value) ? `${sep}${key}=${this.censor}` : whole;

  /**
   * Redacts what is left of a credential at the end of a text that was cut there (a captured body cut
   * at its byte limit): a trailing run that holds `eyJ` (a JWT's first part, cut before its signature)
   * from the `eyJ` on, or a run right after `Bearer `/`Basic ` (or `Bearer%20`). Such fragments are too
   * short or too incomplete for the patterns of `redactString`. Characters that close a JSON string,
   * array or object after the run (`"}`) are kept.
   */
  redactCutEnd(text: string): string {
    if (!this.tokens) return text;
    let end = text.length;
    while (end > 0 && isCloser(text.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && isCredentialChar(text.charCodeAt(start - 1))) start--;
    if (start === end) return text;
    const run = text.slice(start, end);
    let from = -1;
    const jwt = run.indexOf('eyJ');
    if (jwt !== -1) from = start + jwt;
    const encoded = ENCODED_SCHEME.exec(run);
    if (encoded && (from === -1 || start + encoded.index + encoded[0].length < from)) from = start + encoded.index + encoded[0].length;
    if (from === -1) {
      const before = text.slice(Math.max(0, start - 256), start);
      if (SCHEME_BEFORE.test(before) || USER_BEFORE.test(before) || PASSWORD_BEFORE.test(before)) from = start;
    }
    if (from === -1 || from === end) return text;
    return text.slice(0, from) + this.censor + text.slice(end);
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
        if (key !== undefined) {
          while (i < n && isJsonSpace(text.charCodeAt(i))) i++;
          // Only a sensitive key's value is measured: measuring every object value would be quadratic.
          let end = -1;
          if (this.isSensitiveKey(key)) end = endOfValue(text, i);
          else if (text.charCodeAt(i) === 0x22 && key.length <= 4) {
            const stringEnd = endOfString(text, i);
            if (this.isCredentialUnder(key, keyText(text.slice(i, stringEnd)))) end = stringEnd;
          }
          if (end !== -1) {
            out += text.slice(last, i) + censor;
            last = end;
            i = end;
          }
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
    return this.redactCutEnd(this.redactString(last === 0 ? text : out + text.slice(last)));
  }
}

/** A character of a key in `key=value` text: letters, digits and `_ . % [ ] -`. */
const isKeyChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
  c === 0x5f || c === 0x2e || c === 0x25 || c === 0x5b || c === 0x5d || c === 0x2d;

/** What ends the value of `key=value` text: white space, `& ; #`, quotes, `< >`, `\\`. */
const isValueEnd = (c: number): boolean =>
  c <= 0x20 || c === 0x26 || c === 0x3b || c === 0x23 || c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x5c;

/** A base64url character: what the three parts of a JWT are made of. */
const isBase64Url = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;

/** Index of the first character at or after `from` that is not base64url. */
function endOfBase64Url(text: string, from: number): number {
  let i = from;
  while (i < text.length && isBase64Url(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Replaces JSON Web Tokens (`eyJ` + 4 or more base64url characters, `.`, 4 or more, `.`, any number)
 * wherever they start: no word boundary before `eyJ` (base64url of `{"`), so a token glued to other text
 * (`id0eyJ…`) is still one. A scan by hand in linear time: the regular expression it replaces tried every
 * `eyJ` of a run again to the end of the run, and a 20 kB body of `eyJeyJ…` cost 225 ms.
 */
function redactJwts(text: string, censor: string): string {
  let out = '';
  let last = 0;
  let at = text.indexOf('eyJ');
  while (at !== -1) {
    const header = endOfBase64Url(text, at + 3);
    // Every later `eyJ` before `header` ends its first part at the same place: skip them on failure.
    let next = header;
    if (header - at >= 7 && text.charCodeAt(header) === 0x2e) {
      const payload = endOfBase64Url(text, header + 1);
      if (payload - header - 1 >= 4 && text.charCodeAt(payload) === 0x2e) {
        const end = endOfBase64Url(text, payload + 1);
        out += text.slice(last, at) + censor;
        last = end;
        next = end;
      }
    }
    at = text.indexOf('eyJ', next);
  }
  return last === 0 ? text : out + text.slice(last);
}

/** `"`, `]`, `}` or `\\`: what may follow a cut value in JSON text built from it. */
const isCloser = (c: number): boolean => c === 0x22 || c === 0x5d || c === 0x7d || c === 0x5c;

/** The token68 alphabet (RFC 7235) and `%`: what a bearer credential or a JWT is made of. */
const isCredentialChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
  c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || c === 0x2b || c === 0x2f || c === 0x3d || c === 0x25;

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

/**
 * Index just after the object or array that starts at `start`, or the text's end when it was cut.
 * `escaped`: the JSON is itself inside a JSON string (`{\"a\":[\"x\"]}`), and each `\\x` of the
 * text is one character of the inner JSON, read as such.
 */
function endOfComposite(text: string, start: number, escaped = false): number {
  let depth = 0;
  let inString = false;
  /** The previous character of the (inner) JSON was a backslash inside a string. */
  let afterBackslash = false;
  for (let i = start; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (escaped && c === 0x5c) c = text.charCodeAt(++i); // `\"` is an inner quote, `\\` an inner backslash
    if (inString) {
      if (afterBackslash) afterBackslash = false;
      else if (c === 0x5c) afterBackslash = true;
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
