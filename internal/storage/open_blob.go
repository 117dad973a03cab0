//go:build cloud

package storage

import (
	"context"
	"fmt"
	"net/url"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
)

// cloudBuild reports that object stores are linked in.
const cloudBuild = true

// openBucket opens an object-store location through gocloud.dev/blob.
func openBucket(ctx context.Context, scheme string, u *url.URL, location string) (Store, error) {
	if scheme == "mem" {
		// Each mem:// is a fresh bucket: data lives as long as the process.
		return NewBlob(memblob.OpenBucket(nil), u.Path), nil
	}
	if !blob.DefaultURLMux().ValidBucketScheme(scheme) {
		return nil, fmt.Errorf("internal storage %q: unknown scheme %q (want a folder, file://, mem://, s3://, gs:// or azblob://)", location, scheme)
	}
	// gocloud reads the bucket from the host and ignores the path; the path
	// is our key prefix.
	prefix := u.Path
	bu := *u
	bu.Path, bu.RawPath = "", ""
	bucket, err := blob.OpenBucket(ctx, bu.String())
	if err != nil {
		return nil, fmt.Errorf("internal storage %s://%s: %w", scheme, u.Host, err)
	}
	return NewBlob(bucket, prefix), nil
}
