package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/atomicfile"
	"github.com/batonkit/batonkit/internal/safefs"
	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// The cache keeps, per sync file, what fleet questions need of it (its
// accounts, their keys and grant counts), so that a fleet opens only the
// files a question must read further: `who` the files of one person,
// `people`, `orphans` and `stats` none. An entry is used only while the
// file's size, modification time and SHA-256 are those it was made from;
// it lives in a directory of the user's alone (Options.CacheDir).

// cacheVersion changes when what an entry holds changes meaning.
const cacheVersion = 1

type cacheEntry struct {
	Version  int          `json:"version"`
	Size     int64        `json:"size"`
	ModTime  int64        `json:"mod_time_ns"`
	SHA256   string       `json:"sha256"`
	SyncID   string       `json:"sync_id"`
	Accounts []cachedAcct `json:"accounts"`
}

type cachedAcct struct {
	Resource []byte              `json:"resource"` // the encoded connector.v2.Resource
	Status   string              `json:"status"`
	Type     string              `json:"type"`
	Keys     map[string][]string `json:"keys"`
	Grants   int                 `json:"grants"`
}

// fingerprint is what an entry must match: the file as it is now.
type fingerprint struct {
	size, modTime int64
	sum           string
}

func fingerprintOf(path string) (fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return fingerprint{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fingerprint{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fingerprint{}, err
	}
	return fingerprint{fi.Size(), fi.ModTime().UnixNano(), hex.EncodeToString(h.Sum(nil))}, nil
}

// entryPath names a file's entry after its absolute path.
func entryPath(dir, path string) string {
	abs, _ := filepath.Abs(path)
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".json")
}

// loadCached gives the app's accounts from its entry when the entry
// matches fp; ok is false otherwise (or on any doubt).
func loadCached(dir string, app *App, fp fingerprint) ([]*Account, bool) {
	p := entryPath(dir, app.Path)
	if _, err := safefs.CheckFile(p); err != nil {
		return nil, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil || e.Version != cacheVersion || e.Size != fp.size || e.ModTime != fp.modTime || e.SHA256 != fp.sum {
		return nil, false
	}
	app.SyncID = e.SyncID
	out := make([]*Account, 0, len(e.Accounts))
	for _, c := range e.Accounts {
		r := &connectorv2.Resource{}
		if proto.Unmarshal(c.Resource, r) != nil {
			return nil, false
		}
		out = append(out, &Account{App: app, Resource: r, Status: c.Status, Type: c.Type, Grants: c.Grants, keys: c.Keys})
	}
	return out, true
}

// storeCached writes the app's entry; a failure only costs the next run
// the full read.
func storeCached(dir string, app *App, fp fingerprint, accts []*Account) {
	e := cacheEntry{Version: cacheVersion, Size: fp.size, ModTime: fp.modTime, SHA256: fp.sum, SyncID: app.SyncID, Accounts: make([]cachedAcct, 0, len(accts))}
	for _, a := range accts {
		b, err := proto.Marshal(a.Resource)
		if err != nil {
			return
		}
		e.Accounts = append(e.Accounts, cachedAcct{Resource: b, Status: a.Status, Type: a.Type, Keys: a.keys, Grants: a.Grants})
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	_ = atomicfile.Write(entryPath(dir, app.Path), func(w io.Writer) error { _, err := w.Write(b); return err })
}
