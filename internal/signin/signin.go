// Package signin is how people sign in to Stele and out, through the API
// and the web pages alike: a password, then, for an account with MFA, a
// TOTP or recovery code, in one step or two. Every try counts against the
// account and the address it came from; a wrong one is logged as
// auth.failed in each organization of the account, a right one as
// auth.login. Passwords are hashed in turn, one per core at a time.
package signin

import (
	"context"
	"crypto/subtle"
	"errors"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/steleaudit/stele/client"
	"github.com/steleaudit/stele/internal/auth"
	"github.com/steleaudit/stele/internal/journal"
	"github.com/steleaudit/stele/internal/store"
	"github.com/steleaudit/stele/internal/totp"
	"github.com/steleaudit/stele/verify"
)

// Throttling: an account may fail this many times in Window, an address
// several accounts' worth.
const (
	AccountFailures = 5
	AddressFailures = 20
	Window          = 15 * time.Minute
)

var (
	// ErrWrongPassword means the email or the password is wrong; which,
	// it does not say.
	ErrWrongPassword = errors.New("wrong email or password")
	// ErrWrongCode means the TOTP or recovery code is wrong or was used.
	ErrWrongCode = errors.New("wrong or already used authentication code")
	// ErrNotPending means a second factor came for a whole session.
	ErrNotPending = errors.New("this session is signed in already")
)

// A ThrottledError refuses a try from an account or address that failed
// too often lately.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string { return "too many failed sign-ins" }

// A Desk signs people in and out. It is safe for concurrent use.
type Desk struct {
	st  store.Store
	j   *journal.Journal
	now func() time.Time
	// accounts and addresses count failures; hashing holds a slot per
	// password being hashed.
	accounts, addresses *auth.Throttle
	hashing             chan struct{}
}

// New returns a Desk over st, logging in j.
func New(st store.Store, j *journal.Journal, now func() time.Time) *Desk {
	return &Desk{
		st:        st,
		j:         j,
		now:       now,
		accounts:  auth.NewThrottle(AccountFailures, Window, now),
		addresses: auth.NewThrottle(AddressFailures, Window, now),
		hashing:   make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
}

// A Result is a session begun: the token to hand the client, and the
// session, pending when it awaits the second factor.
type Result struct {
	User    store.User
	Token   string
	Session store.Session
}

// Password signs in the account of email with pw and, if it has MFA,
// code: a whole session when all is right, a pending one when the code
// is still to come (code ""). Errors: *ThrottledError, ErrWrongPassword,
// ErrWrongCode.
func (d *Desk) Password(ctx context.Context, src journal.Source, email, pw, code string) (*Result, error) {
	email = NormalEmail(email)
	if err := d.Throttled(src.IP, email); err != nil {
		return nil, err
	}
	u, err := store.ReadValue(ctx, d.st, func(ctx context.Context, r store.Reader) (store.User, error) { return r.UserByEmail(ctx, email) })
	if errors.Is(err, store.ErrNotFound) {
		d.verify(ctx, "", pw) // as long as for an account, so as not to tell there is none
		d.fail(src.IP, email)
		return nil, ErrWrongPassword
	}
	if err != nil {
		return nil, err
	}
	if err := d.prove(ctx, src, u, pw); err != nil {
		return nil, err
	}
	if u.MFASecret == nil {
		return d.begin(ctx, src, u, nil, nil)
	}
	if code == "" {
		token, sess := auth.NewSession(u.ID, true, d.now())
		if err := d.st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateSession(ctx, sess)
		}); err != nil {
			return nil, err
		}
		return &Result{User: u, Token: token, Session: sess}, nil
	}
	return d.secondFactor(ctx, src, u, code, nil)
}

// SecondFactor finishes the sign-in of pending with a TOTP or recovery
// code, each good once. Errors: ErrNotPending, *ThrottledError,
// ErrWrongCode.
func (d *Desk) SecondFactor(ctx context.Context, src journal.Source, pending store.Session, code string) (*Result, error) {
	if !pending.MFAPending {
		return nil, ErrNotPending
	}
	u, err := store.ReadValue(ctx, d.st, func(ctx context.Context, r store.Reader) (store.User, error) { return r.User(ctx, pending.UserID) })
	if err != nil {
		return nil, err
	}
	if err := d.Throttled(src.IP, u.Email); err != nil {
		return nil, err
	}
	return d.secondFactor(ctx, src, u, code, &pending)
}

func (d *Desk) secondFactor(ctx context.Context, src journal.Source, u store.User, code string, pending *store.Session) (*Result, error) {
	ok, recovery := false, false
	err := d.st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.LockUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if step, good := totp.Verify(cur.MFASecret, code, d.now(), cur.MFAStep); good {
			ok, cur.MFAStep = true, step
		} else if i := slices.IndexFunc(cur.RecoveryCodes, hashEqual(totp.HashRecoveryCode(code))); i >= 0 {
			ok, recovery = true, true
			cur.RecoveryCodes = slices.Delete(cur.RecoveryCodes, i, i+1)
		}
		if !ok {
			return nil
		}
		u = cur
		return tx.UpdateUser(ctx, cur)
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		d.fail(src.IP, u.Email)
		return nil, d.failed(ctx, src, u, "wrong_code", ErrWrongCode)
	}
	details := map[string]any{"mfa": "totp"}
	if recovery {
		details["mfa"] = "recovery_code"
		details["recovery_codes_left"] = len(u.RecoveryCodes)
	}
	return d.begin(ctx, src, u, pending, details)
}

// Prove checks that pw is u's password; a wrong one counts against the
// account and the address, is logged as auth.failed, and is
// ErrWrongPassword. A throttled account or address is *ThrottledError.
func (d *Desk) Prove(ctx context.Context, src journal.Source, u store.User, pw string) error {
	if err := d.Throttled(src.IP, u.Email); err != nil {
		return err
	}
	return d.prove(ctx, src, u, pw)
}

// prove is Prove once the throttle let the try through.
func (d *Desk) prove(ctx context.Context, src journal.Source, u store.User, pw string) error {
	ok, err := d.verify(ctx, u.PasswordHash, pw)
	if err != nil {
		return err
	}
	if !ok {
		d.fail(src.IP, u.Email)
		return d.failed(ctx, src, u, "wrong_password", ErrWrongPassword)
	}
	return nil
}

// begin gives u a whole session, a new one or pending made whole, and
// logs auth.login with details.
func (d *Desk) begin(ctx context.Context, src journal.Source, u store.User, pending *store.Session, details map[string]any) (*Result, error) {
	d.accounts.Reset(u.Email)
	token, sess := auth.NewSession(u.ID, false, d.now())
	err := d.st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		if pending != nil {
			// A new token, so that one seen before the second factor is
			// worth nothing after it.
			if err := tx.DeleteSession(ctx, pending.Hash); err != nil {
				return err
			}
		}
		return tx.CreateSession(ctx, sess)
	})
	if err != nil {
		return nil, err
	}
	if err := d.Record(ctx, src, u, "auth.login", details); err != nil {
		return nil, err
	}
	return &Result{User: u, Token: token, Session: sess}, nil
}

// SignOut ends sess, and logs auth.logout if it was whole.
func (d *Desk) SignOut(ctx context.Context, src journal.Source, sess store.Session) error {
	err := d.st.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteSession(ctx, sess.Hash)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if sess.MFAPending {
		return nil
	}
	u, err := store.ReadValue(ctx, d.st, func(ctx context.Context, r store.Reader) (store.User, error) { return r.User(ctx, sess.UserID) })
	if err != nil {
		return err
	}
	return d.Record(ctx, src, u, "auth.logout", nil)
}

// failed logs auth.failed for u and returns answer.
func (d *Desk) failed(ctx context.Context, src journal.Source, u store.User, reason string, answer error) error {
	if err := d.Record(ctx, src, u, "auth.failed", map[string]any{"reason": reason}); err != nil {
		return err
	}
	return answer
}

// Record logs an event of u's about their own account in each of their
// organizations.
func (d *Desk) Record(ctx context.Context, src journal.Source, u store.User, typ string, details map[string]any) error {
	ms, err := store.ReadValue(ctx, d.st, func(ctx context.Context, r store.Reader) ([]store.Member, error) { return r.Memberships(ctx, u.ID) })
	if err != nil {
		return err
	}
	orgs := make([]string, len(ms))
	for i, m := range ms {
		orgs[i] = m.Org
	}
	return d.j.RecordAll(ctx, orgs, journal.Action{
		Actor:   UserActor(u),
		Event:   typ,
		Target:  &client.Target{Type: "user", ID: u.ID, Name: u.Name},
		Details: details,
		Source:  src,
	})
}

// Throttled returns a *ThrottledError if the address ip or the account
// email failed to sign in too often lately.
func (d *Desk) Throttled(ip, email string) error {
	if ok, wait := d.addresses.Allow(ip); !ok {
		return &ThrottledError{Wait: wait}
	}
	if ok, wait := d.accounts.Allow(email); !ok {
		return &ThrottledError{Wait: wait}
	}
	return nil
}

func (d *Desk) fail(ip, email string) {
	d.addresses.Fail(ip)
	d.accounts.Fail(email)
}

// UserActor is u as the actor of the events their actions produce.
func UserActor(u store.User) verify.Actor {
	return (&auth.Principal{User: &auth.User{ID: u.ID, Email: u.Email, Name: u.Name}}).Actor()
}

// NormalEmail is the form emails are stored and compared in.
func NormalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// hashEqual returns a test for a hash equal to want, in constant time.
func hashEqual(want []byte) func([]byte) bool {
	return func(h []byte) bool { return subtle.ConstantTimeCompare(h, want) == 1 }
}
