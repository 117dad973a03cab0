package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gocloud.dev/blob"
	// The file and in-memory drivers are small and always linked; the
	// cloud drivers (s3blob, gcsblob, azureblob) pull in the AWS, Google
	// and Azure SDKs and are linked only with -tags cloud (open_cloud.go).
	_ "gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

// cloudSchemes are the object-store schemes whose drivers open_cloud.go
// links in a -tags cloud build.
var cloudSchemes = map[string]bool{"s3": true, "gs": true, "azblob": true}

// Open returns the store a --storage location names:
//
//	/var/lib/sluice/storage, ./storage  a local folder (NewLocal)
//	file:///var/lib/sluice/storage      the same
//	mem://                              an empty in-memory bucket (tests, dry runs)
//	s3://bucket/prefix?region=eu-west-1 S3 or an S3-compatible store (-tags cloud)
//	gs://bucket/prefix                  Google Cloud Storage (-tags cloud)
//	azblob://container/prefix           Azure Blob Storage (-tags cloud)
//
// For bucket URLs the path is the key prefix inside the bucket; the query
// is passed to the gocloud driver (region, endpoint, ...). A store that
// holds a bucket implements io.Closer.
func Open(ctx context.Context, location string) (Store, error) {
	if location == "" {
		return nil, errors.New("internal storage: empty location")
	}
	scheme, _, hasScheme := strings.Cut(location, "://")
	if !hasScheme {
		return NewLocal(location)
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("internal storage %q: %w", location, err)
	}
	switch scheme = strings.ToLower(scheme); scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("internal storage %q: a file URL needs three slashes (file:///path), got host %q", location, u.Host)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("internal storage %q: no folder", location)
		}
		return NewLocal(u.Path)
	case "mem":
		// Each mem:// is a fresh bucket: data lives as long as the process.
		return NewBlob(memblob.OpenBucket(nil), u.Path), nil
	}
	if cloudSchemes[scheme] && !blob.DefaultURLMux().ValidBucketScheme(scheme) {
		return nil, fmt.Errorf("%s:// storage needs a build with -tags cloud (go build -tags cloud ./cmd/sluice)", scheme)
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
