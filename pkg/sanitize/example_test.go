package sanitize_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/batonkit/batonkit/internal/c1ztest"
	"github.com/batonkit/batonkit/pkg/c1z"
	"github.com/batonkit/batonkit/pkg/sanitize"
)

// A copy for a bug report: the same accounts and memberships, under
// pseudonyms.
func ExampleCopy() {
	dir, _ := os.MkdirTemp("", "sanitize")
	defer os.RemoveAll(dir)
	src := c1ztest.WriteApp(&testing.T{}, filepath.Join(dir, "app.c1z"), []c1ztest.FleetUser{
		{ID: "ada", Name: "Ada Lovelace", Emails: []string{"ada@example.com"}, Groups: []string{"admins"}},
	})
	ctx := context.Background()
	if err := sanitize.Copy(ctx, src, "", filepath.Join(dir, "report.c1z"), sanitize.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := c1z.OpenReader(ctx, filepath.Join(dir, "report.c1z"))
	defer st.Close(ctx)
	for g, err := range st.Grants(ctx, c1z.GrantQuery{}) {
		if err == nil {
			fmt.Println(g.GetId())
		}
	}
	// Output: entitlement-1:user:user-1
}
