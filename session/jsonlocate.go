package session

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// jsonLines maps every object key and array element of a JSON document to
// the line it starts on, by path ("sessions[2].call_interval"). It lets
// validation errors name the line of the field they are about.
type jsonLines struct {
	data       []byte
	lineStarts []int
	paths      map[string]int
}

func indexJSONLines(data []byte) *jsonLines {
	l := &jsonLines{data: data, paths: map[string]int{}}
	l.lineStarts = append(l.lineStarts, 0)
	for i, c := range data {
		if c == '\n' {
			l.lineStarts = append(l.lineStarts, i+1)
		}
	}
	l.walk()
	return l
}

// lineAt returns the 1-based line of byte offset off.
func (l *jsonLines) lineAt(off int64) int {
	return sort.Search(len(l.lineStarts), func(i int) bool { return int64(l.lineStarts[i]) > off })
}

// tokenLine returns the line of the first token at or after off (skipping
// the blanks, colons and commas a Decoder has not yet consumed).
func (l *jsonLines) tokenLine(off int64) int {
	for off < int64(len(l.data)) {
		switch l.data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return l.lineAt(off)
}

// line returns the line of path, or 0 if the document has no such path.
func (l *jsonLines) line(path string) int { return l.paths[path] }

// nearest returns the line of path or, for a field that is missing, of the
// closest enclosing object or element that is there.
func (l *jsonLines) nearest(path string) int {
	for path != "" {
		if ln, ok := l.paths[path]; ok {
			return ln
		}
		if strings.HasSuffix(path, "]") {
			path = path[:strings.LastIndexByte(path, '[')]
		} else {
			path = parentPath(path)
		}
	}
	return 1
}

// firstKey returns the path and line of the earliest occurrence of key name.
func (l *jsonLines) firstKey(name string) (path string, line int) {
	for p, ln := range l.paths {
		if lastSegment(p) == name && (line == 0 || ln < line || ln == line && p < path) {
			path, line = p, ln
		}
	}
	return path, line
}

type jsonFrame struct {
	path      string
	array     bool
	index     int
	expectKey bool
	key       string
}

func (f *jsonFrame) childPath() string {
	if f.array {
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
	if f.path == "" {
		return f.key
	}
	return f.path + "." + f.key
}

func (f *jsonFrame) valueDone() {
	if f.array {
		f.index++
	} else {
		f.expectKey = true
	}
}

func (l *jsonLines) walk() {
	dec := json.NewDecoder(bytes.NewReader(l.data))
	var stack []*jsonFrame
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return // the decoder proper reports syntax errors
		}
		line := l.tokenLine(before)
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].valueDone()
			}
			continue
		}
		if top != nil && !top.array && top.expectKey {
			top.key, _ = tok.(string)
			top.expectKey = false
			l.paths[top.childPath()] = line
			continue
		}
		path := ""
		if top != nil {
			path = top.childPath()
			if top.array {
				l.paths[path] = line
			}
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &jsonFrame{path: path, array: d == '[', expectKey: d == '{'})
			continue
		}
		if top != nil {
			top.valueDone()
		}
	}
}

func lastSegment(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' {
			return path[i+1:]
		}
	}
	return path
}

// parentPath drops the last key of path ("sessions[0].teams.x" -> "sessions[0].teams").
func parentPath(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' {
			return path[:i]
		}
	}
	return ""
}

// shapeOf drops array indices: "sessions[3].teams" -> "sessions.teams".
func shapeOf(path string) string {
	var b []byte
	skip := false
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '[':
			skip = true
		case path[i] == ']':
			skip = false
		case !skip:
			b = append(b, path[i])
		}
	}
	return string(b)
}
