package main

// What the end-to-end tests hold the binary to, as the README documents
// it: the exit statuses and the environment variables a user sets.
const (
	exitOK    = 0 // all went well
	exitUsage = 2 // the command line was wrong

	cacheKeyEnv         = "TOKENTOP_CACHE_KEY"                // the token cache's secret
	envFakeClientSecret = "TOKENTOP_FAKEISSUER_CLIENT_SECRET" // fakeissuer's OAuth2 client secret
)
