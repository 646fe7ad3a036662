// A real OpenID provider for the SSO tests (tests/app/sso.rs): node-oidc-provider,
// a certified OpenID Connect implementation, with static clients and accounts.
//
//   node tests/oidc/provider.js PORT REDIRECT_URI [REDIRECT_URI...]
//
// By default it follows OpenID Connect Core 5.4 to the letter: with the code
// flow, the claims of the email and profile scopes come from the userinfo
// endpoint, not in the ID token. OIDC_EMAIL_IN_ID_TOKEN=1 puts them in the
// ID token too, as many providers do.
//
// PORT 0 picks a free port. When it listens, it prints one line,
// `ready http://127.0.0.1:PORT` (the issuer), so the test waits for that line
// rather than sleeping. It stops when its standard input closes (the test
// process ended) or on SIGTERM.
//
// Signing in needs no browser: the development interactions take any
// account id below as `login` (any password), and consent is given for
// every client without asking (loadExistingGrant), so a test follows the
// redirects with a cookie jar and posts one form.
import http from 'node:http';
import Provider from 'oidc-provider';

const [portArg, ...redirectUris] = process.argv.slice(2);
if (portArg === undefined || redirectUris.length === 0) {
  process.stderr.write('usage: node provider.js PORT REDIRECT_URI [REDIRECT_URI...]\n');
  process.exit(2);
}

// Account id -> claims. `unverified` has an email its provider never checked.
const accounts = {
  trent: { email: 'Trent@Kartel.example', email_verified: true, name: 'Trent Hunter' },
  kevin: { email: 'kevin@kartel.example', email_verified: true, name: 'Kevin Reilly' },
  zac: { email: 'zac@kartel.example', email_verified: true, name: 'Zac Bagley' },
  unverified: { email: 'wayan@kartel.example', email_verified: false, name: 'Not Wayan' },
  'wayan-verified': { email: 'wayan@kartel.example', email_verified: true, name: 'Wayan Palmieri' },
  newcomer: { email: 'newcomer@kartel.example', email_verified: true, name: 'Nina Newcomer' },
  ann: { email: 'ann@acme.example', email_verified: true, name: 'Ann Acme' },
};

// The client secrets the tests type into the admin form.
const client = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  redirect_uris: redirectUris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const server = http.createServer();
server.listen(Number(portArg), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      client('whygo', 'whygo-test-client-secret-8c1f'),
      // Its authorization codes expire after one second: the expired-code test.
      client('whygo-short', 'whygo-short-client-secret-77d2'),
    ],
    async findAccount(ctx, id) {
      const claims = accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'profile'],
    pkce: { methods: ['S256'], required: () => true },
    features: { devInteractions: { enabled: true } },
    ttl: {
      AuthorizationCode: (ctx, code, c) => (c.clientId === 'whygo-short' ? 1 : 60),
    },
    // Consent for every client, so no consent screen: the grant the first
    // authorization asks for is made on the spot.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
    conformIdTokenClaims: process.env.OIDC_EMAIL_IN_ID_TOKEN !== '1',
    cookies: { keys: ['whygo-oidc-test-provider-cookie-key'] },
  });
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
