package remote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/batonkit/batonkit/internal/atomicfile"
	"github.com/batonkit/batonkit/internal/safefs"
	"github.com/batonkit/batonkit/internal/safetext"
)

// Errors callers test with errors.Is.
var (
	// ErrBadURL: not s3://bucket/key.
	ErrBadURL = errors.New("not an s3://bucket/key URL")
	// ErrUpload: the sync finished but its file is not in the bucket yet;
	// the local copy is kept and uploaded by the next run.
	ErrUpload = errors.New("upload to object storage failed")
	// ErrNotFound: no such bucket or object.
	ErrNotFound = errors.New("not in object storage")
	// ErrTooLarge: the object is larger than the configured limit.
	ErrTooLarge = errors.New("object larger than the limit")
)

// Options configure Open.
type Options struct {
	Endpoint    string // an S3-compatible endpoint (default: AWS's for the region)
	PathStyle   bool   // bucket in the path, as most S3-compatible stores want
	Region      string // default: the AWS chain's, else us-east-1
	SSE         string // server-side encryption: "AES256" or "aws:kms"
	SSEKMSKeyID string // the KMS key for aws:kms (default: the bucket's)
	CacheDir    string // where local copies live (default: the user cache directory)
	MaxSize     int64  // the largest object Download accepts (default 32 GiB)
	PartSize    int64  // multipart part size (default 16 MiB)
	Logger      *slog.Logger
	// HTTPClient overrides the SDK's (tests; proxies).
	HTTPClient aws.HTTPClient
}

// IsURL reports whether path names an object (s3://...).
func IsURL(path string) bool { return strings.HasPrefix(path, "s3://") }

// File is one object and its local working copy.
type File struct {
	URL, Bucket, Key string
	// Local is the working copy a sync writes.
	Local string
	c     *s3.Client
	o     Options
}

// Open parses an s3:// URL and sets up its client and local path.
func Open(ctx context.Context, rawURL string, o Options) (*File, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" || strings.Trim(u.Path, "/") == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("%w: %q", ErrBadURL, rawURL)
	}
	f := &File{URL: rawURL, Bucket: u.Host, Key: strings.TrimPrefix(u.Path, "/"), o: o}
	if f.o.Logger == nil {
		f.o.Logger = slog.New(slog.DiscardHandler)
	}
	if f.o.MaxSize <= 0 {
		f.o.MaxSize = 32 << 30
	}
	if f.o.PartSize <= 0 {
		f.o.PartSize = 16 << 20
	}
	// The SDK's own logging would print request details; errors say
	// what matters.
	loads := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if o.Region != "" {
		loads = append(loads, awsconfig.WithRegion(o.Region))
	}
	if o.HTTPClient != nil {
		loads = append(loads, awsconfig.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	cfg.Region = cmp.Or(cfg.Region, "us-east-1")
	// An error answer is read only so far: the SDK would read a 600 MB
	// "message" whole, into memory and into the error.
	cfg.HTTPClient = boundedErrors{cfg.HTTPClient}
	f.c = s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.PathStyle
	})
	// One copy per bucket and key; keys are paths, kept as such under a
	// directory per bucket, never outside it.
	key := filepath.FromSlash(f.Key)
	if !filepath.IsLocal(key) {
		return nil, fmt.Errorf("%w: key %q leaves its directory", ErrBadURL, f.Key)
	}
	// The copy is synced, resumed and uploaded: every directory on the way
	// to it is ours alone, never one another user made under a shared
	// $TMPDIR (with HOME unset, as in a system unit).
	sub := []string{"s3", f.Bucket, filepath.Dir(key)}
	var dir string
	if o.CacheDir == "" {
		dir, err = safefs.UserCache(append([]string{"baton"}, sub...)...)
	} else if err = safefs.EnsurePrivateDir(o.CacheDir); err == nil {
		dir, err = safefs.PrivateDir(o.CacheDir, sub...)
	}
	if err != nil {
		return nil, fmt.Errorf("the local cache for %s: %w", rawURL, err)
	}
	f.Local = filepath.Join(dir, filepath.Base(key))
	return f, nil
}

// pending marks a local copy whose upload failed.
func (f *File) pending() string { return f.Local + ".upload-pending" }

// Sync brings the local copy up to date (uploading one a previous run
// could not, or downloading the object when there is no local copy),
// runs sync on it, and uploads the result.
func (f *File) Sync(ctx context.Context, sync func(local string) error) error {
	if err := f.Prepare(ctx); err != nil {
		return err
	}
	if err := sync(f.Local); err != nil {
		return err
	}
	return f.Upload(ctx)
}

// Prepare makes the local copy current before a sync: a copy whose
// upload failed is uploaded first (it is newer than the object); with no
// local copy, the object is downloaded if it exists, so the file keeps
// its history of syncs.
func (f *File) Prepare(ctx context.Context) error {
	if fi, err := safefs.CheckFile(f.pending()); err != nil {
		return err
	} else if fi != nil {
		f.o.Logger.Info("uploading the sync file a previous run could not", "file", f.Local, "to", f.URL)
		if err := f.Upload(ctx); err != nil {
			return err
		}
		return nil
	}
	if fi, err := safefs.CheckFile(f.Local); err != nil {
		return err
	} else if fi != nil {
		return nil
	}
	err := f.Download(ctx, f.Local)
	if errors.Is(err, ErrNotFound) && !f.bucketMissing(ctx) {
		return nil // the first sync into this key
	}
	return err
}

func (f *File) bucketMissing(ctx context.Context) bool {
	_, err := f.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(f.Bucket)})
	return err != nil
}

// Upload writes the local copy to the object, multipart when large. On
// failure the copy is kept and marked, and the error (ErrUpload) says
// where it is.
func (f *File) Upload(ctx context.Context) error {
	// Only the user's own copy goes to the bucket, never what a link
	// planted in its place points to.
	in, err := safefs.OpenOwned(f.Local, os.O_RDONLY)
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.URL, err)
	}
	defer in.Close()
	put := &transfermanager.UploadObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(f.Key), Body: in, ContentType: aws.String("application/octet-stream")}
	switch f.o.SSE {
	case "":
	case "AES256":
		put.ServerSideEncryption = tmtypes.ServerSideEncryptionAes256
	case "aws:kms":
		put.ServerSideEncryption = tmtypes.ServerSideEncryptionAwsKms
		if f.o.SSEKMSKeyID != "" {
			put.SSEKMSKeyID = aws.String(f.o.SSEKMSKeyID)
		}
	default:
		return fmt.Errorf("--s3-sse %q: want AES256 or aws:kms", f.o.SSE)
	}
	up := transfermanager.New(f.c, func(o *transfermanager.Options) { o.PartSizeBytes = f.o.PartSize })
	if _, err := up.UploadObject(ctx, put); err != nil {
		mark := f.markPending()
		return fmt.Errorf("%w: %s: %v; the sync is kept in %s and the next run uploads it first%s", ErrUpload, f.URL, describe(err), f.Local, markNote(mark))
	}
	os.Remove(f.pending())
	f.o.Logger.Info("sync file uploaded", "to", f.URL)
	return nil
}

// markPending leaves the marker that makes the next run upload first.
func (f *File) markPending() error {
	m, err := safefs.OpenOwned(f.pending(), os.O_WRONLY|os.O_CREATE)
	if err != nil {
		return err
	}
	return errors.Join(m.Sync(), m.Close())
}

func markNote(err error) string {
	if err != nil {
		return fmt.Sprintf(" (could not mark it: %v; upload it by hand)", err)
	}
	return ""
}

// Download writes the object to dst (a new file, 0600, atomically),
// refusing objects over the size limit before reading them.
func (f *File) Download(ctx context.Context, dst string) error {
	out, err := f.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(f.Key)})
	if err != nil {
		return fmt.Errorf("download %s: %w", f.URL, classify(err))
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > f.o.MaxSize {
		return fmt.Errorf("download %s: %w (%d bytes, limit %d)", f.URL, ErrTooLarge, n, f.o.MaxSize)
	}
	return atomicfile.Write(dst, func(w io.Writer) error {
		n, err := io.Copy(w, io.LimitReader(out.Body, f.o.MaxSize+1))
		if err == nil && n > f.o.MaxSize {
			err = fmt.Errorf("%w (limit %d)", ErrTooLarge, f.o.MaxSize)
		}
		if err != nil {
			return fmt.Errorf("download %s: %w", f.URL, err)
		}
		return nil
	})
}

// classify maps the service's answers to ErrNotFound where it applies.
func classify(err error) error {
	var nk *types.NoSuchKey
	var nb *types.NoSuchBucket
	var api smithy.APIError
	switch {
	case errors.As(err, &nk), errors.As(err, &nb):
		return fmt.Errorf("%w: %v", ErrNotFound, describe(err))
	case errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NoSuchBucket"):
		return fmt.Errorf("%w: %v", ErrNotFound, describe(err))
	}
	return errors.New(describe(err))
}

// describe is the service's error code and message, without the request
// details (signed headers) the SDK's full text carries.
func describe(err error) string {
	var api smithy.APIError
	msg := err.Error()
	if errors.As(err, &api) {
		msg = api.ErrorCode() + ": " + api.ErrorMessage()
	}
	// The endpoint's words: bounded, escaped, no credentials.
	return safetext.Line(safetext.Clip(msg, maxMessage))
}

// The most of an error answer's body read, and of its message kept: S3
// error documents are a few hundred bytes.
const (
	maxErrorBody = 64 << 10
	maxMessage   = 1024
)

// boundedErrors cuts the body of every answer that is not a success at
// maxErrorBody bytes.
type boundedErrors struct{ aws.HTTPClient }

func (b boundedErrors) Do(r *http.Request) (*http.Response, error) {
	resp, err := b.HTTPClient.Do(r)
	if err == nil && resp.StatusCode >= 300 && resp.Body != nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxErrorBody), resp.Body}
	}
	return resp, err
}

// List names every .c1z object under an s3://bucket/prefix/ URL (the
// whole bucket for s3://bucket/), as s3:// URLs in key order.
func List(ctx context.Context, rawURL string, o Options) ([]string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("%w: %q", ErrBadURL, rawURL)
	}
	// Open sets up the client; the placeholder key is never read.
	f, err := Open(ctx, "s3://"+u.Host+"/list", o)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimPrefix(u.Path, "/")
	var out []string
	pages := s3.NewListObjectsV2Paginator(f.c, &s3.ListObjectsV2Input{Bucket: aws.String(u.Host), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", rawURL, classify(err))
		}
		for _, obj := range page.Contents {
			if k := aws.ToString(obj.Key); strings.HasSuffix(k, ".c1z") {
				out = append(out, "s3://"+u.Host+"/"+k)
			}
		}
	}
	return out, nil
}
