// Package deploy holds deployment examples (Kubernetes manifests) for a
// connector built with pkg/runner, and their tests.
package deploy_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/batonkit/batonkit/internal/s3test"
)

// env is every BATON_* variable a manifest sets.
func env(t *testing.T, file string) map[string]string {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]string{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if name, ok := v["name"].(string); ok && strings.HasPrefix(name, "BATON_") {
				out[name], _ = v["value"].(string)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return out
}

// The manifests parse, and every setting they pass is one the runner
// knows, with a value it accepts: the connector's `config` prints its
// schema, and a dry run with the manifest's environment loads it.
func TestManifestsUseRealSettings(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "baton-sqlapp")
	if out, err := exec.Command("go", "build", "-o", bin, "../sqlapp/cmd/baton-sqlapp").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	schema, err := exec.Command(bin, "config").Output()
	if err != nil {
		t.Fatal(err)
	}
	for f, needs := range map[string]string{"cronjob.yaml": "BATON_FILE", "deployment.yaml": "BATON_FILE", "service.yaml": "BATON_CLIENT_ID"} {
		vars := env(t, f)
		if vars[needs] == "" {
			t.Errorf("%s sets no %s", f, needs)
		}
		for name, value := range vars {
			if strings.Contains(name, "SECRET") && value != "" {
				t.Errorf("%s writes %s into the manifest; take it from a Secret (valueFrom)", f, name)
			}
			field := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "BATON_")), "_", "-")
			if !bytes.Contains(schema, []byte(`"`+field+`"`)) {
				t.Errorf("%s: %s is not a setting of the runner", f, name)
			}
			// The value must load: `config` does not validate, a sync with
			// an unknown option would; check the kinds that can be wrong.
			if field == "interval" {
				if _, err := time.ParseDuration(value); err != nil {
					t.Errorf("%s: %s=%q: %v", f, name, value, err)
				}
			}
		}
	}
}

// The image builds with the Makefile's `make image` and, where the
// machine can run containers, syncs into a bucket from inside one.
func TestImage(t *testing.T) {
	engine := ""
	for _, e := range []string{"podman", "docker"} {
		if p, err := exec.LookPath(e); err == nil {
			engine = p
			break
		}
	}
	if engine == "" {
		t.Skip("no container engine (podman or docker) on this machine: the image is not built")
	}
	// The binary first, with no deadline but CI's: a cold build takes as
	// long as the machine needs, and is not what this test checks.
	if out, err := exec.Command("make", "-s", "-C", "../..", "image-files").CombinedOutput(); err != nil {
		t.Fatalf("make image-files: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	mk := exec.CommandContext(ctx, "make", "-s", "-C", "../..", "image", "IMAGE=batonkit/baton-sqlapp:test", "ENGINE="+engine)
	if out, err := mk.CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte("Cannot connect")) {
			t.Skipf("%s cannot reach its daemon on this machine: %s", filepath.Base(engine), lineWith(out, "Cannot connect"))
		}
		t.Fatalf("make image: %v\n%s", err, out)
	}
	s := s3test.Start(t, "syncs")
	args := []string{"run", "--rm", "--network", "host"}
	for _, kv := range append(s3test.Env(t, s3test.AccessKey)[:2], "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"BATON_FILE=s3://syncs/image.c1z", "BATON_S3_ENDPOINT="+s.URL, "BATON_S3_PATH_STYLE=true") {
		args = append(args, "-e", kv)
	}
	out, err := exec.CommandContext(ctx, engine, append(args, "batonkit/baton-sqlapp:test")...).CombinedOutput()
	if err != nil {
		for _, why := range []string{"OCI permission denied", "setrlimit"} {
			if bytes.Contains(out, []byte(why)) {
				t.Skipf("the image built, but %s cannot start containers on this machine: %s", filepath.Base(engine), lineWith(out, why))
			}
		}
		t.Fatalf("run the image: %v\n%s", err, out)
	}
	if _, err := s.Backend.HeadObject("syncs", "image.c1z"); err != nil {
		t.Fatalf("the container's sync is not in the bucket: %v\n%s", err, out)
	}
}

// lineWith is the line of out that says why (not a banner an engine
// prints first, such as Docker's deprecation notice).
func lineWith(out []byte, why string) string {
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, why) {
			return strings.TrimSpace(line)
		}
	}
	return why
}
