package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// ConfigFlag and ConfigEnv name where a YAML configuration file is given.
const (
	ConfigFlag = "config"
	ConfigEnv  = "BATON_CONFIG_PATH"
)

// Bind registers one flag per field on fs (defaults are applied by Load,
// not by the flags, so precedence works), plus --config.
func (s Schema) Bind(fs *pflag.FlagSet) {
	for _, f := range s.Fields {
		usage := f.Description
		if f.Kind == KindSelect {
			usage += " (one of " + strings.Join(f.Options, ", ") + ")"
		}
		usage += " [" + f.EnvVar() + "]"
		if f.Required {
			usage += " (required)"
		}
		if f.Default != nil && !f.Secret {
			usage += fmt.Sprintf(" (default %v)", f.Default)
		}
		switch f.Kind {
		case KindBool:
			fs.Bool(f.Name, false, usage)
		case KindInt, KindDuration:
			// Parsed by Load, not pflag, so a bad value's error names the
			// environment variable too; --help still shows the type.
			fs.Var(&textValue{kind: f.Kind.String()}, f.Name, usage)
		case KindStringList, KindStringMap:
			if f.Secret {
				// Parsed by Load: pflag's own errors quote the bad value.
				fs.String(f.Name, "", usage)
			} else if f.Kind == KindStringList {
				fs.StringSlice(f.Name, nil, usage)
			} else {
				fs.StringToString(f.Name, nil, usage)
			}
		default:
			fs.String(f.Name, "", usage)
		}
		if f.Hidden {
			_ = fs.MarkHidden(f.Name)
		}
	}
	if fs.Lookup(ConfigFlag) == nil {
		fs.String(ConfigFlag, "", "YAML file with settings, keyed by flag name ["+ConfigEnv+"]")
	}
}

// Values holds a loaded configuration.
type Values struct {
	schema Schema
	vals   map[string]any
	source map[string]string // field -> "flag", "env", "file" or "default"
}

// Load reads every field from fs, the environment and the YAML file, in
// that order of precedence, then checks requirements and relationships.
func (s Schema) Load(fs *pflag.FlagSet) (*Values, error) {
	v := &Values{schema: s, vals: map[string]any{}, source: map[string]string{}}
	file, err := s.readFile(fs)
	if err != nil {
		return nil, err
	}
	for _, f := range s.Fields {
		raw, src, err := lookup(f, fs, file)
		if err != nil {
			return nil, err
		}
		if src == "" {
			if f.Default == nil {
				continue
			}
			raw, src = f.Default, "default"
		}
		val, err := coerce(f, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %s from %s: %v", ErrInvalid, f.where(), src, redact(f, err))
		}
		v.vals[f.Name], v.source[f.Name] = val, src
	}
	return v, v.check()
}

func (s Schema) readFile(fs *pflag.FlagSet) (map[string]any, error) {
	path := os.Getenv(ConfigEnv)
	if fl := fs.Lookup(ConfigFlag); fl != nil && fl.Changed {
		path = fl.Value.String()
	}
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read config file: %v", ErrInvalid, err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: config file %s is not YAML: %v", ErrInvalid, path, err)
	}
	for k := range m {
		if _, ok := s.field(k); !ok {
			return nil, fmt.Errorf("%w: config file %s sets unknown setting %q", ErrInvalid, path, k)
		}
	}
	return m, nil
}

// lookup finds a field's raw value and where it came from ("" if nowhere).
func lookup(f Field, fs *pflag.FlagSet, file map[string]any) (any, string, error) {
	if fl := fs.Lookup(f.Name); fl != nil && fl.Changed {
		switch {
		case f.Secret:
		case f.Kind == KindStringList:
			l, err := fs.GetStringSlice(f.Name)
			return l, "flag", err
		case f.Kind == KindStringMap:
			m, err := fs.GetStringToString(f.Name)
			return m, "flag", err
		}
		return fl.Value.String(), "flag", nil
	}
	if e, ok := os.LookupEnv(f.EnvVar()); ok {
		return e, "env", nil
	}
	if raw, ok := file[f.Name]; ok {
		return raw, "file", nil
	}
	return nil, "", nil
}

// coerce converts a raw value (flag text, env text, YAML value or a
// default) to the field's Go type.
func coerce(f Field, raw any) (any, error) {
	switch f.Kind {
	case KindBool:
		switch x := raw.(type) {
		case bool:
			return x, nil
		case string:
			return strconv.ParseBool(strings.TrimSpace(x))
		}
	case KindInt:
		switch x := raw.(type) {
		case int:
			return x, nil
		case string:
			return strconv.Atoi(strings.TrimSpace(x))
		}
	case KindDuration:
		switch x := raw.(type) {
		case time.Duration:
			return x, nil
		case string:
			d, err := time.ParseDuration(strings.TrimSpace(x))
			if err != nil || d < 0 {
				return nil, fmt.Errorf("want a duration such as 30s or 5m")
			}
			return d, nil
		}
	case KindStringList:
		switch x := raw.(type) {
		case []string:
			return x, nil
		case string:
			if x == "" {
				return []string{}, nil
			}
			parts := strings.Split(x, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts, nil
		case []any:
			out := make([]string, len(x))
			for i, e := range x {
				out[i] = fmt.Sprint(e)
			}
			return out, nil
		}
	case KindStringMap:
		switch x := raw.(type) {
		case map[string]string:
			return x, nil
		case string:
			out := map[string]string{}
			for _, kv := range strings.Split(x, ",") {
				if kv == "" {
					continue
				}
				k, val, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, fmt.Errorf("%q is not key=value", kv)
				}
				out[strings.TrimSpace(k)] = strings.TrimSpace(val)
			}
			return out, nil
		case map[string]any:
			out := map[string]string{}
			for k, e := range x {
				out[k] = fmt.Sprint(e)
			}
			return out, nil
		}
	default: // string, select
		var s string
		switch x := raw.(type) {
		case string:
			s = x
		case int, bool, float64:
			s = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("want a string, got %T", raw)
		}
		if f.Kind == KindSelect && !slices.Contains(f.Options, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(f.Options, ", "))
		}
		return s, nil
	}
	return nil, fmt.Errorf("want a %s, got %T", f.Kind, raw)
}

// redact keeps a secret's value out of an error message.
func redact(f Field, err error) error {
	if f.Secret {
		return errors.New("the value is not valid (not shown: secret)")
	}
	return err
}

func (v *Values) set(name string) bool {
	val, ok := v.vals[name]
	if !ok {
		return false
	}
	switch x := val.(type) {
	case string:
		return x != ""
	case []string:
		return len(x) > 0
	case map[string]string:
		return len(x) > 0
	}
	return true
}

func (v *Values) check() error {
	var errs []error
	for _, f := range v.schema.Fields {
		if f.Required && !v.set(f.Name) {
			errs = append(errs, fmt.Errorf("%s is required", f.where()))
		}
	}
	name := func(n string) string {
		f, _ := v.schema.field(n)
		return f.where()
	}
	names := func(ns []string) string {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = name(n)
		}
		return strings.Join(out, ", ")
	}
	for _, r := range v.schema.Relationships {
		var set []string
		for _, n := range r.Fields {
			if v.set(n) {
				set = append(set, n)
			}
		}
		switch r.Kind {
		case RequiredTogether:
			if len(set) > 0 && len(set) < len(r.Fields) {
				errs = append(errs, fmt.Errorf("%s must be set together", names(r.Fields)))
			}
		case MutuallyExclusive:
			if len(set) > 1 {
				errs = append(errs, fmt.Errorf("only one of %s may be set", names(r.Fields)))
			}
		case AtLeastOne:
			if len(set) == 0 {
				errs = append(errs, fmt.Errorf("at least one of %s is required", names(r.Fields)))
			}
		case DependsOn:
			for _, n := range set {
				for _, dep := range r.On {
					if !v.set(dep) {
						errs = append(errs, fmt.Errorf("%s needs %s", name(n), name(dep)))
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// String returns a string or select field ("" if unset).
func (v *Values) String(name string) string { s, _ := v.vals[name].(string); return s }

// Bool returns a boolean field.
func (v *Values) Bool(name string) bool { b, _ := v.vals[name].(bool); return b }

// Duration returns a duration field's value.
func (v *Values) Duration(name string) time.Duration { d, _ := v.vals[name].(time.Duration); return d }

// Int returns an integer field.
func (v *Values) Int(name string) int { i, _ := v.vals[name].(int); return i }

// StringList returns a list field.
func (v *Values) StringList(name string) []string { l, _ := v.vals[name].([]string); return l }

// StringMap returns a map field.
func (v *Values) StringMap(name string) map[string]string {
	m, _ := v.vals[name].(map[string]string)
	return m
}

// Source says where a field's value came from: "flag", "env", "file",
// "default", or "" when unset.
func (v *Values) Source(name string) string { return v.source[name] }

// LogValue implements slog.LogValuer: every field with its source; secret
// values replaced.
func (v *Values) LogValue() slog.Value {
	var attrs []slog.Attr
	for _, f := range v.schema.Fields {
		val, ok := v.vals[f.Name]
		if !ok {
			continue
		}
		if f.Secret {
			val = "[secret]"
		}
		attrs = append(attrs, slog.Any(f.Name, val))
	}
	return slog.GroupValue(attrs...)
}

// Format implements fmt.Formatter, so printing Values with any verb (a
// debugging %v, %+v, %#v) shows secrets as [secret], as LogValue does.
func (v *Values) Format(s fmt.State, _ rune) {
	fmt.Fprint(s, "{")
	for i, a := range v.LogValue().Group() {
		if i > 0 {
			fmt.Fprint(s, " ")
		}
		fmt.Fprintf(s, "%s:%v", a.Key, a.Value)
	}
	fmt.Fprint(s, "}")
}

// textValue holds a flag's text for Load to parse, under the name of its
// kind for --help.
type textValue struct {
	kind string
	text string
}

func (t *textValue) String() string     { return t.text }
func (t *textValue) Set(v string) error { t.text = v; return nil }
func (t *textValue) Type() string       { return t.kind }
