package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// bucketSchemes are the schemes served through gocloud.dev/blob, which is
// linked only into builds made with -tags cloud (open_blob.go): gocloud's
// core alone adds 13 MB (gRPC, OpenTelemetry) to the binary and the cloud
// SDKs another 46 MB, which a user copying files between databases should
// not pay for.
var bucketSchemes = map[string]bool{"mem": true, "s3": true, "gs": true, "azblob": true}

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
	}
	return openBucket(ctx, scheme, u, location)
}
