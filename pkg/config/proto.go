package config

import (
	"fmt"
	"strconv"

	configv1 "github.com/batonkit/batonkit/pb/c1/config/v1"
)

// Proto describes the schema as c1.config.v1.Configuration, the form
// Baton's tools and platforms read (`<connector> config` prints it).
func (s Schema) Proto() *configv1.Configuration {
	out := &configv1.Configuration{DisplayName: s.DisplayName, HelpUrl: s.HelpURL}
	for _, f := range s.Fields {
		pf := &configv1.Field{Name: f.Name, DisplayName: f.DisplayName(), Description: f.Description, Placeholder: f.Placeholder,
			IsRequired: f.Required, IsSecret: f.Secret}
		if f.Secret {
			f.Default = nil // a secret's default is a secret too: never described
		}
		switch f.Kind {
		case KindBool:
			b, _ := f.Default.(bool)
			pf.Field = &configv1.Field_BoolField{BoolField: &configv1.BoolField{DefaultValue: b}}
		case KindInt:
			i, _ := f.Default.(int)
			pf.Field = &configv1.Field_IntField{IntField: &configv1.IntField{DefaultValue: int64(i)}}
		case KindStringList:
			l, _ := f.Default.([]string)
			pf.Field = &configv1.Field_StringSliceField{StringSliceField: &configv1.StringSliceField{DefaultValue: l}}
		case KindStringMap:
			pf.Field = &configv1.Field_StringMapField{StringMapField: &configv1.StringMapField{}}
		case KindSelect:
			d, _ := f.Default.(string)
			sf := &configv1.StringField{DefaultValue: d, Type: configv1.StringFieldType_STRING_FIELD_TYPE_TEXT_UNSPECIFIED}
			for _, o := range f.Options {
				sf.Options = append(sf.Options, &configv1.StringFieldOption{Name: o, Value: o, DisplayName: o})
			}
			pf.Field = &configv1.Field_StringField{StringField: sf}
		default:
			d := ""
			if f.Default != nil {
				d = fmt.Sprint(f.Default)
			}
			pf.Field = &configv1.Field_StringField{StringField: &configv1.StringField{DefaultValue: d}}
		}
		out.Fields = append(out.Fields, pf)
	}
	kinds := map[RelationKind]configv1.ConstraintKind{
		RequiredTogether:  configv1.ConstraintKind_CONSTRAINT_KIND_REQUIRED_TOGETHER,
		MutuallyExclusive: configv1.ConstraintKind_CONSTRAINT_KIND_MUTUALLY_EXCLUSIVE,
		AtLeastOne:        configv1.ConstraintKind_CONSTRAINT_KIND_AT_LEAST_ONE,
		DependsOn:         configv1.ConstraintKind_CONSTRAINT_KIND_DEPENDENT_ON,
	}
	for i, r := range s.Relationships {
		out.Constraints = append(out.Constraints, &configv1.Constraint{Kind: kinds[r.Kind], FieldNames: r.Fields,
			SecondaryFieldNames: r.On, Name: "constraint-" + strconv.Itoa(i+1)})
	}
	return out
}
