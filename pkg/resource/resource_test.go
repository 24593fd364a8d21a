package resource_test

import (
	"testing"
	"time"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
	"github.com/batonkit/batonkit/pkg/contract"
	"github.com/batonkit/batonkit/pkg/resource"
)

func TestTraitsAndOptionsProduceValidResources(t *testing.T) {
	parent := resource.ID("org", "acme")
	cases := map[string]struct {
		opts []resource.Option
		has  func(annotations.Annotations) bool
	}{
		"user": {[]resource.Option{resource.User(resource.Email("a@b.co", true), resource.AccountType(connectorv2.UserTrait_ACCOUNT_TYPE_SERVICE), resource.MFA(true))},
			func(a annotations.Annotations) bool { return a.Contains(&connectorv2.UserTrait{}) }},
		"group": {[]resource.Option{resource.Group(map[string]any{"size": 3})}, func(a annotations.Annotations) bool { return a.Contains(&connectorv2.GroupTrait{}) }},
		"role":  {[]resource.Option{resource.Role(nil)}, func(a annotations.Annotations) bool { return a.Contains(&connectorv2.RoleTrait{}) }},
		"app":   {[]resource.Option{resource.App("https://help.example.com")}, func(a annotations.Annotations) bool { return a.Contains(&connectorv2.AppTrait{}) }},
		"secret": {[]resource.Option{resource.Secret(resource.ID("user", "svc"), connectorv2.SecretTrait_CREDENTIAL_TYPE_STATIC_SECRET, timeZero())},
			func(a annotations.Annotations) bool { return a.Contains(&connectorv2.SecretTrait{}) }},
		"child": {[]resource.Option{resource.WithParent(parent), resource.WithChildTypes("team")},
			func(a annotations.Annotations) bool { return a.Contains(&connectorv2.ChildResourceType{}) }},
	}
	for name, c := range cases {
		r, err := resource.New("thing", "t1", "Thing", c.opts...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := contract.Validate(r); err != nil {
			t.Errorf("%s: invalid resource: %v", name, err)
		}
		if !c.has(r.GetAnnotations()) {
			t.Errorf("%s: annotation missing", name)
		}
	}
	if _, err := resource.New("user", "u", "U", resource.WithProfile(map[string]any{"bad": make(chan int)})); err == nil {
		t.Error("an unconvertible profile was accepted")
	}
}

func timeZero() (t time.Time) { return }
