/*
 * gzip — Content-Encoding: gzip with zlib (gzip.h). Inflating grows the
 * output buffer as the stream needs, never past max_out: a bomb is
 * stopped at the limit, before more is allocated.
 */
#include "obslab/gzip.h"

#include <limits.h>
#include <string.h>

#include <zlib.h>

#include "obslab/xalloc.h"
#include "otlp_internal.h"

/* zlib counts in uInt: feed it at most this much at a time. */
#define CHUNK ((size_t)1 << 30)

enum gzip_status gzip_inflate(const void *in, size_t len, size_t max_out, struct otlp_buf *out)
{
	out->len = 0;
	if (max_out > SIZE_MAX / 2)
		max_out = SIZE_MAX / 2;
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) /* gzip only, not zlib or raw */
		return GZIP_BAD;
	const unsigned char *src = in;
	size_t left = len;
	enum gzip_status status = GZIP_BAD;
	for (;;) {
		if (z.avail_in == 0 && left) {
			z.next_in = (unsigned char *)(uintptr_t)src;
			z.avail_in = (uInt)(left < CHUNK ? left : CHUNK);
			src += z.avail_in;
			left -= z.avail_in;
		}
		if (out->len == max_out) {
			/* Full: is there more? One byte of room past the limit tells. */
			unsigned char probe;
			z.next_out = &probe;
			z.avail_out = 1;
			int rc = inflate(&z, Z_NO_FLUSH);
			if (z.avail_out == 0) {
				status = GZIP_TOO_LARGE;
				break;
			}
			if (rc == Z_STREAM_END && z.avail_in == 0 && !left) {
				status = GZIP_OK;
				break;
			}
			if (rc == Z_STREAM_END) { /* another member follows */
				if (inflateReset(&z) != Z_OK)
					break;
				continue;
			}
			if (rc != Z_OK)
				break;
			continue;
		}
		/* Room: double what there is, never past max_out (and one byte for a NUL). */
		if (out->cap <= out->len + 1) {
			size_t cap = out->cap ? out->cap * 2 : (len < 1024 ? 4096 : len * 4);
			if (cap < out->cap || cap - 1 > max_out)
				cap = max_out + 1;
			out->data = xrealloc(out->data, cap);
			out->cap = cap;
		}
		size_t want = out->cap - 1 - out->len;
		if (want > max_out - out->len)
			want = max_out - out->len;
		if (want > UINT_MAX)
			want = UINT_MAX;
		z.next_out = (unsigned char *)out->data + out->len;
		z.avail_out = (uInt)want;
		int rc = inflate(&z, Z_NO_FLUSH);
		out->len += want - z.avail_out;
		if (rc == Z_STREAM_END) {
			if (z.avail_in == 0 && !left) {
				status = GZIP_OK;
				break;
			}
			if (inflateReset(&z) != Z_OK) /* another member follows */
				break;
			continue;
		}
		if (rc == Z_BUF_ERROR && z.avail_in == 0 && !left)
			break; /* cut short */
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
	}
	inflateEnd(&z);
	if (status != GZIP_OK)
		out->len = 0;
	else if (out->data)
		out->data[out->len] = '\0';
	return status;
}

void gzip_deflate(const void *in, size_t len, struct otlp_buf *out)
{
	out->len = 0;
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		xmalloc(SIZE_MAX); /* zlib's only failure here is memory: abort as xalloc does */
	const unsigned char *src = in;
	size_t left = len;
	int rc;
	do {
		if (z.avail_in == 0 && left) {
			z.next_in = (unsigned char *)(uintptr_t)src;
			z.avail_in = (uInt)(left < CHUNK ? left : CHUNK);
			src += z.avail_in;
			left -= z.avail_in;
		}
		otlp_buf_reserve(out, 64 * 1024);
		size_t room = out->cap - 1 - out->len;
		if (room > UINT_MAX)
			room = UINT_MAX;
		z.next_out = (unsigned char *)out->data + out->len;
		z.avail_out = (uInt)room;
		rc = deflate(&z, left || z.avail_in ? Z_NO_FLUSH : Z_FINISH);
		out->len += room - z.avail_out;
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	out->data[out->len] = '\0';
}
