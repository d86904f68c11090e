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
 *
 * The promise: no literal survives. What is a literal depends on the
 * dialect: SQL from a file names its database (db.system), and every quote
 * or comment that dialect (or, unknown, any dialect) could mean hides its
 * content: strings with '' and backslash escapes, E'..', N'..', B'..',
 * X'..', U&'..', $$..$$ and $tag$..$tag$, MySQL's "..", numbers and 0x..
 * blobs, -- # and nested block comments. A quote or comment left open, or
 * a string whose end depends on how the server reads backslashes, hides
 * everything to the end of the text.
 */
#ifndef OBSLAB_SQLFP_H
#define OBSLAB_SQLFP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whose SQL a statement is: it decides what is quoted, escaped or a comment. */
enum sqlfp_dialect {
	SQLFP_SQLITE,     /* SQL that SQLite prepared (the lab's own): exactly SQLite's rules */
	SQLFP_MYSQL,      /* MySQL, MariaDB, TiDB: "..." is a string, backslash escapes, # comments */
	SQLFP_POSTGRESQL, /* PostgreSQL and kin: E'..', $tag$..$tag$, nested comments */
	SQLFP_ANY,        /* text from a file of any other or no db.system, or "sqlite": every
	                     form above except MySQL's "..." strings ("..." is an identifier) */
};

/* The dialect of a file's db.system / db.system.name value (any case); NULL,
 * "", "sqlite" (not checked by SQLite) or an unknown system: SQLFP_ANY. */
enum sqlfp_dialect sqlfp_dialect_of(const char *db_system);
/* Two declarations that disagree (a span's db.system and db.system.name,
 * or its resource's): the dialect that hides more, MySQL's if either is
 * (it reads "..." as a string), else the one that reads every form. */
enum sqlfp_dialect sqlfp_dialect_wider(enum sqlfp_dialect a, enum sqlfp_dialect b);

/* Writes the fingerprint of sql[0..len) (or up to a NUL before len) to out (always NUL-terminated when
 * cap > 0) and returns its full length; a result >= cap means it was cut. */
size_t sqlfp_normalize(const char *sql, size_t len, char *out, size_t cap);
/* The same for a dialect: sqlfp_normalize is SQLFP_SQLITE's. */
size_t sqlfp_normalize_dialect(const char *sql, size_t len, enum sqlfp_dialect dialect, char *out, size_t cap);

struct strtab;

#define SQLFP_MAX_LEN 2048 /* sqlfp_intern keeps fingerprints up to this long */

/* The id, in names, of sql[0..len)'s fingerprint (cut at SQLFP_MAX_LEN):
 * how obslab names a query span, whichever way its SQL arrived. The one
 * function here that writes: names (see strtab.h for its one writer). */
uint32_t sqlfp_intern(struct strtab *names, const char *sql, size_t len);
/* The same for SQL in a dialect: how SQL read from files is named. */
uint32_t sqlfp_intern_dialect(struct strtab *names, const char *sql, size_t len, enum sqlfp_dialect dialect);

/* The statement's operation, its first keyword ("SELECT"), or "" if none. */
size_t sqlfp_operation(const char *fingerprint, char *out, size_t cap);

/* The first table named after FROM, INTO, UPDATE or JOIN ("orders"), or "". */
size_t sqlfp_collection(const char *fingerprint, char *out, size_t cap);

/* The first column the WHERE clause tests ("user_id"), or "". */
size_t sqlfp_where_column(const char *fingerprint, char *out, size_t cap);

/* True when the fingerprint tests a list of values: "IN (?)" (how IN lists
 * collapse) or "ANY(?)" / "SOME(?)" (an array parameter, "= ANY($1)"). */
bool sqlfp_takes_list(const char *fingerprint);

#endif
