// Runs the official @azure/communication-identity client library through the
// operations tokentop's acs: issuer performs (create a user, issue a token of
// 60 minutes, revoke the user's tokens, delete the user) against the server
// in ACS_CONNECTION_STRING, and prints the user's id as JSON on stdout.
// acs_jsclient_test.go records the requests the server gets and compares
// them with those of the acs: issuer.
"use strict";

const { CommunicationIdentityClient } = require("@azure/communication-identity");

async function main() {
  const conn = process.env.ACS_CONNECTION_STRING;
  if (!conn) throw new Error("environment variable ACS_CONNECTION_STRING is not set");
  // http:// endpoints need allowInsecureConnection.
  const client = new CommunicationIdentityClient(conn, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
  const user = await client.createUser();
  await client.getToken(user, ["chat"], { tokenExpiresInMinutes: 60 });
  await client.revokeTokens(user);
  await client.deleteUser(user);
  process.stdout.write(JSON.stringify({ id: user.communicationUserId }) + "\n");
}

main().catch((e) => {
  process.stderr.write(`ops.cjs: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
