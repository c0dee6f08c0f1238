// The two requests both HTTP benchmarks send: GET /users/42 and POST /users with a ~300-byte JSON
// sign-up body (with a password for redaction to find), and the headers a browser-ish client sends.

/** The POST body: a sign-up form of about 300 bytes, with a password for redaction to find. */
export const POST_BODY = JSON.stringify({
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  password: 'correct horse battery staple',
  plan: 'pro',
  address: { street: '12 Analytical Row', city: 'London', postcode: 'N1 9GU', country: 'GB' },
  marketing: { newsletter: true, source: 'spring-landing-page' },
  tags: ['beta', 'early-adopter', 'engine'],
});

/** Headers of every request. */
export const HEADERS = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0', accept: 'application/json' };

/** The two requests, alternated. */
export const REQUESTS = [
  { method: 'GET', path: '/users/42' },
  { method: 'POST', path: '/users', headers: { ...HEADERS, 'content-type': 'application/json' }, body: POST_BODY },
];
