//go:build cloud

package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"sort"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"golang.org/x/sync/errgroup"
)

// deleteConcurrency bounds the in-flight deletes of DeletePrefix: object
// stores delete one key per request, so a purge of a large execution is
// latency-bound, but an unbounded fan-out would trip request-rate limits.
const deleteConcurrency = 16

// deletePageSize is how many keys DeletePrefix lists (and holds) at a time;
// a variable so tests can cross page boundaries with few files.
var deletePageSize = 1000

// Blob stores files in an object-store bucket (gocloud.dev/blob): S3, GCS,
// Azure Blob, or the in-memory and file drivers. A URI maps to the key
// prefix + uri.Path without its leading slash.
type Blob struct {
	bucket *blob.Bucket
	prefix string
}

// NewBlob returns a store over bucket; every key starts with prefix (a
// folder inside the bucket, "" for the whole bucket). Leading slashes are
// dropped and a trailing one added so prefix "runs" and "/runs/" agree.
func NewBlob(bucket *blob.Bucket, prefix string) *Blob {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &Blob{bucket: bucket, prefix: prefix}
}

// Bucket is the bucket behind the store.
func (b *Blob) Bucket() *blob.Bucket { return b.bucket }

// Prefix is the key prefix of every file ("" or ending in "/").
func (b *Blob) Prefix() string { return b.prefix }

// Close closes the bucket.
func (b *Blob) Close() error { return b.bucket.Close() }

func (b *Blob) key(u URI) string { return b.prefix + strings.TrimPrefix(u.Path, "/") }

func (b *Blob) uri(key string) URI { return URI{Path: "/" + strings.TrimPrefix(key, b.prefix)} }

// wrapErr maps a driver's NotFound to ErrNotFound and names the URI.
func wrapErr(op string, u URI, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%s %s: %w", op, u, ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, u, err)
}

type blobUpload struct {
	w      *blob.Writer
	cancel context.CancelFunc
	uri    URI
	closed bool
}

// Create starts an upload streamed through bucket.NewWriter.
//
// Atomicity rests on the gocloud contract: NewWriter's doc says "The blob
// being written is not guaranteed to be readable until Close has been
// called; until then, any previous blob will still be readable" and "To
// abort a write, cancel ctx"; driver.Bucket.NewTypedWriter requires that
// "Implementations should abort an ongoing write if ctx is later canceled,
// and do any necessary cleanup in Close. Close should then return
// ctx.Err()". So the upload gets its own cancellable context, Commit is
// Writer.Close, and Close-without-Commit cancels first and only then closes
// the writer: by the time the driver finishes (S3's final PutObject or
// CompleteMultipartUpload, GCS's last chunk, Azure's PutBlockList, the
// file driver's rename, memblob's map insert) the context is already
// cancelled, so the object is never published.
func (b *Blob) Create(ctx context.Context, u URI) (Upload, error) {
	ctx, cancel := context.WithCancel(ctx)
	ct := mime.TypeByExtension(path.Ext(u.Path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	// An explicit ContentType makes gocloud open the driver writer now
	// instead of buffering the first 512 bytes to sniff one.
	w, err := b.bucket.NewWriter(ctx, b.key(u), &blob.WriterOptions{ContentType: ct})
	if err != nil {
		cancel()
		return nil, wrapErr("creating", u, err)
	}
	return &blobUpload{w: w, cancel: cancel, uri: u}, nil
}

func (up *blobUpload) Write(p []byte) (int, error) {
	if up.closed {
		return 0, errors.New("write to a closed upload")
	}
	n, err := up.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", up.uri, err)
	}
	return n, nil
}

func (up *blobUpload) Commit() error {
	if up.closed {
		return errors.New("commit of a closed upload")
	}
	up.closed = true
	err := up.w.Close()
	up.cancel() // releases the context; the write is over either way
	if err != nil {
		return fmt.Errorf("publishing %s: %w", up.uri, err)
	}
	return nil
}

func (up *blobUpload) Close() error {
	if up.closed {
		return nil
	}
	up.closed = true
	up.cancel() // must precede Close: see Create
	err := up.w.Close()
	if err == nil || errors.Is(err, context.Canceled) || gcerrors.Code(err) == gcerrors.Canceled {
		// Drivers report the abort we asked for as ctx.Err().
		return nil
	}
	return fmt.Errorf("discarding %s: %w", up.uri, err)
}

// Open streams a stored file.
func (b *Blob) Open(ctx context.Context, u URI) (io.ReadCloser, error) {
	r, err := b.bucket.NewReader(ctx, b.key(u), nil)
	if err != nil {
		return nil, wrapErr("opening", u, err)
	}
	return r, nil
}

// Stat describes a stored file.
func (b *Blob) Stat(ctx context.Context, u URI) (Info, error) {
	a, err := b.bucket.Attributes(ctx, b.key(u))
	if err != nil {
		return Info{}, wrapErr("stat", u, err)
	}
	return Info{URI: u, Size: a.Size, ModTime: a.ModTime}, nil
}

// List returns the files under prefix, recursively, sorted by path. As with
// Local, a prefix that names a file lists that file.
func (b *Blob) List(ctx context.Context, prefix URI) ([]Info, error) {
	var out []Info
	it := b.bucket.List(&blob.ListOptions{Prefix: b.key(prefix) + "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, wrapErr("listing", prefix, err)
		}
		if obj.IsDir { // only with a Delimiter, which we never set
			continue
		}
		out = append(out, Info{URI: b.uri(obj.Key), Size: obj.Size, ModTime: obj.ModTime})
	}
	if len(out) == 0 {
		// Local lists a file given as the prefix; an object store has no
		// folders, so look for the key itself (only when nothing is under
		// it, to spend the request on the rare case).
		info, err := b.Stat(ctx, prefix)
		if err == nil {
			return []Info{info}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, nil
	}
	// Stores list in key byte order, which is path order, but the file
	// driver walks folders (a/b/c before a/b.txt); sorting keeps one
	// contract for all of them.
	sort.Slice(out, func(i, j int) bool { return out[i].URI.Path < out[j].URI.Path })
	return out, nil
}

// Delete removes one file; a missing file is not an error.
func (b *Blob) Delete(ctx context.Context, u URI) error {
	err := b.bucket.Delete(ctx, b.key(u))
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return wrapErr("deleting", u, err)
	}
	return nil
}

// DeletePrefix removes every file under prefix (and a file named prefix
// itself, as Local does). It lists a page of keys at a time and deletes
// each page with bounded concurrency, so memory stays flat however large
// the execution; gocloud's ListPage documents that deleting listed items
// between pages is expected.
func (b *Blob) DeletePrefix(ctx context.Context, prefix URI) error {
	// Look before deleting the key itself: the file driver maps a key to a
	// path, and deleting the key of a non-empty folder fails there.
	if _, err := b.bucket.Attributes(ctx, b.key(prefix)); err == nil {
		if err := b.Delete(ctx, prefix); err != nil {
			return err
		}
	} else if gcerrors.Code(err) != gcerrors.NotFound {
		return wrapErr("purging", prefix, err)
	}
	opts := &blob.ListOptions{Prefix: b.key(prefix) + "/"}
	token := blob.FirstPageToken
	for len(token) > 0 {
		objs, next, err := b.bucket.ListPage(ctx, token, deletePageSize, opts)
		if err != nil {
			return wrapErr("listing", prefix, err)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(deleteConcurrency)
		for _, obj := range objs {
			if obj.IsDir {
				continue
			}
			key := obj.Key
			g.Go(func() error {
				err := b.bucket.Delete(gctx, key)
				if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
					return wrapErr("deleting", b.uri(key), err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return fmt.Errorf("purging %s: %w", prefix, err)
		}
		token = next
	}
	return nil
}
