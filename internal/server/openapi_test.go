package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"mime"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The OpenAPI document, loaded, validated and routed once for all tests.
var openAPI struct {
	once   sync.Once
	raw    []byte
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadOpenAPI returns openapi.json, checked with openapi3's Validate, and a
// router over it.
func loadOpenAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	openAPI.once.Do(func() {
		openAPI.err = func() error {
			raw, err := os.ReadFile("openapi.json")
			if err != nil {
				return err
			}
			doc, err := openapi3.NewLoader().LoadFromData(raw)
			if err != nil {
				return fmt.Errorf("couldn't load: %w", err)
			}
			if err := doc.Validate(context.Background()); err != nil {
				return fmt.Errorf("invalid: %w", err)
			}
			router, err := gorillamux.NewRouter(doc)
			if err != nil {
				return fmt.Errorf("couldn't route: %w", err)
			}
			// promhttp answers OpenMetrics to clients that ask for it.
			openapi3filter.RegisterBodyDecoder("application/openmetrics-text", openapi3filter.PlainBodyDecoder)
			openAPI.raw, openAPI.doc, openAPI.router = raw, doc, router
			return nil
		}()
	})
	if openAPI.err != nil {
		t.Fatalf("openapi.json: %v", openAPI.err)
	}
	return openAPI.doc, openAPI.router
}

// validating returns rt checking every exchange against openapi.json: the
// route and its status must be documented and the answer must match. The
// request is checked too when the answer is a success: tests send broken
// requests on purpose, and those must fail, not match.
func validating(t testing.TB, rt http.RoundTripper) http.RoundTripper {
	t.Helper()
	_, router := loadOpenAPI(t)
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &validator{t: t, next: rt, router: router}
}

type validator struct {
	t      testing.TB
	next   http.RoundTripper
	router routers.Router
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	// Keep the request's body to check it once answered.
	var body []byte
	send := req
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		send = req.Clone(req.Context())
		send.Body = io.NopCloser(bytes.NewReader(body))
		send.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := v.next.RoundTrip(send)
	if err != nil {
		return resp, err
	}
	resp.Request = req
	if err := v.check(req, body, resp); err != nil {
		v.t.Errorf("openapi: %s %s answered %d: %v", req.Method, req.URL.RequestURI(), resp.StatusCode, err)
	}
	return resp, nil
}

var validationOptions = &openapi3filter.Options{
	IncludeResponseStatus: true,
	SkipSettingDefaults:   true,
	AuthenticationFunc:    bearerPresent,
}

// bearerPresent passes a request carrying the credential a security
// scheme names: a bearer token, or the session cookie. A secured route
// that answered 2xx without one is documented wrongly.
func bearerPresent(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	if sc := in.SecurityScheme; sc.Type == "apiKey" && sc.In == "cookie" {
		if c, err := req.Cookie(sc.Name); err != nil || c.Value == "" {
			return errors.New("no session cookie")
		}
		return nil
	}
	scheme, token, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

// check checks resp, the answer to req with body, against the document.
// It leaves resp's body for the caller to read.
func (v *validator) check(req *http.Request, body []byte, resp *http.Response) error {
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil // the mux redirecting to a clean path
	}
	ctx := context.Background()
	routed := req
	if req.Method == http.MethodHead {
		routed = req.Clone(ctx)
		routed.Method = http.MethodGet
	}
	route, params, err := v.router.FindRoute(routed)
	if err != nil {
		// The mux answers every route it lacks with a 404 envelope.
		if resp.StatusCode == http.StatusNotFound {
			return v.checkNotFound(resp)
		}
		return fmt.Errorf("route not in openapi.json: %v", err)
	}
	in := &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route, Options: validationOptions}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: resp.StatusCode, Header: resp.Header, Options: validationOptions}

	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/event-stream" {
		// A stream is read as it comes: check its status, headers and
		// content type only.
		ref := route.Operation.Responses.Status(resp.StatusCode)
		if ref != nil && ref.Value != nil && ref.Value.Content.Get(resp.Header.Get("Content-Type")) == nil {
			return fmt.Errorf("content type %q not documented", resp.Header.Get("Content-Type"))
		}
		opts := *validationOptions
		opts.ExcludeResponseBody = true
		out.Options = &opts
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			return err
		}
	} else {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("couldn't read the answer: %v", err)
		}
		out.SetBodyBytes(b)
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			return err
		}
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	vreq := routed.Clone(ctx)
	vreq.Body, vreq.GetBody = http.NoBody, nil // the validator prefers GetBody to Body
	if body != nil {
		if strings.EqualFold(strings.TrimSpace(req.Header.Get("Content-Encoding")), "gzip") {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				return fmt.Errorf("request: gzip body: %v", err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("request: gzip body: %v", err)
			}
			vreq.Header.Del("Content-Encoding")
		}
		vreq.Body = io.NopCloser(bytes.NewReader(body))
		vreq.ContentLength = int64(len(body))
	}
	in.Request = vreq
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return fmt.Errorf("request: %v", err)
	}
	return nil
}

// checkNotFound checks the mux's answer to a route it lacks is the error
// envelope.
func (v *validator) checkNotFound(resp *http.Response) error {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("couldn't read the answer: %v", err)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("404 of a route not in openapi.json: Content-Type %q, want application/json", resp.Header.Get("Content-Type"))
	}
	var value any
	if err := json.Unmarshal(b, &value); err != nil {
		return fmt.Errorf("404 of a route not in openapi.json: %v", err)
	}
	schema := openAPI.doc.Components.Schemas["Error"].Value
	if err := schema.VisitJSON(value, openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("404 of a route not in openapi.json: %v", err)
	}
	return nil
}

// A routeSpec is one pattern of routes.go and whether it needs a
// credential.
type routeSpec struct {
	pattern string // "GET /v1/orgs/{org}"
	public  bool
}

var patternRE = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/\S*)$`)

// routeTable reads the route patterns out of routes.go's source: the
// entries of the route table, and the mux's other method patterns (which
// are not wrapped, so public).
func routeTable(t *testing.T) []routeSpec {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	pattern := func(e ast.Expr) string {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return ""
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil || !patternRE.MatchString(s) {
			return ""
		}
		return s
	}
	var out []routeSpec
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit: // {"GET /healthz", public, ...}
			if len(n.Elts) >= 2 {
				if p := pattern(n.Elts[0]); p != "" {
					id, _ := n.Elts[1].(*ast.Ident)
					out = append(out, routeSpec{p, id != nil && id.Name == "public"})
					return false
				}
			}
		case *ast.CallExpr: // s.mux.Handle("GET /metrics", ...)
			if len(n.Args) >= 1 {
				if p := pattern(n.Args[0]); p != "" {
					out = append(out, routeSpec{p, true})
				}
			}
		}
		return true
	})
	if len(out) == 0 {
		t.Fatal("found no route patterns in routes.go")
	}
	return out
}

func TestOpenAPIDocument(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json: Validate = %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi.json: openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	documented := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = op
		}
	}
	served := map[string]bool{}
	for _, rt := range routeTable(t) {
		served[rt.pattern] = true
		op := documented[rt.pattern]
		if op == nil {
			t.Errorf("route %s is not in openapi.json", rt.pattern)
			continue
		}
		security := doc.Security
		if op.Security != nil {
			security = *op.Security
		}
		if public := len(security) == 0; public != rt.public {
			t.Errorf("openapi.json: %s needs a credential = %v, want %v", rt.pattern, !public, !rt.public)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(documented)) {
		if !served[p] {
			t.Errorf("openapi.json documents %s, which routes.go does not serve", p)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	loadOpenAPI(t)
	ts := newTestServer(t)
	resp, err := ts.hc.Get(ts.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /v1/openapi.json: Content-Type %q, want application/json", ct)
	}
	if !bytes.Equal(got, openAPI.raw) {
		t.Errorf("GET /v1/openapi.json serves %d bytes other than openapi.json's %d", len(got), len(openAPI.raw))
	}
}
