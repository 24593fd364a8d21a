package service

import (
	"bufio"
	"cmp"
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	batonv1 "github.com/batonkit/batonkit/pb/c1/connectorapi/baton/v1"
)

// hello introduces the connector: at start-up (taskID empty) and when a
// hello task asks again.
func (w *Worker) hello(ctx context.Context, taskID string) error {
	md, err := w.client.GetMetadata(ctx, &connectorv2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		return final(err)
	}
	req := &batonv1.BatonServiceHelloRequest{HostId: w.hostID, TaskId: taskID, BuildInfo: w.buildInfo(), OsInfo: osInfo(),
		ConnectorMetadata: md.GetMetadata()}
	if err := req.Validate(); err != nil {
		return final(err)
	}
	_, err = w.api.Hello(ctx, req)
	return err
}

func (w *Worker) buildInfo() *batonv1.BatonServiceHelloRequest_BuildInfo {
	b := &batonv1.BatonServiceHelloRequest_BuildInfo{LangVersion: runtime.Version(), PackageVersion: truncate(w.opts.Version)}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.Package = truncate(bi.Main.Path)
		if b.PackageVersion == "" {
			b.PackageVersion = truncate(bi.Main.Version)
		}
	}
	return b
}

// osInfo describes this machine as Baton's hello does (gopsutil's host
// facts): the kernel's own machine name for the architecture (x86_64,
// aarch64), the distribution's full version (Debian's 12.11, not 12).
// Every field is set: the control plane refuses a hello with one empty,
// so what the OS does not say gets Baton's fallbacks.
func osInfo() *batonv1.BatonServiceHelloRequest_OSInfo {
	host, _ := os.Hostname()
	o := &batonv1.BatonServiceHelloRequest_OSInfo{Hostname: truncate(host), Os: runtime.GOOS, KernelArch: machine()}
	if runtime.GOOS == "linux" {
		rel := osRelease("/etc/os-release")
		o.Platform, o.PlatformVersion, o.PlatformFamily = truncate(rel["ID"]), truncate(rel["VERSION_ID"]), truncate(firstWord(rel["ID_LIKE"], rel["ID"]))
		if b, err := os.ReadFile("/etc/debian_version"); err == nil && rel["ID"] == "debian" {
			if v := strings.TrimSpace(string(b)); v != "" && v[0] >= '0' && v[0] <= '9' {
				o.PlatformVersion = truncate(v)
			}
		}
		if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			o.KernelVersion = truncate(strings.TrimSpace(string(b)))
		}
		switch {
		case os.Getenv("KUBERNETES_SERVICE_HOST") != "":
			o.VirtualizationSystem = "kubernetes"
		case exists("/run/.containerenv"):
			o.VirtualizationSystem = "podman"
		case exists("/.dockerenv"):
			o.VirtualizationSystem = "docker"
		}
	}
	o.VirtualizationSystem = cmp.Or(o.VirtualizationSystem, "none")
	o.Hostname = cmp.Or(o.Hostname, "unknown")
	o.Platform = cmp.Or(o.Platform, o.Os)
	o.PlatformFamily = cmp.Or(o.PlatformFamily, o.Platform)
	o.KernelVersion = cmp.Or(o.KernelVersion, "unknown")
	o.PlatformVersion = cmp.Or(o.PlatformVersion, o.KernelVersion)
	o.KernelArch = cmp.Or(o.KernelArch, runtime.GOARCH)
	return o
}

// osRelease reads the KEY=value lines of an os-release file.
func osRelease(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// firstWord is the first word of the first non-empty value (ID_LIKE may
// list several families).
func firstWord(s ...string) string {
	for _, v := range s {
		if v != "" {
			return strings.Fields(v)[0]
		}
	}
	return ""
}

// truncate holds a string to the 256 characters the contract allows.
func truncate(s string) string {
	if utf8.RuneCountInString(s) <= 256 {
		return s
	}
	return string([]rune(s)[:256])
}
