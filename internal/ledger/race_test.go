//go:build race

package ledger_test

func init() { raceEnabled = true }
