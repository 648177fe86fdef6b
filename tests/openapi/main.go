// SPDX-License-Identifier: GPL-2.0-or-later

// uch-openapi: judges docs/openapi.yaml and uchd's real answers with
// kin-openapi (Debian's golang-github-getkin-kin-openapi-dev), an
// OpenAPI 3.0 validator written by others.
//
//	uch-openapi lint SPEC
//	    The document is valid OpenAPI 3.0 (kin-openapi's own checks:
//	    structure, $refs, path parameters, examples against their
//	    schemas), and two rules of ours: no `nullable` without a `type`
//	    (OpenAPI 3.0.3 ignores it there), no `oneOf` whose branches are
//	    not told apart by a discriminator or by required properties.
//	uch-openapi check SPEC EXCHANGES
//	    EXCHANGES holds one JSON object a line, a request made to uchd
//	    and its answer: {"method", "path" (with the query), "status",
//	    "headers" {name: value}, "body" (text)}.  Each answer must
//	    validate against the operation and status the spec gives for it
//	    (an undocumented status is an error, so are required headers
//	    missing); each request uchd accepted (2xx) must validate as a
//	    request too.  Then every operation and status the spec
//	    documents must have been exercised.  A method or a path the spec
//	    does not list must be answered as its components MethodNotAllowed
//	    (405, Allow naming the path's methods) and NoSuchResource (404)
//	    say, and both must have been exercised too.  Prints one line per
//	    failure and a summary; exits 1 on any failure.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

type exchange struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	ReqBody string            `json:"request_body"`
}

func load(spec string) *openapi3.T {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "uch-openapi: %s: %v\n", spec, err)
		os.Exit(1)
	}
	return doc
}

// ours walks every schema once and applies the two rules above.
func ours(doc *openapi3.T) []string {
	var errs []string
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil {
			return
		}
		if r.Ref != "" {
			where = r.Ref
		}
		s := r.Value
		if seen[s] {
			return
		}
		seen[s] = true
		if s.Nullable && s.Type == "" {
			errs = append(errs, where+": nullable without a type")
		}
		if len(s.OneOf) > 1 && s.Discriminator == nil {
			// each branch needs a required property no other branch has
			for i, b := range s.OneOf {
				if b.Value == nil {
					continue
				}
				own := false
				for _, p := range b.Value.Required {
					other := false
					for j, c := range s.OneOf {
						if j != i && c.Value != nil {
							for _, q := range c.Value.Required {
								if q == p {
									other = true
								}
							}
						}
					}
					if !other {
						own = true
					}
				}
				closed := b.Value.AdditionalPropertiesAllowed != nil && !*b.Value.AdditionalPropertiesAllowed
				nested := len(b.Value.OneOf) > 0 || len(b.Value.AnyOf) > 0
				if !own && !closed && !nested {
					errs = append(errs, fmt.Sprintf("%s: oneOf branch %d is an open object with no required property of its own, and there is no discriminator", where, i))
				}
			}
		}
		for k, p := range s.Properties {
			walk(where+"."+k, p)
		}
		walk(where+"[]", s.Items)
		for i, x := range s.OneOf {
			walk(fmt.Sprintf("%s.oneOf[%d]", where, i), x)
		}
		for i, x := range s.AnyOf {
			walk(fmt.Sprintf("%s.anyOf[%d]", where, i), x)
		}
		for i, x := range s.AllOf {
			walk(fmt.Sprintf("%s.allOf[%d]", where, i), x)
		}
		walk(where+".*", s.AdditionalProperties)
	}
	for name, s := range doc.Components.Schemas {
		walk("#/components/schemas/"+name, s)
	}
	for path, item := range doc.Paths {
		for meth, op := range item.Operations() {
			at := meth + " " + path
			for st, r := range op.Responses {
				if r.Value == nil {
					continue
				}
				for ct, mt := range r.Value.Content {
					walk(at+" "+st+" "+ct, mt.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					walk(at+" request "+ct, mt.Schema)
				}
			}
		}
	}
	sort.Strings(errs)
	return errs
}

func lint(spec string) int {
	doc := load(spec)
	n := 0
	if err := doc.Validate(context.Background()); err != nil {
		fmt.Printf("%s: %v\n", spec, err)
		n++
	}
	for _, e := range ours(doc) {
		fmt.Printf("%s: %s\n", spec, e)
		n++
	}
	ops := 0
	for _, item := range doc.Paths {
		ops += len(item.Operations())
	}
	fmt.Printf("lint: %d operations, %d errors\n", ops, n)
	if n > 0 {
		return 1
	}
	return 0
}

// refused judges an answer to a method (notAllowed) or a path the spec
// does not list: 405 with the components' MethodNotAllowed, its Allow
// header the path's methods, or 404 with NoSuchResource.  "" is valid.
func refused(doc *openapi3.T, x exchange, notAllowed bool) string {
	name, status := "NoSuchResource", 404
	if notAllowed {
		name, status = "MethodNotAllowed", 405
	}
	if x.Status != status {
		return fmt.Sprintf("status %d, the spec says %d (%s)", x.Status, status, name)
	}
	r := doc.Components.Responses[name]
	if r == nil || r.Value == nil {
		return "the spec has no components/responses/" + name
	}
	if notAllowed {
		path := strings.SplitN(x.Path, "?", 2)[0]
		var want []string
		for tmpl, item := range doc.Paths {
			segs := strings.Split(tmpl, "/")
			for i, s := range segs {
				if strings.HasPrefix(s, "{") {
					segs[i] = "[^/]+"
				} else {
					segs[i] = regexp.QuoteMeta(s)
				}
			}
			if regexp.MustCompile("^" + strings.Join(segs, "/") + "$").MatchString(path) {
				for m := range item.Operations() {
					want = append(want, m)
				}
			}
		}
		sort.Strings(want)
		var got []string
		for _, m := range strings.Split(x.Headers["allow"], ",") {
			if m = strings.TrimSpace(m); m != "" {
				got = append(got, m)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			return fmt.Sprintf("Allow: %q, the spec lists %q for the path", strings.Join(got, ", "), strings.Join(want, ", "))
		}
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return "components/responses/" + name + " has no application/json schema"
	}
	if ct := x.Headers["content-type"]; !strings.HasPrefix(ct, "application/json") {
		return fmt.Sprintf("Content-Type %q", ct)
	}
	var v interface{}
	if err := json.Unmarshal([]byte(x.Body), &v); err != nil {
		return err.Error()
	}
	if err := mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return err.Error()
	}
	return ""
}

// numericHeaders checks the answer's headers whose schema is a number
// and takes them out of hdr: kin-openapi 0.110 checks a header's text
// against its schema without decoding it first, so "1142" is never an
// integer to it (later versions decode).  "" is valid.
func numericHeaders(op *openapi3.Operation, status int, hdr http.Header) string {
	r := op.Responses.Get(status)
	if r == nil || r.Value == nil {
		return ""
	}
	for name, h := range r.Value.Headers {
		if h.Value == nil || h.Value.Schema == nil || h.Value.Schema.Value == nil {
			continue
		}
		s := h.Value.Schema.Value
		if s.Type != "integer" && s.Type != "number" {
			continue
		}
		v := hdr.Get(name)
		if v == "" {
			if h.Value.Required {
				return fmt.Sprintf("response header %q missing", name)
			}
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Sprintf("response header %q: %q is not a number", name, v)
		}
		if err := s.VisitJSON(n); err != nil {
			return fmt.Sprintf("response header %q: %v", name, err)
		}
		hdr.Del(name)
	}
	return ""
}

func check(spec, file string) int {
	// one line a failure: where and why, not the whole schema
	openapi3.SchemaErrorDetailsDisabled = true
	doc := load(spec)
	// the router matches a request's URL against the servers: use the
	// first one
	base := strings.TrimRight(doc.Servers[0].URL, "/")
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		fmt.Fprintf(os.Stderr, "uch-openapi: %v\n", err)
		return 1
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "uch-openapi: %v\n", err)
		return 1
	}
	defer f.Close()
	ctx := context.Background()
	seen := map[string]bool{}
	total, bad := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var x exchange
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			fmt.Fprintf(os.Stderr, "uch-openapi: %s: %v\n", file, err)
			return 1
		}
		total++
		what := fmt.Sprintf("%s %s -> %d", x.Method, x.Path, x.Status)
		req, err := http.NewRequest(x.Method, base+x.Path, strings.NewReader(x.ReqBody))
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", what, err)
			bad++
			continue
		}
		if x.ReqBody != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		route, params, err := router.FindRoute(req)
		if err == routers.ErrMethodNotAllowed || err == routers.ErrPathNotFound {
			// a method or path the spec does not list: the answer is
			// one of the spec's two components for it
			why := refused(doc, x, err == routers.ErrMethodNotAllowed)
			if why != "" {
				fmt.Printf("FAIL %s: %s\n  body: %s\n", what, why, x.Body)
				bad++
			} else if err == routers.ErrMethodNotAllowed {
				seen["components/responses/MethodNotAllowed"] = true
			} else {
				seen["components/responses/NoSuchResource"] = true
			}
			continue
		}
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", what, err)
			bad++
			continue
		}
		opts := &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		}
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route, Options: opts,
		}
		if x.Status >= 200 && x.Status < 300 {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				fmt.Printf("FAIL %s: uchd accepted a request the spec refuses: %v\n", what, err)
				bad++
				continue
			}
			// ValidateRequest consumed the body
			req.Body = io.NopCloser(strings.NewReader(x.ReqBody))
		}
		hdr := http.Header{}
		for k, v := range x.Headers {
			hdr.Set(k, v)
		}
		if why := numericHeaders(route.Operation, x.Status, hdr); why != "" {
			fmt.Printf("FAIL %s: %s\n", what, why)
			bad++
			continue
		}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 x.Status,
			Header:                 hdr,
			Body:                   io.NopCloser(bytes.NewReader([]byte(x.Body))),
			Options:                opts,
		}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			body := x.Body
			if len(body) > 400 {
				body = body[:400] + "..."
			}
			fmt.Printf("FAIL %s: %v\n  body: %s\n", what, err, body)
			bad++
			continue
		}
		seen[fmt.Sprintf("%s %s %d", x.Method, route.Path, x.Status)] = true
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "uch-openapi: %s: %v\n", file, err)
		return 1
	}
	var missing []string
	documented := 0
	for path, item := range doc.Paths {
		for meth, op := range item.Operations() {
			for st := range op.Responses {
				documented++
				if !seen[fmt.Sprintf("%s %s %s", meth, path, st)] {
					missing = append(missing, fmt.Sprintf("%s %s %s", meth, path, st))
				}
			}
		}
	}
	for _, c := range []string{"MethodNotAllowed", "NoSuchResource"} {
		documented++
		if !seen["components/responses/"+c] {
			missing = append(missing, "components/responses/"+c)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		fmt.Printf("NOT EXERCISED %s\n", m)
	}
	fmt.Printf("check: %d of %d answers valid; %d of %d documented answers exercised\n",
		total-bad, total, documented-len(missing), documented)
	if bad > 0 || len(missing) > 0 || total == 0 {
		return 1
	}
	return 0
}

func main() {
	switch {
	case len(os.Args) == 3 && os.Args[1] == "lint":
		os.Exit(lint(os.Args[2]))
	case len(os.Args) == 4 && os.Args[1] == "check":
		os.Exit(check(os.Args[2], os.Args[3]))
	}
	fmt.Fprintln(os.Stderr, "usage: uch-openapi lint SPEC | uch-openapi check SPEC EXCHANGES")
	os.Exit(2)
}
