package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Limits on the shape of a scenario file, checked before it is decoded so
// that no input can make the parser's memory grow faster than the file.
const (
	// maxScenarioDepth is how deeply a scenario file may nest arrays and
	// objects. A scenario needs four levels (the file, "sessions", a
	// session, its "teams" or "scopes"); the rest is headroom.
	maxScenarioDepth = 32
	// maxScenarioArrayItems is the most items any one array may hold: as
	// many as the sessions a scenario may declare. Decoding turns each item
	// of "sessions" or "timeline" into a struct a hundred times the size of
	// "{}", so this bounds the memory a 4 MiB file can take.
	maxScenarioArrayItems = MaxScenarioSessions
)

// shapeError is a scenario file nesting too deeply or holding too long an
// array, found at byte offset off.
type shapeError struct {
	off int64
	msg string
}

// checkJSONShape refuses data that nests deeper than maxScenarioDepth or has
// an array of over maxScenarioArrayItems items. It scans the bytes once in
// constant memory and is lenient about syntax: at the first bracket that
// closes nothing it stops, as the decoder will stop there with a syntax
// error.
func checkJSONShape(data []byte) *shapeError {
	var (
		depth  int
		array  [maxScenarioDepth + 1]bool  // whether each open level is an array
		items  [maxScenarioDepth + 1]int   // commas seen at each open level
		starts [maxScenarioDepth + 1]int64 // where each open level began
	)
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			if depth == maxScenarioDepth {
				return &shapeError{off: int64(i), msg: fmt.Sprintf(
					"the JSON nests deeper than %d levels, the limit; a scenario needs 4 (the file, \"sessions\", a session, its \"teams\")",
					maxScenarioDepth)}
			}
			array[depth], items[depth], starts[depth] = c == '[', 0, int64(i)
			depth++
		case ']', '}':
			if depth == 0 {
				return nil
			}
			depth--
		case ',':
			if depth > 0 && array[depth-1] {
				if items[depth-1]++; items[depth-1] >= maxScenarioArrayItems {
					return &shapeError{off: starts[depth-1], msg: fmt.Sprintf(
						"the array holds over %d items, the limit; a scenario has at most %d sessions",
						maxScenarioArrayItems, MaxScenarioSessions)}
				}
			}
		}
	}
	return nil
}

// jsonLines locates the object keys and array elements of a JSON document
// by path ("sessions[2].call_interval") and line, so that validation errors
// can name the line of the field they are about. It keeps no index: each
// question walks the document again, which takes memory proportional to
// the deepest path, and is asked only to report an error.
type jsonLines struct{ data []byte }

// lineAt returns the 1-based line of byte offset off.
func (l jsonLines) lineAt(off int64) int {
	off = min(max(off, 0), int64(len(l.data)))
	return 1 + bytes.Count(l.data[:off], []byte{'\n'})
}

// tokenLine returns the line of the first token at or after off.
func (l jsonLines) tokenLine(off int64) int { return l.lineAt(l.skipBlanks(off)) }

// skipBlanks skips the blanks, colons and commas a Decoder has not yet
// consumed before its next token.
func (l jsonLines) skipBlanks(off int64) int64 {
	for off < int64(len(l.data)) {
		switch l.data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return off
}

// jsonNode is an object key or array element met by walk. Its slices are
// valid only during the visit.
type jsonNode struct {
	path  []byte // "sessions[2].teams.renewal_offset"
	shape []byte // the path without indices: "sessions.teams.renewal_offset"
	key   []byte // the object key; nil for an array element
	off   int64  // where the key or element starts
	line  int
}

// jsonFrame is an object or array walk is inside.
type jsonFrame struct {
	pathLen, shapeLen int // length of the container's own path and shape
	array             bool
	index             int // of the next element
	expectKey         bool
}

func (f *jsonFrame) valueDone() {
	if f.array {
		f.index++
	} else {
		f.expectKey = true
	}
}

// appendSegment appends ".seg" to the first n bytes of b, or just seg when
// n is 0 (a key of the top-level object).
func appendSegment(b []byte, n int, seg []byte) []byte {
	b = b[:n]
	if n > 0 {
		b = append(b, '.')
	}
	return append(b, seg...)
}

// walk calls visit for every object key and array element in document
// order until visit returns false or the document ends. It reads the bytes
// itself instead of through a json.Decoder, which would allocate for every
// token: the work per token is proportional to the token, never to its path,
// and nothing is allocated but the path buffers and escaped keys. It is
// lenient: on a document that is not valid JSON it stops somewhere in the
// first invalid token or walks on, and the decoder proper reports the
// syntax error.
func (l jsonLines) walk(visit func(*jsonNode) bool) {
	data := l.data
	var (
		stack []jsonFrame
		node  jsonNode
		line  = 1
		key   []byte
	)
	for i := 0; i < len(data); {
		c := data[i]
		switch c {
		case '\n':
			line++
			fallthrough
		case ' ', '\t', '\r', ':', ',':
			i++
			continue
		case '}', ']':
			if len(stack) == 0 {
				return
			}
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				stack[len(stack)-1].valueDone()
			}
			i++
			continue
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch {
		case top == nil:
			node.path, node.shape = node.path[:0], node.shape[:0]
		case top.expectKey:
			end := stringEnd(data, i)
			if c != '"' || end < 0 {
				return
			}
			key = unquoteKey(key[:0], data[i:end])
			node.path = appendSegment(node.path, top.pathLen, key)
			node.shape = appendSegment(node.shape, top.shapeLen, key)
			node.key, node.off, node.line = key, int64(i), line
			top.expectKey = false
			if !visit(&node) {
				return
			}
			i = end
			continue
		case top.array:
			node.path = append(strconv.AppendInt(append(node.path[:top.pathLen], '['), int64(top.index), 10), ']')
			node.shape = node.shape[:top.shapeLen]
			node.key, node.off, node.line = nil, int64(i), line
			if !visit(&node) {
				return
			}
		}
		switch c {
		case '{', '[':
			if len(stack) == maxScenarioDepth { // checkJSONShape refuses this first
				return
			}
			stack = append(stack, jsonFrame{pathLen: len(node.path), shapeLen: len(node.shape), array: c == '[', expectKey: c == '{'})
			i++
			continue
		case '"':
			if i = stringEnd(data, i); i < 0 {
				return
			}
		default: // a number, true, false or null
			for i < len(data) && !endsValue(data[i]) {
				i++
			}
		}
		if top != nil {
			top.valueDone()
		}
	}
}

// endsValue reports a byte that ends a number or literal.
func endsValue(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ':', ']', '}':
		return true
	}
	return false
}

// stringEnd returns the offset just past the JSON string starting at
// data[i] (a quote), or -1 if it does not end.
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// unquoteKey appends the text of the quoted JSON string q to b. Only a key
// with escapes (rare, and never a field's name) takes the decoder's time.
func unquoteKey(b, q []byte) []byte {
	if !bytes.ContainsRune(q, '\\') {
		return append(b, q[1:len(q)-1]...)
	}
	var s string
	if json.Unmarshal(q, &s) != nil {
		return append(b, q[1:len(q)-1]...)
	}
	return append(b, s...)
}

// nearest returns the line of path or, for a field that is missing, of the
// closest enclosing object or element that is there; 1 if none is. Of a key
// given twice it takes the last, the one the decoder keeps.
func (l jsonLines) nearest(path string) int {
	found := map[string]int{} // path and its ancestors
	for p := path; p != ""; p = trimLastSegment(p) {
		found[p] = 0
	}
	l.walk(func(n *jsonNode) bool {
		if len(n.path) <= len(path) { // long paths cannot match: spare hashing them
			if _, ok := found[string(n.path)]; ok {
				found[string(n.path)] = n.line
			}
		}
		return true
	})
	for p := path; p != ""; p = trimLastSegment(p) {
		if found[p] > 0 {
			return found[p]
		}
	}
	return 1
}

// keyBefore returns the path and line of the last key whose shape is shape
// ("sessions.lifetime") starting before offset off: the field the decoder
// was reading when it failed at off. line is 0 if there is none.
func (l jsonLines) keyBefore(shape string, off int64) (path string, line int) {
	var best []byte
	l.walk(func(n *jsonNode) bool {
		if n.off >= off {
			return false
		}
		if n.key != nil && string(n.shape) == shape {
			best, line = append(best[:0], n.path...), n.line
		}
		return true
	})
	return string(best), line
}

// unknownKey returns the path and line of the first key name in an object
// decoded into a struct that has no field of that name, and the fields that
// struct has. line is 0 if there is none.
func (l jsonLines) unknownKey(name string) (path string, line int, allowed []string) {
	l.walk(func(n *jsonNode) bool {
		if n.key == nil || string(n.key) != name {
			return true
		}
		parent := n.shape[:max(len(n.shape)-len(n.key)-1, 0)]
		if fields := allowedFields(parent); fields != nil && !slices.Contains(fields, name) {
			path, line, allowed = string(n.path), n.line, fields
			return false
		}
		return true
	})
	return path, line, allowed
}

// valueAt returns the path and line of the value starting at offset off:
// the last key or element starting at or before it.
func (l jsonLines) valueAt(off int64) (path string, line int) {
	var best []byte
	l.walk(func(n *jsonNode) bool {
		if n.off > off {
			return false
		}
		best, line = append(best[:0], n.path...), n.line
		return true
	})
	return string(best), line
}

// trimLastSegment drops the last key or index of path:
// "sessions[0].teams" -> "sessions[0]" -> "sessions" -> "".
func trimLastSegment(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '.':
			return path[:i]
		case '[':
			if strings.HasSuffix(path, "]") {
				return path[:i]
			}
		}
	}
	return ""
}

// lastSegment returns the last key of path ("sessions[0].lifetime" -> "lifetime").
func lastSegment(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}
