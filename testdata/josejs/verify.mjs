// Verifies one token of `tokentop fakeissuer` as a JOSE relying party would:
// jwtVerify against the issuer's /jwks, on this machine's real clock with no
// tolerance. Reads JWKS_URL, ISSUER and TOKEN from the environment; prints
// {"accepted": true, "payload": {...}} or {"accepted": false, "code", "message"}.
// Never prints the token.
import { createRemoteJWKSet, jwtVerify } from "jose";

const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URL), { timeoutDuration: 5000 });
try {
  const { payload } = await jwtVerify(process.env.TOKEN, jwks, {
    issuer: process.env.ISSUER,
    clockTolerance: 0,
  });
  console.log(JSON.stringify({ accepted: true, now: Date.now() / 1000, payload }));
} catch (err) {
  console.log(JSON.stringify({ accepted: false, now: Date.now() / 1000, code: err.code ?? "", message: err.message }));
}
