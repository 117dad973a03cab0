package server

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

// openAPIDoc builds the OpenAPI 3.1 document from the route table.
func (s *Server) openAPIDoc() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes() {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range rt.params {
			params = append(params, map[string]any{"name": p.name, "in": p.in, "required": p.required, "description": p.doc, "schema": map[string]any{"type": "string"}})
		}
		op := map[string]any{
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
			"operationId": operationID(rt),
			"responses": map[string]any{
				"200":     map[string]any{"description": "OK"},
				"default": map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			},
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.body != "" {
			content := map[string]any{}
			for _, mt := range strings.Split(rt.body, ",") {
				switch mt {
				case "json":
					content["application/json"] = map[string]any{"schema": map[string]any{"type": "object"}}
				case "yaml":
					content["application/x-yaml"] = map[string]any{"schema": map[string]any{"type": "string"}}
				case "multipart":
					content["multipart/form-data"] = map[string]any{"schema": map[string]any{"type": "object"}}
				case "any":
					content["*/*"] = map[string]any{"schema": map[string]any{}}
				}
			}
			op["requestBody"] = map[string]any{"content": content}
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "sluice server API", "version": "1", "description": "Kestra 0.4's HTTP API as sluice serves it. docs/server.md describes it."},
		"paths":   paths,
		"components": map[string]any{"schemas": map[string]any{
			"Error": map[string]any{"type": "object", "required": []string{"message"}, "properties": map[string]any{
				"message":   map[string]any{"type": "string"},
				"_links":    map[string]any{"type": "object"},
				"_embedded": map[string]any{"type": "object", "properties": map[string]any{"errors": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"message": map[string]any{"type": "string"}, "path": map[string]any{"type": "string"}}}}}},
			}},
		}},
	}
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	for _, part := range strings.Split(strings.Trim(rt.path, "/"), "/") {
		part = strings.Trim(part, "{}")
		part = strings.ReplaceAll(part, ".", "")
		part = strings.ReplaceAll(part, "-", "")
		if part == "" || part == "api" || part == "v1" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.openAPIDoc())
	return nil
}
