// Package client is the Go SDK for Stele's HTTP API: send events, read
// and search them, fetch checkpoints and proofs, and manage organizations
// and API keys. Proofs it fetches can be checked offline with package
// verify.
package client
