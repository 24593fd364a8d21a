package config

import (
	"fmt"
	"strings"
)

// Kind is the type of a field's value.
type Kind int

// Field kinds.
const (
	KindString Kind = iota
	KindBool
	KindInt
	KindStringList
	KindStringMap
	KindSelect   // one string out of Options
	KindDuration // a Go duration ("10s", "1h30m")
)

func (k Kind) String() string {
	return [...]string{"string", "bool", "int", "string list", "string map", "select", "duration"}[k]
}

// Field is one setting.
type Field struct {
	Name        string // kebab-case; also the YAML key
	Kind        Kind
	Description string
	Placeholder string
	Default     any // string, bool, int, []string, map[string]string
	Options     []string
	Required    bool
	Secret      bool
	Hidden      bool // not shown in --help
	// Label is the name a settings form shows ("Base URL"); by default
	// the name in words ("base-url" gives "Base URL").
	Label string
}

// WithLabel sets the name a settings form shows for the field.
func WithLabel(l string) FieldOption { return func(f *Field) { f.Label = l } }

// DisplayName is the field's Label, or its name in words.
func (f Field) DisplayName() string {
	if f.Label != "" {
		return f.Label
	}
	words := strings.Split(f.Name, "-")
	for i, w := range words {
		switch w {
		case "url", "id", "api", "dn", "tls", "ldap", "sso", "oauth", "ssl", "uri", "ip":
			words[i] = strings.ToUpper(w)
		default:
			if w != "" {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return strings.Join(words, " ")
}

// EnvVar is the field's environment variable: BATON_ + UPPER_SNAKE name.
func (f Field) EnvVar() string {
	return "BATON_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// Flag is the field's command-line flag.
func (f Field) Flag() string { return "--" + f.Name }

func (f Field) where() string { return fmt.Sprintf("%s (or %s)", f.Flag(), f.EnvVar()) }

// FieldOption adjusts a field.
type FieldOption func(*Field)

// Required makes the field mandatory.
func Required() FieldOption { return func(f *Field) { f.Required = true } }

// Secret hides the value everywhere it could leak.
func Secret() FieldOption { return func(f *Field) { f.Secret = true } }

// Hidden keeps the field out of --help.
func Hidden() FieldOption { return func(f *Field) { f.Hidden = true } }

// Default sets the value used when none is given.
func Default(v any) FieldOption { return func(f *Field) { f.Default = v } }

// Placeholder sets an example value for forms.
func Placeholder(p string) FieldOption { return func(f *Field) { f.Placeholder = p } }

func newField(name string, k Kind, desc string, opts []FieldOption) Field {
	f := Field{Name: name, Kind: k, Description: desc}
	for _, o := range opts {
		o(&f)
	}
	return f
}

// String declares a string field.
func String(name, desc string, opts ...FieldOption) Field {
	return newField(name, KindString, desc, opts)
}

// Bool declares a boolean field.
func Bool(name, desc string, opts ...FieldOption) Field { return newField(name, KindBool, desc, opts) }

// Int declares an integer field.
func Int(name, desc string, opts ...FieldOption) Field { return newField(name, KindInt, desc, opts) }

// Duration is a time.Duration setting, written as Go writes them ("30s").
func Duration(name, desc string, opts ...FieldOption) Field {
	return newField(name, KindDuration, desc, opts)
}

// StringList declares a list of strings (repeat the flag or separate with commas).
func StringList(name, desc string, opts ...FieldOption) Field {
	return newField(name, KindStringList, desc, opts)
}

// StringMap declares a map of strings (key=value pairs).
func StringMap(name, desc string, opts ...FieldOption) Field {
	return newField(name, KindStringMap, desc, opts)
}

// Select declares a string that must be one of options.
func Select(name, desc string, options []string, opts ...FieldOption) Field {
	f := newField(name, KindSelect, desc, opts)
	f.Options = options
	return f
}

// RelationKind is how fields of a Relationship constrain each other.
type RelationKind int

// Relationship kinds.
const (
	RequiredTogether  RelationKind = iota + 1 // all or none
	MutuallyExclusive                         // at most one
	AtLeastOne                                // one or more
	DependsOn                                 // Fields need every field of On
)

// Relationship constrains a group of fields.
type Relationship struct {
	Kind   RelationKind
	Fields []string
	On     []string // for DependsOn
}

// Schema is a connector's configuration.
type Schema struct {
	DisplayName   string
	HelpURL       string
	Fields        []Field
	Relationships []Relationship
}

func (s Schema) field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Check reports schema mistakes: duplicate or unnamed fields, defaults of
// the wrong type, relationships naming unknown fields.
func (s Schema) Check() error {
	seen := map[string]bool{}
	for _, f := range s.Fields {
		if f.Name == "" || strings.ContainsAny(f.Name, " _=") || strings.ToLower(f.Name) != f.Name {
			return fmt.Errorf("config: field name %q must be kebab-case", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("config: field %q declared twice", f.Name)
		}
		seen[f.Name] = true
		if f.Default != nil {
			if _, err := coerce(f, f.Default); err != nil {
				return fmt.Errorf("config: default of %s: %w", f.Name, err)
			}
		}
	}
	for _, r := range s.Relationships {
		for _, n := range append(append([]string{}, r.Fields...), r.On...) {
			if !seen[n] {
				return fmt.Errorf("config: relationship names unknown field %q", n)
			}
		}
	}
	return nil
}
