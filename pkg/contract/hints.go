package contract

import (
	"regexp"
	"slices"
	"strings"
)

// fixes say, for a field a rule failed on, what a connector author does
// about it: which constructor sets it, and what shape it must have.
var fixes = map[string]string{
	"ResourceId.ResourceType":  "set the resource's type id (resource.ID(type, id) or resource.New(type, id, name)); 1 to 1024 bytes",
	"ResourceId.Resource":      "set the resource's id (resource.New(type, id, name) or resource.ID(type, id)); 1 to 1024 bytes",
	"Resource.DisplayName":     "a display name is at most 1024 bytes: shorten it (keep the full text in the description or profile)",
	"Resource.Description":     "a description is at most 2048 bytes: shorten it",
	"Resource.Id":              "every resource needs its id: build it with resource.New(type, id, name)",
	"ResourceType.Id":          "give the type an id: resource.NewType(id, name); 1 to 1024 bytes",
	"ResourceType.Description": "a type's description is at most 4096 bytes",
	"ResourceType.DisplayName": "give the type a display name: resource.NewType(id, name)",
	"Entitlement.Resource":     "an entitlement needs the resource it is on: entitlement.NewAssignment(resource, slug) or NewPermission",
	"Entitlement.Id":           "entitlement ids are <type>:<id>:<slug>: entitlement.NewAssignment and NewPermission build them",
	"Entitlement.Slug":         "a slug names the entitlement within its resource (member, admin): the second argument of entitlement.NewAssignment",
	"Grant.Entitlement":        "a grant needs its entitlement: grant.New(resource, slug, principalID) or grant.Of(entitlement, principal)",
	"Grant.Principal":          "a grant needs its principal: grant.New(resource, slug, principalID) or grant.Of(entitlement, principal)",
	"Grant.Id":                 "grant ids are <entitlement id>:<principal type>:<principal id>: grant.New and grant.Of build them",
}

var violated = regexp.MustCompile(`invalid (\w+\.\w+):`)

// Hint says how to fix the rule violations err (from Validate) reports,
// field by field, most specific first; "" when it knows no fix.
func Hint(err error) string {
	if err == nil {
		return ""
	}
	var out []string
	found := violated.FindAllStringSubmatch(err.Error(), -1)
	// Nested failures ("Resource.Id ... caused by: ResourceId.Resource")
	// read best from the inside out.
	for i := len(found) - 1; i >= 0; i-- {
		if fix, ok := fixes[found[i][1]]; ok && !slices.Contains(out, fix) {
			out = append(out, found[i][1]+": "+fix)
		}
	}
	return strings.Join(out, "; ")
}
