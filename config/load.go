package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Load reads the YAML file at path, expanding ${VAR} from the process
// environment. Like Parse it does not call Validate: a tool may still want
// to show a broken file, but nothing should run on a Config that has not
// passed Validate.
func Load(path string) (Config, error) {
	return LoadWith(path, os.Getenv)
}

// LoadWith is Load with the environment given as a function, so tests and
// the demo never touch the process environment.
func LoadWith(path string, getenv func(string) string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	c, err := Parse(data, getenv)
	if err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a YAML config over Default(). Decoding is strict: a key
// that is not part of the format is an error naming it and its line, as is
// a value of the wrong shape. A nil getenv means os.Getenv.
//
// ${NAME} is expanded inside string values after the YAML has been parsed,
// one scalar at a time, so a secret holding ": # \"" or a newline cannot
// change the file's structure. Only the ${NAME} form is expanded, NAME being
// letters, digits and underscores; "$$", a lone "$" and anything else stay
// as written. An unset variable expands to "", which Validate reports for
// every field that must not be empty. Keys are never expanded.
//
// Parse also fills the defaults of list items that Default cannot hold: a
// Shopify shop's api_version, each shop's and provider's api_base_url, a
// SKU's currency, a Shippo provider's auth and a shipping rule.
func Parse(data []byte, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return Config{}, yamlError(err, nil)
	}
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	c := Default()
	if len(bodies) == 0 {
		c.fillItemDefaults()
		return c, nil
	}
	if len(bodies) > 1 {
		return Config{}, fmt.Errorf("config: the file holds %d YAML documents; it must hold one", len(bodies))
	}
	root := bodies[0]
	w := &walker{
		getenv:    getenv,
		paths:     make(map[*token.Token]string),
		emptyRefs: make(map[string][]string),
	}
	w.walk(root, reflect.TypeOf(Config{}), "", func(n ast.Node) { root = n })
	if len(w.errs) > 0 {
		return Config{}, errors.Join(w.errs...)
	}
	// The parser has already refused repeated keys; allowing them here only
	// lets a key override one merged in with <<: *anchor.
	if err := yaml.NodeToValue(root, &c, yaml.DisallowUnknownField(), yaml.AllowDuplicateMapKey()); err != nil {
		return Config{}, yamlError(err, w.paths)
	}
	c.fillItemDefaults()
	if len(w.emptyRefs) > 0 {
		c.emptyRefs = w.emptyRefs
	}
	return c, nil
}

// yamlError turns an error of the YAML library into a *FieldError when
// the token it points at has a known path, and into a plain error with
// the position otherwise. The source line is never quoted: it may hold a
// secret written inline.
func yamlError(err error, paths map[*token.Token]string) error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return fmt.Errorf("config: %w", err)
	}
	tok := ye.GetToken()
	msg := ye.GetMessage()
	if tok == nil {
		return fmt.Errorf("config: %s", msg)
	}
	if p, ok := paths[tok]; ok && p != "" {
		return &FieldError{Field: p, Problem: msg, Line: tok.Position.Line}
	}
	return fmt.Errorf("config: line %d, column %d: %s", tok.Position.Line, tok.Position.Column, msg)
}

var durationType = reflect.TypeOf(time.Duration(0))

// walker goes over the YAML tree together with the Go type each node will
// decode into. Knowing the type lets it name every unknown key (the
// library stops at the first), expand ${VAR} only in values, keep a value
// such as zip: 02134 as written when it lands in a string, and report a
// bad duration with its path.
type walker struct {
	getenv    func(string) string
	paths     map[*token.Token]string
	emptyRefs map[string][]string
	errs      []error
}

func (w *walker) fail(path string, value any, line int, problem string) {
	w.errs = append(w.errs, &FieldError{Field: path, Value: value, Problem: problem, Line: line})
}

func (w *walker) walk(n ast.Node, t reflect.Type, path string, set func(ast.Node)) {
	if n == nil {
		return
	}
	tok := n.GetToken()
	if tok != nil {
		if _, seen := w.paths[tok]; !seen {
			w.paths[tok] = path
		}
	}
	line := 0
	if tok != nil {
		line = tok.Position.Line
	}
	switch v := n.(type) {
	case *ast.AnchorNode:
		w.walk(v.Value, t, path, func(x ast.Node) { v.Value = x })
		return
	case *ast.TagNode:
		w.walk(v.Value, t, path, func(x ast.Node) { v.Value = x })
		return
	case *ast.AliasNode, *ast.NullNode, *ast.CommentGroupNode:
		// An alias was checked where its anchor is; null keeps the default.
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		text, ok := w.scalar(n, path)
		if !ok {
			w.fail(path, nil, line, "must be a duration such as 24h or 15m, not "+shape(n))
			return
		}
		if _, err := time.ParseDuration(text); err != nil {
			w.fail(path, text, line, "is not a duration such as 24h or 15m")
			return
		}
		if isPlainScalar(n) {
			set(ast.String(tok))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		values, ok := mappingValues(n)
		if !ok {
			w.fail(orTop(path), nil, line, "must be a mapping of keys, not "+shape(n))
			return
		}
		fields := yamlFields(t)
		for _, mv := range values {
			key := keyName(mv.Key)
			if key == "<<" { // a merge key: the merged mapping has the same type
				w.walk(mv.Value, t, path, func(x ast.Node) { mv.Value = x })
				continue
			}
			child := joinPath(path, key)
			ft, known := fields[key]
			if !known {
				problem := "is not a known key"
				if s := suggest(key, fields); s != "" {
					problem += fmt.Sprintf(" (did you mean %q?)", s)
				}
				w.fail(child, nil, keyLine(mv), problem)
				continue
			}
			if kt := mv.Key.GetToken(); kt != nil {
				if _, seen := w.paths[kt]; !seen {
					w.paths[kt] = child
				}
			}
			w.walk(mv.Value, ft, child, func(x ast.Node) { mv.Value = x })
		}
	case reflect.Map:
		values, ok := mappingValues(n)
		if !ok {
			w.fail(orTop(path), nil, line, "must be a mapping, not "+shape(n))
			return
		}
		for _, mv := range values {
			key := keyName(mv.Key)
			if kt := mv.Key.GetToken(); kt != nil && t.Key().Kind() == reflect.String {
				if isPlainScalar(mv.Key) {
					mv.Key = ast.String(kt) // SKU 00123 stays "00123", not octal 83
				}
			}
			child := fmt.Sprintf("%s[%q]", path, key)
			w.walk(mv.Value, t.Elem(), child, func(x ast.Node) { mv.Value = x })
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			w.fail(orTop(path), nil, line, "must be a list, not "+shape(n))
			return
		}
		for i := range seq.Values {
			w.walk(seq.Values[i], t.Elem(), fmt.Sprintf("%s[%d]", path, i), func(x ast.Node) { seq.Values[i] = x })
		}
	case reflect.String:
		if _, ok := w.scalar(n, path); !ok {
			w.fail(path, nil, line, "must be a single value, not "+shape(n))
			return
		}
		if isPlainScalar(n) {
			// Keep the text as written: zip 02134 must not become 1116.
			set(ast.String(tok))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		text, ok := w.scalar(n, path)
		if _, isInt := n.(*ast.IntegerNode); isInt {
			return
		}
		if !ok {
			w.fail(path, nil, line, "must be a whole number, not "+shape(n))
			return
		}
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			w.fail(path, text, line, "is not a whole number")
		}
	case reflect.Float32, reflect.Float64:
		text, ok := w.scalar(n, path)
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
			return
		}
		if !ok {
			w.fail(path, nil, line, "must be a number, not "+shape(n))
			return
		}
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			w.fail(path, text, line, "is not a number")
		}
	case reflect.Bool:
		if _, isBool := n.(*ast.BoolNode); isBool {
			return
		}
		text, ok := w.scalar(n, path)
		if !ok {
			w.fail(path, nil, line, "must be true or false, not "+shape(n))
			return
		}
		b, err := strconv.ParseBool(text)
		if err != nil || (text != "true" && text != "false") {
			w.fail(path, text, line, "is not true or false")
			return
		}
		set(&ast.BoolNode{BaseNode: &ast.BaseNode{}, Token: tok, Value: b})
	}
}

// scalar returns the text of a scalar node, expanding ${VAR} in a string.
func (w *walker) scalar(n ast.Node, path string) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		v.Value = w.expand(v.Value, path)
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		v.Value.Value = w.expand(v.Value.Value, path)
		return v.Value.Value, true
	}
	if isScalar(n) {
		if tok := n.GetToken(); tok != nil {
			return tok.Value, true
		}
	}
	return "", false
}

func (w *walker) expand(s, path string) string {
	out, empty := expandEnv(s, w.getenv)
	if len(empty) > 0 {
		w.emptyRefs[path] = empty
	}
	return out
}

// expandEnv replaces each ${NAME} in s with getenv(NAME) and returns the
// names that expanded to nothing. "$$" is kept as two dollars and never
// starts a reference, so "$${X}" stays as written.
func expandEnv(s string, getenv func(string) string) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var empty []string
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteString("$$")
			i += 2
			continue
		}
		if i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				name := s[i+2 : i+2+end]
				if validEnvName(name) {
					v := getenv(name)
					if v == "" {
						empty = append(empty, name)
					}
					b.WriteString(v)
					i += end + 3
					continue
				}
			}
		}
		b.WriteByte('$')
		i++
	}
	return b.String(), empty
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

func isScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode,
		*ast.InfinityNode, *ast.NanNode, *ast.LiteralNode:
		return true
	}
	return false
}

// isPlainScalar reports whether n is a scalar the library would read as
// something other than a string: a number, a boolean, .inf or .nan.
func isPlainScalar(n ast.Node) bool {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return true
	}
	return false
}

func shape(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return "a single value"
}

func keyName(k ast.MapKeyNode) string {
	switch v := k.(type) {
	case *ast.StringNode:
		return v.Value
	case *ast.MappingKeyNode:
		if v.Value != nil && v.Value.GetToken() != nil {
			return v.Value.GetToken().Value
		}
	}
	if tok := k.GetToken(); tok != nil {
		return tok.Value
	}
	return ""
}

func keyLine(mv *ast.MappingValueNode) int {
	if tok := mv.Key.GetToken(); tok != nil {
		return tok.Position.Line
	}
	return 0
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// yamlFields maps the YAML keys of struct type t to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest returns the known key closest to a misspelt one, if any is
// close enough to be what was meant.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestDist := "", 3
	for name := range fields {
		d := editDistance(key, name)
		if d < bestDist || (d == bestDist && best != "" && name < best) {
			if d <= len(name)/3+1 {
				best, bestDist = name, d
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ParseEnvFile reads KEY=VALUE lines such as examples/demo.env. Blank
// lines and lines starting with # are skipped, an "export " prefix is
// allowed, and a value may be wrapped in single quotes (taken literally)
// or double quotes (Go escapes such as \n and \"). An unquoted value is
// taken up to the end of the line, # and all, because secrets contain #.
func ParseEnvFile(data []byte) (map[string]string, error) {
	env := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("env file line %d: want KEY=VALUE", lineNo)
		}
		key = strings.TrimSpace(key)
		if !validEnvName(key) {
			return nil, fmt.Errorf("env file line %d: %q is not a variable name", lineNo, key)
		}
		if _, dup := env[key]; dup {
			return nil, fmt.Errorf("env file line %d: %s is set twice", lineNo, key)
		}
		value = strings.TrimSpace(value)
		switch {
		case len(value) >= 2 && value[0] == '\'' && value[len(value)-1] == '\'':
			value = value[1 : len(value)-1]
		case len(value) >= 1 && value[0] == '"':
			unq, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("env file line %d: bad double-quoted value for %s", lineNo, key)
			}
			value = unq
		}
		env[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	return env, nil
}

// MapEnv returns a getenv function over m, for LoadWith and Parse.
func MapEnv(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}
