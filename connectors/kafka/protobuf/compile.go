// Package protobuf is sluice's Protobuf codec for Kafka's PROTOBUF serde:
// schemas compiled from .proto text or a FileDescriptorProto (with
// bufbuild/protocompile, pure Go, no protoc), Confluent's message-index
// array, and an encoder and decoder between sluice values and the
// Protobuf binary format that map every value exactly: int64 stays int64,
// bytes stay bytes, google.protobuf.Timestamp is a timestamp, the wrapper
// types are nullable scalars, maps are maps, repeated fields lists, and a
// oneof holds at most one member.
package protobuf

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// mainFile names the schema being compiled among its imports.
const mainFile = "sluice-schema.proto"

// Descriptor reads a schema given as a base64-encoded FileDescriptorProto
// (how Confluent's registry also accepts Protobuf schemas, and how the
// Python client registers them); ok is false for .proto text.
func Descriptor(schema string) (*descriptorpb.FileDescriptorProto, bool) {
	s := strings.TrimSpace(schema)
	if s == "" || strings.ContainsAny(s, " \t\n\r{;") {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	fd := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(b, fd); err != nil || (len(fd.MessageType) == 0 && len(fd.EnumType) == 0 && fd.GetName() == "") {
		return nil, false
	}
	return fd, true
}

// Compile compiles schema (.proto text or a base64 FileDescriptorProto)
// with the schemas it imports, keyed by import path. The well-known types
// (google/protobuf/*.proto) are built in. Nothing is read from disk.
func Compile(ctx context.Context, schema string, imports map[string]string) (protoreflect.FileDescriptor, error) {
	name := mainFile
	if fd, ok := Descriptor(schema); ok && fd.GetName() != "" {
		name = fd.GetName()
	}
	files := map[string]string{name: schema}
	for k, v := range imports {
		if k != name {
			files[k] = v
		}
	}
	resolver := protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		text, ok := files[path]
		if !ok {
			return protocompile.SearchResult{}, fmt.Errorf("import %q is not among the schema's references (list it in the schema references; sluice reads nothing else)", path)
		}
		if fd, ok := Descriptor(text); ok {
			if fd.Name == nil {
				fd.Name = proto.String(path)
			}
			return protocompile.SearchResult{Proto: fd}, nil
		}
		return protocompile.SearchResult{Source: strings.NewReader(text)}, nil
	})
	var errs []string
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(resolver),
		Reporter: reporter.NewReporter(func(err reporter.ErrorWithPos) error {
			errs = append(errs, strings.TrimPrefix(err.Error(), mainFile+":"))
			return nil
		}, nil),
	}
	fs, err := c.Compile(ctx, name)
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid Protobuf schema: %s", strings.Join(errs, "; "))
	}
	if err != nil {
		return nil, fmt.Errorf("invalid Protobuf schema: %w", err)
	}
	return fs[0], nil
}

// Message finds the message the serializer writes: name (full, or simple
// when it is unique), or the file's first message as Confluent's
// serializer takes by default.
func Message(fd protoreflect.FileDescriptor, name string) (protoreflect.MessageDescriptor, error) {
	if name == "" {
		if fd.Messages().Len() == 0 {
			return nil, errors.New("the Protobuf schema has no message")
		}
		return fd.Messages().Get(0), nil
	}
	var found []protoreflect.MessageDescriptor
	var all []string
	var walk func(ms protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			m := ms.Get(i)
			if m.IsMapEntry() {
				continue
			}
			all = append(all, string(m.FullName()))
			full := strings.TrimPrefix(name, ".")
			if string(m.FullName()) == full || (!strings.Contains(full, ".") && string(m.Name()) == full) {
				found = append(found, m)
			}
			walk(m.Messages())
		}
	}
	walk(fd.Messages())
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		sort.Strings(all)
		return nil, fmt.Errorf("the Protobuf schema has no message %q (it has %s)", name, strings.Join(all, ", "))
	}
	return nil, fmt.Errorf("several messages are named %q: give the full name", name)
}

// Indexes is Confluent's message-index path of md: its index among the
// file's top-level messages, then among each nesting's messages.
func Indexes(md protoreflect.MessageDescriptor) []int {
	var idx []int
	for d := protoreflect.Descriptor(md); ; {
		idx = append(idx, d.Index())
		p := d.Parent()
		if _, ok := p.(protoreflect.MessageDescriptor); !ok {
			break
		}
		d = p
	}
	for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx
}

// AppendIndexes writes the message-index array as Confluent's serializers
// do: the count then each index, zig-zag varints, and [0] (the first
// message, the common case) as the single byte 0.
func AppendIndexes(dst []byte, idx []int) []byte {
	if len(idx) == 1 && idx[0] == 0 {
		return append(dst, 0)
	}
	dst = appendZigZag(dst, int64(len(idx)))
	for _, i := range idx {
		dst = appendZigZag(dst, int64(i))
	}
	return dst
}

func appendZigZag(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

func readZigZag(b []byte) (int64, int, error) {
	var u uint64
	for i := 0; i < len(b) && i < 10; i++ {
		u |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return int64(u>>1) ^ -int64(u&1), i + 1, nil
		}
	}
	return 0, 0, io.ErrUnexpectedEOF
}

// ReadIndexes reads the message-index array off b.
func ReadIndexes(b []byte) ([]int, []byte, error) {
	n, k, err := readZigZag(b)
	if err != nil {
		return nil, nil, fmt.Errorf("message indexes: %w", err)
	}
	b = b[k:]
	if n == 0 {
		return []int{0}, b, nil
	}
	if n < 0 || n > 64 {
		return nil, nil, fmt.Errorf("message indexes: count %d", n)
	}
	idx := make([]int, n)
	for i := range idx {
		v, k, err := readZigZag(b)
		if err != nil {
			return nil, nil, fmt.Errorf("message indexes: %w", err)
		}
		if v < 0 || v > 1<<20 {
			return nil, nil, fmt.Errorf("message indexes: index %d", v)
		}
		idx[i], b = int(v), b[k:]
	}
	return idx, b, nil
}

// ByIndexes finds the message an index path names in fd.
func ByIndexes(fd protoreflect.FileDescriptor, idx []int) (protoreflect.MessageDescriptor, error) {
	ms := fd.Messages()
	var md protoreflect.MessageDescriptor
	for _, i := range idx {
		if i >= ms.Len() {
			return nil, fmt.Errorf("message index path %v does not name a message of the schema", idx)
		}
		md = ms.Get(i)
		ms = md.Messages()
	}
	if md == nil {
		return nil, errors.New("empty message index path")
	}
	return md, nil
}
