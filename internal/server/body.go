package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/steleaudit/stele/internal/event"
)

// maxSmallBody bounds the bodies of requests other than sending events.
const maxSmallBody = 64 << 10

// decodeBody reads r's JSON body into v strictly: a JSON content type, at
// most maxSmallBody bytes, no duplicate keys, no unknown fields, no
// trailing data.
func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r, maxSmallBody)
	if err != nil {
		return err
	}
	if _, err := event.DecodeJSON(body); err != nil {
		return err // duplicate keys, invalid UTF-8, bad syntax: an *event.Error
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute):
			return invalid(ute.Field, "want "+ute.Type.String())
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return badRequest(event.CodeUnknownField, field, "unknown field")
		}
		return badRequest(event.CodeInvalidJSON, "", "the body is not the JSON object this needs")
	}
	return nil
}

// readBody returns r's body, of a JSON content type, gzip-compressed or
// not, and at most limit bytes once decompressed.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			message: "send JSON with Content-Type: application/json"}
	}
	tooLarge := &apiError{status: http.StatusRequestEntityTooLarge, code: event.CodeTooLarge,
		message: "the body is larger than " + strconv.FormatInt(limit, 10) + " bytes"}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	var in io.Reader = http.MaxBytesReader(nil, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, badRequest("invalid_encoding", "", "the body is not gzip")
		}
		defer zr.Close()
		in = zr
	default:
		return nil, &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_encoding",
			message: "Content-Encoding may be gzip or none"}
	}
	// Read one byte past the limit, to tell a body of exactly limit bytes
	// from a longer one whatever the encoding.
	body, err := io.ReadAll(io.LimitReader(in, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, badRequest("invalid_encoding", "", "the body is not valid gzip")
	case err != nil:
		return nil, &apiError{status: http.StatusBadRequest, code: "bad_request", message: "couldn't read the body"}
	case int64(len(body)) > limit:
		return nil, tooLarge
	}
	return body, nil
}
