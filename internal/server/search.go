package server

import (
	"errors"
	"net/http"

	"github.com/steleaudit/stele/internal/search"
	"github.com/steleaudit/stele/internal/store"
)

// searchFilter reads what selects events in a request (package search):
// the search q, the date preset range or from and to, and the structured
// filters. A bad query is answered with the parser's message, naming its
// position in q.
func (s *Server) searchFilter(r *http.Request) (store.Filter, error) {
	params := r.URL.Query()
	req := search.Request{
		Q:         params.Get("q"),
		Range:     params.Get("range"),
		Category:  params.Get("category"),
		Actor:     params.Get("actor"),
		ActorType: params.Get("actor_type"),
		Target:    params.Get("target"),
	}
	var err error
	if req.From, err = timeParam(r, "from"); err != nil {
		return store.Filter{}, err
	}
	if req.To, err = timeParam(r, "to"); err != nil {
		return store.Filter{}, err
	}
	f, err := search.Filter(req, s.cfg.Now(), s.cat)
	var se *search.Error
	if errors.As(err, &se) {
		if se.Field == "q" {
			return f, badRequest("invalid_query", "q", se.Error())
		}
		return f, invalid(se.Field, se.Error())
	}
	return f, err
}
