package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/simulate"
)

// devCredentials is what `stele server --dev` writes to
// <data>/dev-credentials.json, for trying the API at once.
type devCredentials struct {
	URL           string `json:"url"`
	PlatformToken string `json:"platform_token"`
	Org           string `json:"org"`
	APIKey        string `json:"api_key"`
	// Email and Password sign in to the pages as the organization's owner.
	Email    string `json:"email"`
	Password string `json:"password"`
}

const (
	devOrg    = "demo"
	devEvents = 50000
	devDays   = 60
	devSeed   = 1
)

// seedDev makes the demo organization (Enterprise plan), an API key with
// every scope and about 50,000 realistic events over the last 60 days,
// through the API the server just started serving, as a platform would.
// On a data directory seeded before, it reuses the organization and key.
func seedDev(ctx context.Context, data, url, token string, stdout io.Writer) error {
	path := filepath.Join(data, "dev-credentials.json")
	var creds devCredentials
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &creds); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	platform, err := client.New(url, token)
	if err != nil {
		return err
	}
	if _, err := platform.Org(ctx, devOrg); client.IsNotFound(err) {
		_, err = platform.CreateOrg(ctx, client.OrgCreate{ID: devOrg, Name: "Demo Security Co.", Plan: "enterprise", TimeZone: "Europe/Berlin"})
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	seeded := creds.Org == devOrg && creds.APIKey != ""
	if seeded {
		kc, err := client.New(url, creds.APIKey)
		if err != nil {
			return err
		}
		if _, err := kc.Org(ctx, devOrg); err != nil {
			seeded = false // the key was revoked, or the store is new
		}
	}
	if !seeded {
		k, err := platform.CreateAPIKey(ctx, devOrg, client.APIKeyCreate{Name: "dev", Scopes: []string{"admin", "events:write", "events:read"}})
		if err != nil {
			return err
		}
		creds.APIKey = k.Key
		kc, err := client.New(url, k.Key)
		if err != nil {
			return err
		}
		if err := sendHistory(ctx, kc, stdout); err != nil {
			return err
		}
	}
	if err := devOwner(ctx, platform, url, &creds); err != nil {
		return err
	}
	creds.URL, creds.PlatformToken, creds.Org = url, token, devOrg
	b, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stele: dev mode: organization %q with %d days of events; credentials in %s:\n%s\n", devOrg, devDays, path, b)
	fmt.Fprintf(stdout, "stele: dev mode: sign in at %s/signin as %s with the password above\n", url, creds.Email)
	return nil
}

// devOwner makes sure the demo organization has an owner to sign in to
// the pages as: the account in creds, or a new one with a random
// password.
func devOwner(ctx context.Context, platform *client.Client, url string, creds *devCredentials) error {
	if creds.Email != "" && creds.Password != "" {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return err
		}
		person, err := client.New(url, "", client.WithHTTPClient(&http.Client{Jar: jar, Timeout: time.Minute}))
		if err != nil {
			return err
		}
		if _, err := person.Login(ctx, client.Login{Email: creds.Email, Password: creds.Password}); err == nil {
			return nil
		}
	}
	creds.Email = "owner@demo.example"
	creds.Password = "demo-" + rand.Text()[:16]
	inv, err := platform.Invite(ctx, devOrg, client.InvitationCreate{Email: creds.Email, Role: "owner"})
	if err != nil {
		return err
	}
	_, err = platform.AcceptInvitation(ctx, inv.Token, client.InvitationAccept{Name: "Demo Owner", Password: creds.Password})
	return err
}

// sendHistory sends the simulated platform's last 60 days, in batches.
// Its events carry fixed ids, so sending them again adds nothing.
func sendHistory(ctx context.Context, c *client.Client, stdout io.Writer) error {
	end := time.Now().UTC().Add(-time.Minute)
	sim := simulate.New(simulate.Config{Seed: devSeed, Start: end.AddDate(0, 0, -devDays), End: end})
	events := sim.History(devEvents)
	start := time.Now()
	for i := 0; i < len(events); i += 1000 {
		if _, err := c.Send(ctx, devOrg, events[i:min(i+1000, len(events))]...); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "stele: dev mode: sent %d events in %.1fs\n", len(events), time.Since(start).Seconds())
	return nil
}
