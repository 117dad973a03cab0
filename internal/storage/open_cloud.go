//go:build cloud

package storage

// The cloud drivers register s3://, gs:// and azblob:// with gocloud's
// default URL mux. They bring the AWS, Google Cloud and Azure SDKs, so
// they are linked only into builds made with -tags cloud.
import (
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)
