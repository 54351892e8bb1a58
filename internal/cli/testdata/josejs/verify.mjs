// Verifies one token of `tokentop fakeissuer` as a JOSE relying party would:
// jwtVerify against the issuer's /jwks, with no tolerance, on this machine's
// real clock or, when AT is set (Unix seconds), at that fixed time. Reads
// JWKS_URL, ISSUER, TOKEN and AT from the environment; prints
// {"accepted": true, "payload": {...}} or {"accepted": false, "code", "message"}.
// Never prints the token.
import { createRemoteJWKSet, jwtVerify } from "jose";

const at = process.env.AT ? new Date(Number(process.env.AT) * 1000) : undefined;
const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URL), { timeoutDuration: 5000 });
try {
  const { payload } = await jwtVerify(process.env.TOKEN, jwks, {
    issuer: process.env.ISSUER,
    clockTolerance: 0,
    currentDate: at,
  });
  console.log(JSON.stringify({ accepted: true, now: (at ?? new Date()).getTime() / 1000, payload }));
} catch (err) {
  console.log(JSON.stringify({ accepted: false, now: (at ?? new Date()).getTime() / 1000, code: err.code ?? "", message: err.message }));
}
