// Package credential implements the Communication Token Credential of the
// Azure Communication Services SDKs: a static token, or a refresher callback
// with an optional initial token, proactive refresh, single-flight on-demand
// refresh, abort and dispose. It knows nothing of issuers or user interfaces.
package credential
