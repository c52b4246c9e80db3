'use strict';
// Finds (or creates) the peer's own app client in the shared user pool. The seeded
// `gatehouse-web` client only allows callbacks on ports 3000-3102, and the emulator checks
// redirect_uri against CallbackURLs, so the peer on port 3300 needs a client of its own.
// Same settings as scripts/seed.py's client (public, no secret, code flow, same scopes).
const {
  CognitoIdentityProviderClient,
  ListUserPoolClientsCommand,
  CreateUserPoolClientCommand,
  DescribeUserPoolClientCommand,
  UpdateUserPoolClientCommand,
} = require('@aws-sdk/client-cognito-identity-provider');

const CLIENT_NAME = 'gatehouse-bench-express';

async function ensureBenchClient({ endpoint, region, userPoolId, redirectUri }) {
  const idp = new CognitoIdentityProviderClient({ endpoint, region, maxAttempts: 1 });
  const settings = {
    ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    AllowedOAuthFlows: ['code'],
    AllowedOAuthScopes: ['openid', 'email', 'profile'],
    AllowedOAuthFlowsUserPoolClient: true,
    SupportedIdentityProviders: ['COGNITO'],
    CallbackURLs: [redirectUri],
  };
  const found = [];
  let NextToken;
  do {
    const page = await idp.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken }));
    found.push(...(page.UserPoolClients || []).filter((c) => c.ClientName === CLIENT_NAME));
    NextToken = page.NextToken;
  } while (NextToken);
  try {
    if (found.length === 0) {
      const { UserPoolClient } = await idp.send(
        new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: CLIENT_NAME, GenerateSecret: false, ...settings }),
      );
      return UserPoolClient.ClientId;
    }
    const clientId = found.map((c) => c.ClientId).sort()[0];
    const { UserPoolClient: current } = await idp.send(
      new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }),
    );
    if (!(current.CallbackURLs || []).includes(redirectUri)) {
      await idp.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: userPoolId,
          ClientId: clientId,
          ClientName: CLIENT_NAME,
          ...settings,
          CallbackURLs: [...new Set([...(current.CallbackURLs || []), redirectUri])],
        }),
      );
    }
    return clientId;
  } finally {
    idp.destroy();
  }
}

module.exports = { ensureBenchClient, CLIENT_NAME };
