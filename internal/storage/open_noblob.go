//go:build !cloud

package storage

import (
	"context"
	"fmt"
	"net/url"
)

// cloudBuild reports that object stores are linked in.
const cloudBuild = false

// openBucket explains which build opens object-store locations.
func openBucket(_ context.Context, scheme string, _ *url.URL, location string) (Store, error) {
	if bucketSchemes[scheme] {
		return nil, fmt.Errorf("%s:// storage needs a build with -tags cloud (go build -tags cloud ./cmd/sluice)", scheme)
	}
	return nil, fmt.Errorf("internal storage %q: unknown scheme %q (want a folder or file://; mem://, s3://, gs:// and azblob:// with -tags cloud)", location, scheme)
}
