'use strict';
// The Express peer of gatehouse for the local benchmark: Cognito Hosted UI sign-in (OIDC code
// flow, PKCE S256, state, nonce) with openid-client, sessions in DynamoDB through
// express-session + connect-dynamodb. Configuration from the environment (.local/stack.env).
// No request logging (it would distort the benchmark).

process.env.NODE_ENV = process.env.NODE_ENV || 'production';
// The AWS SDK's one-time "node >= 22 soon" notice, not useful here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const crypto = require('node:crypto');
const express = require('express');
const session = require('express-session');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { Issuer, generators, custom } = require('openid-client');
const { BenchDynamoStore } = require('./session-store');
const { ensureBenchClient } = require('./bench-client');

function env(name, fallback) {
  const v = process.env[name];
  if (v !== undefined && v !== '') return v;
  if (fallback !== undefined) return fallback;
  console.error(`bench-express: ${name} is not set (source .local/stack.env)`);
  process.exit(2);
}

const PORT = Number(env('PORT', '3300'));
const PUBLIC_URL = env('BENCH_PUBLIC_URL', `http://localhost:${PORT}`);
const REDIRECT_URI = `${PUBLIC_URL}/auth/callback`;
const REGION = env('AWS_REGION', 'us-east-1');
const ISSUER = env('COGNITO_ISSUER');
const DOMAIN = env('COGNITO_DOMAIN');
const USER_POOL_ID = env('COGNITO_USER_POOL_ID');
const COGNITO_ENDPOINT = env('COGNITO_ENDPOINT', 'http://127.0.0.1:9229');
const DYNAMODB_ENDPOINT = env('DYNAMODB_ENDPOINT');
const TABLE = env('BENCH_SESSIONS_TABLE', 'bench-express-sessions');
const SESSION_SECRET = env('BENCH_SESSION_SECRET', process.env.APP_SECRET);
// As gatehouse's defaults: 30 min idle, 8 h absolute, last-seen written at most once a minute.
const IDLE_SECS = Number(env('SESSION_IDLE_TIMEOUT_SECS', '1800'));
const ABSOLUTE_SECS = Number(env('SESSION_ABSOLUTE_TIMEOUT_SECS', '28800'));
const TOUCH_INTERVAL_SECS = Math.min(60, Math.max(1, Math.floor(IDLE_SECS / 4)));
// cognito-local drops the nonce (its ID tokens carry none): as gatehouse's DEV_RELAX_NONCE.
const RELAX_NONCE = env('DEV_RELAX_NONCE', 'false') === 'true';
const PENDING_MAX_AGE_SECS = 600;

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const page = (title, body) => `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · gatehouse (express peer)</title></head>
<body>
<header><a href="/">gatehouse</a></header>
<main>
${body}
</main>
</body>
</html>`;

const LOGIN_PAGE = page(
  'Sign in',
  `<h1>Sign in</h1>
<p>Sign in with your organisation account.</p>
<p><a href="/auth/login">Sign in with the hosted page</a></p>`,
);

function failurePage(res, status, heading, message) {
  res
    .status(status)
    .type('html')
    .send(page(heading, `<h1>${escapeHtml(heading)}</h1><p>${escapeHtml(message)}</p><p><a href="/login">Back to sign in</a></p>`));
}

async function main() {
  const clientId = process.env.BENCH_CLIENT_ID || (await ensureBenchClient({
    endpoint: COGNITO_ENDPOINT,
    region: REGION,
    userPoolId: USER_POOL_ID,
    redirectUri: REDIRECT_URI,
  }));

  // No discovery: the emulator's discovery document lacks the endpoints. Built from the
  // Cognito domain as gatehouse does (src/auth/oidc.rs).
  const issuer = new Issuer({
    issuer: ISSUER,
    authorization_endpoint: `${DOMAIN}/oauth2/authorize`,
    token_endpoint: `${DOMAIN}/oauth2/token`,
    jwks_uri: `${ISSUER}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: ['RS256'],
  });
  const oidc = new issuer.Client({
    client_id: clientId,
    redirect_uris: [REDIRECT_URI],
    response_types: ['code'],
    token_endpoint_auth_method: 'none', // public client: client_id goes in the token request body
    id_token_signed_response_alg: 'RS256',
  });
  oidc[custom.http_options] = (_url, options) => ({ ...options, timeout: 8000 });

  const store = new BenchDynamoStore({
    client: new DynamoDBClient({ endpoint: DYNAMODB_ENDPOINT, region: REGION, maxAttempts: 2 }),
    table: TABLE,
    prefix: '',
    idleSecs: IDLE_SECS,
    touchIntervalSecs: TOUCH_INTERVAL_SECS,
  });
  await store.initialize(); // creates the table if missing

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // The ceiling route: no session, no headers middleware.
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });

  // The same hardening headers as gatehouse (src/server/middleware.rs).
  app.use((_req, res, next) => {
    res.set({
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy':
        "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
      'Referrer-Policy': 'same-origin',
    });
    next();
  });

  app.use(
    session({
      store,
      secret: SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      unset: 'destroy',
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', path: '/' },
    }),
  );

  app.get('/', (req, res) => res.redirect(302, req.session.user ? '/dashboard' : '/login'));

  app.get('/login', (_req, res) => {
    res.type('html').send(LOGIN_PAGE);
  });

  app.get('/auth/login', (req, res, next) => {
    const state = generators.state();
    const nonce = generators.nonce();
    const codeVerifier = generators.codeVerifier();
    const url = oidc.authorizationUrl({
      scope: 'openid email profile',
      state,
      nonce,
      code_challenge: generators.codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    req.session.pending = { state, nonce, codeVerifier, startedAt: Math.floor(Date.now() / 1000) };
    req.session.save((err) => (err ? next(err) : res.redirect(302, url)));
  });

  app.get('/auth/callback', async (req, res, next) => {
    try {
      const params = oidc.callbackParams(req);
      const pending = req.session.pending;
      if (params.error) {
        return failurePage(res, 400, 'Sign-in cancelled', 'The sign-in was cancelled.');
      }
      const now = Math.floor(Date.now() / 1000);
      if (
        !pending ||
        typeof params.state !== 'string' ||
        params.state.length !== pending.state.length ||
        !crypto.timingSafeEqual(Buffer.from(params.state), Buffer.from(pending.state)) ||
        now - pending.startedAt > PENDING_MAX_AGE_SECS
      ) {
        return failurePage(res, 400, 'Sign-in failed', 'This sign-in link expired or was already used. Please sign in again.');
      }
      delete req.session.pending; // one callback per started sign-in
      let tokens;
      try {
        // Exchanges the code (with the PKCE verifier) and validates the ID token: signature
        // (JWKS), iss, aud, exp/iat, and the nonce unless relaxed for the emulator.
        tokens = await oidc.callback(REDIRECT_URI, params, {
          state: pending.state,
          code_verifier: pending.codeVerifier,
          nonce: RELAX_NONCE ? undefined : pending.nonce,
          response_type: 'code',
        });
      } catch (err) {
        if (err.name === 'RPError' || err.name === 'OPError') {
          return failurePage(res, 400, 'Sign-in failed', 'The sign-in could not be completed. Please sign in again.');
        }
        throw err;
      }
      const claims = tokens.claims();
      const user = {
        sub: claims.sub,
        email: claims.email,
        groups: Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [],
        authenticatedAt: now,
      };
      // A new session id after sign-in (no fixation); the pre-login session goes.
      req.session.regenerate((err) => {
        if (err) return next(err);
        req.session.user = user;
        req.session.save((err2) => (err2 ? next(err2) : res.redirect(302, '/dashboard')));
      });
    } catch (err) {
      next(err);
    }
  });

  app.get('/dashboard', (req, res, next) => {
    const user = req.session.user;
    if (!user) return res.redirect(302, '/login');
    if (Math.floor(Date.now() / 1000) - user.authenticatedAt >= ABSOLUTE_SECS) {
      return req.session.destroy((err) => (err ? next(err) : res.redirect(302, '/login')));
    }
    const groups = user.groups.length
      ? `<ul data-testid="user-groups">${user.groups.map((g) => `<li>${escapeHtml(g)}</li>`).join('')}</ul>`
      : '<p data-testid="user-groups">No groups</p>';
    res.type('html').send(
      page(
        'Dashboard',
        `<h1>Dashboard</h1>
<p>Signed in as <strong data-testid="user-email">${escapeHtml(user.email)}</strong></p>
<h2>Groups</h2>
${groups}
<p>Signed in with the hosted sign-in page</p>`,
      ),
    );
  });

  // Errors: a plain 500 without internals (and one line on stderr, not stdout).
  app.use((err, _req, res, _next) => {
    console.error('bench-express: request failed:', err && (err.stack || err));
    if (!res.headersSent) res.status(500).type('text/plain').send('Internal Server Error');
  });

  const server = app.listen(PORT, '127.0.0.1', () => {
    console.log(`bench-express listening on http://localhost:${PORT} (client ${clientId}, table ${TABLE})`);
  });
  server.keepAliveTimeout = 65_000;
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error('bench-express: start-up failed:', err);
  process.exit(1);
});
