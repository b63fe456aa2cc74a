package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadmeTour runs the README's five-minute tour, as written, against
// `stele server --dev`, so that the first thing a newcomer reads works.
func TestReadmeTour(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "jq", "od"} {
		if _, err := osexec.LookPath(tool); err != nil {
			t.Skipf("the tour needs %s, which is not installed", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## A five-minute tour.*?```sh\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no tour")
	}
	dir := t.TempDir()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := osexec.LookPath("stele")
	if err != nil {
		t.Fatal(err)
	}
	srv := osexec.Command(bin, "server", "--dev", "--addr", addr)
	srv.Dir = dir
	srv.Env = cleanEnv()
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Errorf("server exit: %v", err)
		}
	}()
	creds := filepath.Join(dir, "stele-data", "dev-credentials.json")
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(creds); err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("no %s after 5 minutes; server log:\n%s", creds, log)
		}
	}

	tour := strings.ReplaceAll(string(m[1]), "http://127.0.0.1:8080", "http://"+addr)
	tour = strings.ReplaceAll(tour, "go run ./cmd/stele ", "stele ")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := osexec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", tour)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tour failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		`"id":"acme"`,                                       // the organization
		`"checkpoint":"stele.local/org/acme`,                // the send, proved
		`"event":"finding.status_changed"`,                  // listed
		"s   t   e   l   e   -   l   e   a   f   /   v   1", // the leaf bytes
		"signature OK", "seq 2: included at size 3: OK",     // verified
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
	devSignIn(t, "http://"+addr, creds)
}

// devSignIn signs in to the pages as the README says, with the email and
// password --dev wrote, and sees the demo organization's Audit Logs.
func devSignIn(t *testing.T, base, creds string) {
	b, err := os.ReadFile(creds)
	if err != nil {
		t.Fatal(err)
	}
	var c devCredentials
	if err := json.Unmarshal(b, &c); err != nil || c.Email == "" || c.Password == "" {
		t.Fatalf("%s has no email and password: %s", creds, b)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	page, err := hc.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="form" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("the sign-in page has no form token:\n%s", body)
	}
	resp, err := hc.PostForm(base+"/signin", url.Values{"email": {c.Email}, "password": {c.Password}, "form": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/orgs/demo/audit-logs" || !bytes.Contains(body, []byte(`<tr data-seq=`)) {
		t.Errorf("signing in with the dev credentials ended at %s (%d), want the demo's Audit Logs with events", resp.Request.URL, resp.StatusCode)
	}
}
