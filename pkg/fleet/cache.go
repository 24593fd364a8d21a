package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"

	"github.com/batonkit/batonkit/internal/atomicfile"
	"github.com/batonkit/batonkit/internal/safefs"
)

// The cache keeps, per sync file, what fleet questions need of it (its
// accounts, their keys and grant counts), so that a fleet opens only the
// files a question must read further: `who` the files of one person,
// `people`, `orphans` and `stats` none. An entry is used only while the
// file's size, modification time and SHA-256 are those it was made from;
// it lives in a directory of the user's alone (Options.CacheDir). An
// account from the cache carries its resource's id and display name only.

// cacheVersion changes when what an entry holds changes meaning.
const cacheVersion = 4

type cacheEntry struct {
	Version  int
	Size     int64
	ModTime  int64
	SHA256   string
	SyncID   string
	Accounts []cachedAcct
}

// cachedAcct is what fleet answers use of an account: its id and name
// (not the whole resource), keys and holdings.
type cachedAcct struct {
	Type, ID, Name string
	Status         string
	AccountType    string
	Keys           Keys
	Holdings       []Holding
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
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".entry")
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
	e, ok := decodeEntry(b)
	if !ok || e.Version != cacheVersion || e.Size != fp.size || e.ModTime != fp.modTime || e.SHA256 != fp.sum {
		return nil, false
	}
	app.SyncID = e.SyncID
	out := make([]*Account, 0, len(e.Accounts))
	for _, c := range e.Accounts {
		out = append(out, &Account{App: app, ResourceType: c.Type, ResourceID: c.ID, DisplayName: c.Name, Status: c.Status, Type: c.AccountType, Holdings: c.Holdings, keys: c.Keys})
	}
	return out, true
}

// storeCached writes the app's entry; a failure only costs the next run
// the full read.
func storeCached(dir string, app *App, fp fingerprint, accts []*Account) {
	e := cacheEntry{Version: cacheVersion, Size: fp.size, ModTime: fp.modTime, SHA256: fp.sum, SyncID: app.SyncID, Accounts: make([]cachedAcct, 0, len(accts))}
	for _, a := range accts {
		e.Accounts = append(e.Accounts, cachedAcct{Type: a.ResourceType, ID: a.ResourceID, Name: a.DisplayName,
			Status: a.Status, AccountType: a.Type, Keys: a.keys, Holdings: a.Holdings})
	}
	_ = atomicfile.Write(entryPath(dir, app.Path), func(w io.Writer) error { _, err := w.Write(encodeEntry(e)); return err })
}
