/*
 * gzip — Content-Encoding: gzip for OTLP/HTTP bodies, with zlib.
 *
 * gzip_inflate takes one gzip stream (several members one after another,
 * as gzip(1) may write, are read as one body) and never allocates more
 * than max_out bytes for the result: a body that inflates past it (a
 * "gzip bomb") is GZIP_TOO_LARGE, found as soon as the limit is passed.
 * Anything that is not a whole, valid gzip stream (bad header, bad CRC,
 * cut short, bytes after it) is GZIP_BAD. The result replaces out's
 * content (out->len 0 unless GZIP_OK). gzip_deflate writes one gzip
 * member. The caller owns out (otlp_buf_free). Any thread.
 */
#ifndef OBSLAB_GZIP_H
#define OBSLAB_GZIP_H

#include <stddef.h>

#include "obslab/otlp.h"

enum gzip_status { GZIP_OK, GZIP_BAD, GZIP_TOO_LARGE };

enum gzip_status gzip_inflate(const void *in, size_t len, size_t max_out, struct otlp_buf *out);
void gzip_deflate(const void *in, size_t len, struct otlp_buf *out);

#endif
