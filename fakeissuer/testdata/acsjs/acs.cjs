// Drives the official @azure/communication-identity client library against
// tokentop's fake issuer and prints what each call returned as one JSON
// object on stdout. acs_jsclient_test.go starts the issuer, runs this script and
// checks the results against the issuer's state.
//
// Environment: ACS_CONNECTION_STRING, ACS_WRONG_KEY_CONNECTION_STRING,
// TEAMS_TOKEN, TEAMS_APP_ID, TEAMS_USER_ID, ENTRA_TOKEN, and ACS_TLS_ENDPOINT:
// an https endpoint of the same issuer (its certificate given by
// NODE_EXTRA_CA_CERTS), because the Entra credential has no
// allowInsecureConnection and refuses http.
"use strict";

const { CommunicationIdentityClient } = require("@azure/communication-identity");
const { AzureCommunicationTokenCredential } = require("@azure/communication-common");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
};

// refusal captures how the service refused a call.
const refusal = async (promise) => {
  try {
    await promise;
    return { refused: false };
  } catch (e) {
    return { refused: true, statusCode: e.statusCode, code: e.code, message: e.message };
  }
};

const token = (t) => ({ token: t.token, expiresOn: t.expiresOn.toISOString() });

async function main() {
  // http:// endpoints need allowInsecureConnection.
  const options = { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } };
  const client = new CommunicationIdentityClient(env("ACS_CONNECTION_STRING"), options);
  const out = {};

  const user = await client.createUser();
  out.createUser = { id: user.communicationUserId };

  const withToken = await client.createUserAndToken(["voip"]);
  out.createUserAndToken = { id: withToken.user.communicationUserId, ...token(withToken) };

  out.getToken = token(await client.getToken(user, ["chat", "voip"], { tokenExpiresInMinutes: 60 }));

  await client.revokeTokens(user);
  out.revokeTokens = "ok";

  await client.deleteUser(withToken.user);
  out.deleteUser = "ok";
  out.getTokenAfterDelete = await refusal(client.getToken(withToken.user, ["chat"]));

  out.getTokenForTeamsUser = token(
    await client.getTokenForTeamsUser({
      teamsUserAadToken: env("TEAMS_TOKEN"),
      clientId: env("TEAMS_APP_ID"),
      userObjectId: env("TEAMS_USER_ID"),
    }),
  );

  // The Entra exchange, through the credential that performs it.
  const entra = new AzureCommunicationTokenCredential({
    resourceEndpoint: env("ACS_TLS_ENDPOINT"),
    tokenCredential: {
      getToken: async () => ({ token: env("ENTRA_TOKEN"), expiresOnTimestamp: Date.now() + 3600e3 }),
    },
    scopes: ["https://communication.azure.com/clients/.default"],
  });
  const acs = await entra.getToken();
  out.entraExchange = { token: acs.token, expiresOn: new Date(acs.expiresOnTimestamp).toISOString() };
  entra.dispose();

  const wrongKey = new CommunicationIdentityClient(env("ACS_WRONG_KEY_CONNECTION_STRING"), options);
  out.wrongKey = await refusal(wrongKey.createUser());

  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write(`acs.cjs: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
