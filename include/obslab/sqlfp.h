/*
 * sqlfp — SQL fingerprints: the shape of a statement without its values.
 *
 * sqlfp_normalize turns "select * from t where a = 'x' and b in (1, 2, 3)"
 * into "SELECT * FROM t WHERE a = ? AND b IN (?)": literals (strings,
 * numbers, blobs, NULL/TRUE/FALSE) and parameters become ?, comments are
 * dropped, whitespace is folded, keywords are upper-cased, IN lists collapse
 * to IN (?) and trailing semicolons go. Equal shapes give equal output.
 * Pure functions over caller-owned buffers; no allocation, any thread;
 * sqlfp_intern alone also interns its result.
 */
#ifndef OBSLAB_SQLFP_H
#define OBSLAB_SQLFP_H

#include <stddef.h>
#include <stdint.h>

/* Writes the fingerprint of sql[0..len) (or up to a NUL before len) to out (always NUL-terminated when
 * cap > 0) and returns its full length; a result >= cap means it was cut. */
size_t sqlfp_normalize(const char *sql, size_t len, char *out, size_t cap);

struct strtab;

#define SQLFP_MAX_LEN 2048 /* sqlfp_intern keeps fingerprints up to this long */

/* The id, in names, of sql[0..len)'s fingerprint (cut at SQLFP_MAX_LEN):
 * how obslab names a query span, whichever way its SQL arrived. The one
 * function here that writes: names (see strtab.h for its one writer). */
uint32_t sqlfp_intern(struct strtab *names, const char *sql, size_t len);

/* The statement's operation, its first keyword ("SELECT"), or "" if none. */
size_t sqlfp_operation(const char *fingerprint, char *out, size_t cap);

/* The first table named after FROM, INTO, UPDATE or JOIN ("orders"), or "". */
size_t sqlfp_collection(const char *fingerprint, char *out, size_t cap);

/* The first column the WHERE clause tests ("user_id"), or "". */
size_t sqlfp_where_column(const char *fingerprint, char *out, size_t cap);

#endif
