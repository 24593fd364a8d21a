package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/batonkit/batonkit/internal/safetext"
)

// jsonList streams {"<key>":[item,item,...]} one item at a time, so output
// starts before the file is read to the end. An empty list prints {} as
// Baton's CLI does (protojson omits empty repeated fields).
type jsonList struct {
	w   *bufio.Writer
	key string
	n   int
	mo  protojson.MarshalOptions
}

func newJSONList(w io.Writer, key string) *jsonList {
	return &jsonList{w: bufio.NewWriterSize(w, 64<<10), key: key}
}

func (l *jsonList) add(m proto.Message) error {
	b, err := l.mo.Marshal(m)
	if err != nil {
		return err
	}
	if l.n == 0 {
		l.w.WriteString(`{"` + l.key + `":[`)
	} else {
		l.w.WriteByte(',')
	}
	l.n++
	_, err = l.w.Write(b)
	return err
}

// tail is a key batonkit adds after Baton's list ("derived", "paths"),
// written only when it has rows, so Baton's shape is unchanged without it.
type tail struct {
	key  string
	rows []map[string]any
}

// closeWith ends the document with the tails that have rows.
func (l *jsonList) closeWith(tails ...tail) error {
	open := l.n > 0
	if !open {
		l.w.WriteString("{")
	} else {
		l.w.WriteString("]")
	}
	for _, t := range tails {
		if len(t.rows) == 0 {
			continue
		}
		b, err := json.Marshal(t.rows)
		if err != nil {
			return err
		}
		if open {
			l.w.WriteString(",")
		}
		open = true
		l.w.WriteString(`"` + t.key + `":`)
		l.w.Write(b)
	}
	l.w.WriteString("}\n")
	return l.w.Flush()
}

func (l *jsonList) close() error { return l.closeWith() }

// isTerminal reports whether f is a terminal that can redraw a line.
func isTerminal(f *os.File) bool {
	return os.Getenv("TERM") != "dumb" && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the terminal's width in columns (0 when unknown).
func terminalWidth(f *os.File) int {
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// colorOK reports whether w is a terminal that wants colour: never into a
// pipe or file, never with NO_COLOR set (https://no-color.org), never with
// TERM=dumb.
func colorOK(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false
	}
	return onTerminal(w)
}

// onTerminal reports whether w is a terminal (a person reads it).
func onTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// table prints aligned columns. Rows are flushed in blocks so long
// listings stream; each block is aligned on its own.
type table struct {
	tw     *tabwriter.Writer
	out    *bufio.Writer
	header []string
	color  bool
	rows   int
	// A listing (empty not nil) that matched nothing prints no table, only
	// "baton: <none>" on empty: one rule for every listing.
	empty io.Writer
	none  string
}

const tableBlock = 1000

func newTable(w io.Writer, header ...string) *table {
	out := bufio.NewWriter(w)
	t := &table{out: out, tw: tabwriter.NewWriter(out, 0, 4, 2, ' ', 0), header: header, color: colorOK(w)}
	t.writeHeader()
	return t
}

// listing is a table of what a question matched: its header comes with
// the first row, and an empty answer is said on stderr instead (exit 0),
// as none ("no grant matched").
func (g *globals) listing(none string, header ...string) *table {
	out := bufio.NewWriter(g.stdout)
	return &table{out: out, tw: tabwriter.NewWriter(out, 0, 4, 2, ' ', 0), header: header, color: colorOK(g.stdout), empty: g.stderr, none: none}
}

func (t *table) writeHeader() {
	line := strings.Join(t.header, "\t")
	if t.color {
		line = "\x1b[1m" + line + "\x1b[0m"
	}
	io.WriteString(t.tw, line+"\n")
}

func (t *table) row(cols ...string) {
	// Cells hold text from the file (names, ids): escape anything a
	// terminal would act on, tabs and newlines included, so a crafted name
	// can neither move the cursor nor break the columns.
	for i, c := range cols {
		cols[i] = safetext.Escape(c)
	}
	if t.rows == 0 && t.empty != nil {
		t.writeHeader()
	}
	io.WriteString(t.tw, strings.Join(cols, "\t")+"\n")
	t.rows++
	if t.rows%tableBlock == 0 {
		t.tw.Flush()
		t.out.Flush()
	}
}

func (t *table) close() error {
	if t.rows == 0 && t.empty != nil {
		fmt.Fprintf(t.empty, "baton: %s\n", t.none)
	}
	if err := t.tw.Flush(); err != nil {
		return err
	}
	return t.out.Flush()
}

// writeWithTails prints m in Baton's shape with the tails that have rows
// as keys more.
func writeWithTails(g *globals, m proto.Message, tails ...tail) error {
	b, err := protojson.Marshal(m)
	if err != nil {
		return err
	}
	doc := map[string]json.RawMessage{}
	added := false
	for _, t := range tails {
		if len(t.rows) == 0 {
			continue
		}
		if !added {
			if err := json.Unmarshal(b, &doc); err != nil {
				return err
			}
			added = true
		}
		if doc[t.key], err = json.Marshal(t.rows); err != nil {
			return err
		}
	}
	if added {
		if b, err = json.Marshal(doc); err != nil {
			return err
		}
	}
	_, err = g.stdout.Write(append(b, '\n'))
	return err
}
