// Command benchcompare measures batonkit beside Baton in the same minutes:
// each workload runs ours and the peer's alternately, runs times each, and
// prints both sides' wall, user and system CPU seconds, peak RSS and file
// size, then the ratio of the medians (ours / Baton's: below 1 is ours
// ahead). make bench-compare runs it.
//
// Workloads:
//   - sync: the H100k shape (or -users/-groups/-members) written by our
//     baton-synthetic and by BATON_BENCH_PEER, a Baton-built binary taking
//     the same flags (../shared/peers/build-baton.sh makes one that drives
//     Baton's syncer with its Pebble engine).
//   - the CLI on the files those syncs wrote: our baton and Baton's
//     (BATON_PEER_CLI, by default the baton beside the peer) on Baton's v3
//     file and on our v1 file: stats, resources, grants -o json, access.
//
// Without a peer only our side runs, which still measures ours.
//
//	benchcompare -ours bin/baton-synthetic -baton bin/baton -runs 3
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// run is one measured process.
type run struct {
	wall, user, sys float64 // seconds
	rssMB           float64
	fileMB          float64 // what a sync wrote; 0 for the CLI
}

func (r run) cpu() float64 { return r.user + r.sys }

// side is how one implementation runs a workload: argv, and whether it
// writes a file (a sync: a fresh one each run, passed as --file).
type side struct {
	argv   []string
	writes bool
}

type workload struct {
	name       string
	ours, peer side // peer.argv nil: not measured on Baton's side
}

func main() {
	ours := flag.String("ours", "bin/baton-synthetic", "our sync benchmark binary")
	baton := flag.String("baton", "bin/baton", "our CLI")
	runs := flag.Int("runs", 3, "runs of each workload and side")
	users := flag.Int("users", 100_000, "users")
	groups := flag.Int("groups", 5_000, "groups")
	members := flag.Int("members", 20, "members per group")
	only := flag.String("only", "", "run only workloads whose name contains this")
	flag.Parse()
	peer := os.Getenv("BATON_BENCH_PEER")
	peerCLI := os.Getenv("BATON_PEER_CLI")
	if peerCLI == "" && peer != "" {
		peerCLI = filepath.Join(filepath.Dir(peer), "baton")
	}
	work, err := os.MkdirTemp("", "benchcompare-*")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)
	// Every binary runs from a copy made as cp makes one (copy_file_range):
	// a binary the Go linker has just written, or one written with
	// write(2), shows about 16 MB more peak RSS here than such a copy (its
	// own pages, in the page cache in larger pieces, are mapped more
	// eagerly), which would count against whichever side was built last.
	// Baton's harness is a script that runs the binaries beside it: its
	// whole directory is copied.
	for _, c := range []struct {
		path     *string
		siblings bool
	}{{ours, false}, {baton, false}, {&peer, true}, {&peerCLI, false}} {
		if *c.path == "" {
			continue
		}
		if *c.path, err = copyBinary(work, *c.path, c.siblings); err != nil {
			fail(err)
		}
	}

	shape := []string{"--users", strconv.Itoa(*users), "--groups", strconv.Itoa(*groups), "--members", strconv.Itoa(*members)}
	fmt.Printf("shape: %d users, %d groups x %d members; %d alternating runs of each side; ratios are ours / Baton's, of the medians\n",
		*users, *groups, *members, *runs)
	sync := workload{name: "sync", ours: side{append([]string{*ours}, shape...), true}}
	if peer != "" {
		sync.peer = side{append([]string{peer}, shape...), true}
	}
	workloads := []workload{sync}
	// The CLI workloads read the files of one sync each side wrote first.
	if *only == "" || !strings.Contains("sync", *only) {
		cli, err := cliWorkloads(work, *baton, peerCLI, sync)
		if err != nil {
			fail(err)
		}
		workloads = append(workloads, cli...)
	}
	for _, w := range workloads {
		if *only != "" && !strings.Contains(w.name, *only) {
			continue
		}
		var a, b []run
		for range *runs {
			for _, s := range []struct {
				side side
				into *[]run
			}{{w.ours, &a}, {w.peer, &b}} {
				if s.side.argv == nil {
					continue
				}
				r, err := measure(s.side, filepath.Join(work, "out.c1z"))
				if err != nil {
					fail(fmt.Errorf("%s: %w", w.name, err))
				}
				*s.into = append(*s.into, r)
			}
		}
		report(w.name, a, b)
	}
}

func cliWorkloads(work, baton, peerCLI string, sync workload) ([]workload, error) {
	v1 := filepath.Join(work, "ours-v1.c1z")
	v3 := filepath.Join(work, "baton-v3.c1z")
	if _, err := measure(sync.ours, v1); err != nil {
		return nil, err
	}
	if sync.peer.argv != nil {
		if _, err := measure(sync.peer, v3); err != nil {
			return nil, err
		}
	}
	var workloads []workload
	for _, file := range []struct{ label, path string }{{"v3", v3}, {"v1", v1}} {
		if file.label == "v3" && sync.peer.argv == nil {
			continue
		}
		ptype, pid, err := middlePrincipal(baton, file.path)
		if err != nil {
			return nil, err
		}
		for _, args := range [][]string{{"stats"}, {"resources"}, {"grants", "-o", "json"}, {"access", "-t", ptype, "-r", pid}} {
			w := workload{name: file.label + " " + strings.Join(args, " "),
				ours: side{argv: append([]string{baton, "-f", file.path}, args...)}}
			if peerCLI != "" {
				w.peer = side{argv: append([]string{peerCLI, "-f", file.path}, args...)}
			}
			workloads = append(workloads, w)
		}
	}
	return workloads, nil
}

// middlePrincipal is the type and id of the principal of the grant in
// the middle of the file's listing: the two harnesses name their users
// differently, and access on a user without grants measures little. The
// listing is streamed: this process stays small, because a child's peak
// RSS as the kernel reports it starts at its parent's (exec accounts the
// memory it shared with the parent until then).
func middlePrincipal(baton, file string) (string, string, error) {
	out, err := exec.Command(baton, "-f", file, "-o", "json", "stats").Output()
	if err != nil {
		return "", "", fmt.Errorf("stats of %s: %w", file, err)
	}
	var st struct{ Stats struct{ Grants string } }
	if err := json.Unmarshal(out, &st); err != nil {
		return "", "", fmt.Errorf("stats of %s: %w", file, err)
	}
	n, _ := strconv.Atoi(st.Stats.Grants)
	cmd := exec.Command(baton, "-f", file, "grants")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", err
	}
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	defer cmd.Wait()
	defer stdout.Close()
	lines := bufio.NewScanner(stdout)
	for i := 0; lines.Scan(); i++ {
		if i == n/2+1 { // after the header
			typ, id, _ := strings.Cut(strings.Fields(lines.Text())[2], ":")
			return typ, id, nil
		}
	}
	return "", "", fmt.Errorf("%s holds no grants", file)
}

// tail keeps the last bytes written to it: a child's stderr for an error
// message, without this process growing with a chatty child's logs.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	const keep = 16 << 10
	t.b = append(t.b, p...)
	if len(t.b) > keep {
		t.b = append(t.b[:0], t.b[len(t.b)-keep:]...)
	}
	return len(p), nil
}

// copyBinary copies the executable at path (with siblings, every
// executable file beside it) into a directory of its own under dir, and
// returns the copy's path. io.Copy between files is copy_file_range on
// Linux, as cp's.
func copyBinary(dir, path string, siblings bool) (string, error) {
	sub, err := os.MkdirTemp(dir, "bin-*")
	if err != nil {
		return "", err
	}
	files := []string{path}
	if siblings {
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			return "", err
		}
		files = files[:0]
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
				files = append(files, filepath.Join(filepath.Dir(path), e.Name()))
			}
		}
	}
	for _, f := range files {
		if err := copyFile(f, filepath.Join(sub, filepath.Base(f))); err != nil {
			return "", err
		}
	}
	return filepath.Join(sub, filepath.Base(path)), nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o700)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// measure runs one side once; a sync writes into file, removed first.
func measure(s side, file string) (run, error) {
	argv := s.argv
	if s.writes {
		os.Remove(file)
		argv = append(slices.Clone(argv), "--file", file)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = io.Discard
	stderr := &tail{}
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return run{}, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, stderr.b)
	}
	r := run{wall: time.Since(start).Seconds(), user: cmd.ProcessState.UserTime().Seconds(), sys: cmd.ProcessState.SystemTime().Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssMB = float64(ru.Maxrss) / 1024
	}
	if s.writes {
		if st, err := os.Stat(file); err == nil {
			r.fileMB = float64(st.Size()) / 1e6
		}
	}
	return r, nil
}

func report(name string, a, b []run) {
	fmt.Printf("\n%s\n", name)
	line("  batonkit", a)
	if len(b) == 0 {
		return
	}
	line("  Baton", b)
	ratio := func(f func(run) float64) string {
		if median(b, f) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", median(a, f)/median(b, f))
	}
	fmt.Printf("  ratio     wall %s  CPU %s  (user %s, sys %s)  RSS %s", ratio(wall), ratio(run.cpu), ratio(user), ratio(sys), ratio(rss))
	if median(a, file) > 0 {
		fmt.Printf("  file %s", ratio(file))
	}
	fmt.Println()
}

func line(label string, rs []run) {
	fmt.Printf("%s  wall %s s  CPU %s s (user %s, sys %s)  RSS %s MB", label,
		spread(rs, wall, 2), spread(rs, run.cpu, 2), spread(rs, user, 2), spread(rs, sys, 2), spread(rs, rss, 0))
	if median(rs, file) > 0 {
		fmt.Printf("  file %.2f MB", median(rs, file))
	}
	fmt.Println()
}

// spread is "median [min – max]".
func spread(rs []run, f func(run) float64, prec int) string {
	v := values(rs, f)
	return fmt.Sprintf("%.*f [%.*f–%.*f]", prec, median(rs, f), prec, slices.Min(v), prec, slices.Max(v))
}

func wall(r run) float64 { return r.wall }
func user(r run) float64 { return r.user }
func sys(r run) float64  { return r.sys }
func rss(r run) float64  { return r.rssMB }
func file(r run) float64 { return r.fileMB }

func median(rs []run, f func(run) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := values(rs, f)
	slices.Sort(v)
	return v[len(v)/2]
}

func values(rs []run, f func(run) float64) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchcompare:", err)
	os.Exit(1)
}
