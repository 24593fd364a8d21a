package subprocess

import (
	"os"
	"strings"
)

// A child connector gets the environment it needs to run and to reach its
// app, not the parent's: a parent holding cloud keys or a control plane's
// client secret (AWS_SECRET_ACCESS_KEY, BATON_CLIENT_SECRET) must not hand
// them to every connector binary it starts.
var (
	// childVars pass by name: finding programs and files, locale and
	// time, proxies and CA bundles, and the runtimes other-language
	// connectors run on.
	childVars = map[string]bool{
		"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "TMPDIR": true, "TZ": true, "TERM": true, "NO_COLOR": true,
		"LANG": true, "LANGUAGE": true,
		"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true, "ALL_PROXY": true,
		"http_proxy": true, "https_proxy": true, "no_proxy": true, "all_proxy": true,
		"SSL_CERT_FILE": true, "SSL_CERT_DIR": true, "REQUESTS_CA_BUNDLE": true, "CURL_CA_BUNDLE": true, "NODE_EXTRA_CA_CERTS": true,
		"XDG_CACHE_HOME": true, "XDG_CONFIG_HOME": true, "XDG_RUNTIME_DIR": true,
		"NODE_PATH": true, "NODE_OPTIONS": true, "PYTHONPATH": true, "VIRTUAL_ENV": true, "GOCOVERDIR": true,
		"SYSTEMROOT": true, "WINDIR": true,
	}
	// childPrefixes pass by prefix: the connector's own settings and the
	// locale's categories.
	childPrefixes = []string{"BATON_", "LC_"}
	// parentOnly are BATON_ variables of the parent's own: service mode's
	// credentials (a child given them would also start in service mode).
	parentOnly = map[string]bool{"BATON_CLIENT_ID": true, "BATON_CLIENT_SECRET": true}
)

// ChildEnv is the environment a child connector is started with: from
// environ (os.Environ() when nil), what a connector needs (its own
// BATON_* settings, PATH, HOME, locale, proxy and CA variables) and the
// variables named in pass; nothing else.
func ChildEnv(environ []string, pass ...string) []string {
	if environ == nil {
		environ = os.Environ()
	}
	extra := map[string]bool{}
	for _, name := range pass {
		extra[name] = true
	}
	var env []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if extra[name] || (childVars[name] || hasPrefix(name, childPrefixes)) && !parentOnly[name] {
			env = append(env, kv)
		}
	}
	return env
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
