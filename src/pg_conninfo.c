/*
 * pg_conninfo — --db's value as PostgreSQL sees it: telling a libpq
 * connection string or URI from a SQLite path (pg_is_conninfo), showing it
 * without its password (pg_conninfo_masked), and taking any text that could
 * be its password out of libpq's messages (pg_scrub_password).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pg_internal.h"

/* ---- connection strings ---------------------------------------------------- */

static bool is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

/* libpq's own keywords (PQconninfoParse of "" lists every one). */
static bool known_keyword(const char *word, size_t n)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse("", &msg);
	PQfreemem(msg);
	bool known = false;
	for (const PQconninfoOption *o = opts; o && o->keyword && !known; o++)
		known = strlen(o->keyword) == n && strncmp(o->keyword, word, n) == 0;
	PQconninfoFree(opts);
	return known;
}

static bool ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* After the identifier at s (n bytes), optional blanks and an '='. */
static bool assigns(const char *s, size_t n)
{
	s += n;
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '=';
}

/* The shape of a keyword=value string, whether libpq can read it or not:
 * it starts with an identifier and '=' ("host=x", "dbname = lab garbage"),
 * or holds a known keyword and '=' after a blank ("lab.db host=x"). */
static bool conninfo_shaped(const char *s)
{
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (ident_start(*p)) {
		size_t n = 1;
		while (ident_char(p[n]))
			n++;
		if (assigns(p, n))
			return true;
	}
	for (p = s; *p; p++) {
		if (!isspace((unsigned char)*p) || !ident_start(p[1]))
			continue;
		size_t n = 1;
		while (ident_char(p[1 + n]))
			n++;
		if (assigns(p + 1, n) && known_keyword(p + 1, n))
			return true;
	}
	return false;
}

bool pg_is_conninfo(const char *db_arg)
{
	if (!db_arg || !*db_arg)
		return false;
	if (is_uri(db_arg))
		return true;
	struct stat st;
	if (stat(db_arg, &st) == 0) /* an existing file is SQLite's, whatever its name */
		return false;
	return conninfo_shaped(db_arg);
}

/* Appends n bytes of s to buf[*len..cap), cutting at cap. */
static void put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= cap)
		return;
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

static bool key_names_password(const char *key, size_t n)
{
	char decoded[64];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < sizeof decoded; i++) {
		char c = key[i];
		if (c == '%' && i + 2 < n + 0 && isxdigit((unsigned char)key[i + 1]) && isxdigit((unsigned char)key[i + 2])) {
			char hex[3] = { key[i + 1], key[i + 2], 0 };
			c = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		decoded[k++] = (char)tolower((unsigned char)c);
	}
	decoded[k] = '\0';
	return strstr(decoded, "pass") != NULL;
}

/* A URI without the password of its user info and without any query
 * parameter whose name says password; the rest as written. */
static void mask_uri(const char *uri, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	const char *p = strstr(uri, "://") + 3;
	put(buf, cap, &len, uri, (size_t)(p - uri));
	size_t auth = strcspn(p, "@/"); /* libpq: user info ends at the first '@' before any '/' */
	if (p[auth] == '@') {
		size_t user = strcspn(p, ":@");
		put(buf, cap, &len, p, user);
		put(buf, cap, &len, "@", 1);
		p += auth + 1;
	}
	size_t rest = strcspn(p, "?");
	put(buf, cap, &len, p, rest);
	p += rest;
	if (*p != '?')
		return;
	p++;
	bool first = true;
	while (*p) {
		size_t n = strcspn(p, "&");
		size_t key = strcspn(p, "=&");
		if (!key_names_password(p, key < n ? key : n)) {
			put(buf, cap, &len, first ? "?" : "&", 1);
			put(buf, cap, &len, p, n);
			first = false;
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

void pg_conninfo_masked(const char *db_arg, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	buf[0] = '\0';
	if (!db_arg)
		return;
	if (is_uri(db_arg)) {
		mask_uri(db_arg, buf, cap);
		return;
	}
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(db_arg, &msg);
	PQfreemem(msg);
	if (!opts) { /* nothing of it is shown: where its password is cannot be told */
		(void)snprintf(buf, cap, "(a connection string libpq cannot read)");
		return;
	}
	PQconninfoFree(opts);
	/* libpq read it: key = value pairs, a value bare or in quotes with
	 * backslash escapes. Copied in the order written, but the password. */
	size_t len = 0;
	const char *p = db_arg;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *key = p;
		p += strcspn(p, "= \t\n\r\f\v");
		size_t klen = (size_t)(p - key);
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '=')
			p++;
		while (isspace((unsigned char)*p))
			p++;
		const char *value = p;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++) {
				if (*p == '\\' && p[1])
					p++;
			}
			if (*p)
				p++;
		} else {
			while (*p && !isspace((unsigned char)*p)) {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
		}
		if (klen == 8 && strncmp(key, "password", 8) == 0)
			continue;
		if (len > 0)
			put(buf, cap, &len, " ", 1);
		put(buf, cap, &len, key, klen);
		put(buf, cap, &len, "=", 1);
		put(buf, cap, &len, value, (size_t)(p - value));
	}
}

static char *find(char *hay, const char *needle, size_t n)
{
	for (; *hay; hay++) {
		if (strncmp(hay, needle, n) == 0)
			return hay;
	}
	return NULL;
}

/* Replaces every occurrence of secret (when not empty) in msg with "***". */
static void scrub(char *msg, size_t cap, const char *secret, size_t n)
{
	if (n == 0)
		return;
	char *hit;
	while ((hit = find(msg, secret, n)) != NULL) {
		size_t tail = strlen(hit + n);
		if (n >= 3) {
			memcpy(hit, "***", 3);
			memmove(hit + 3, hit + n, tail + 1);
		} else {
			memmove(hit, hit + n, tail + 1);
		}
		(void)cap;
	}
}

/* libpq's messages about a connection string may quote it: any text that
 * could be its password (a URI's user info, a password key's value, as
 * written and as libpq read it) is taken out of msg. */
void pg_scrub_password(const char *conninfo, char *msg, size_t cap)
{
	if (is_uri(conninfo)) {
		const char *p = strstr(conninfo, "://") + 3;
		size_t auth = strcspn(p, "@/");
		size_t user = strcspn(p, ":@/");
		if (p[auth] == '@' && p[user] == ':')
			scrub(msg, cap, p + user + 1, auth - user - 1);
	}
	for (const char *k = conninfo; (k = strstr(k, "password")) != NULL; k += 8) {
		const char *v = k + 8;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t n = *v == '\'' ? strcspn(v + 1, "'") + 1 : strcspn(v, " \t&");
		scrub(msg, cap, v, n);
		if (*v == '\'')
			scrub(msg, cap, v + 1, n - 1);
	}
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	PQfreemem(perr);
	for (const PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (o->val && strcmp(o->keyword, "password") == 0)
			scrub(msg, cap, o->val, strlen(o->val));
	}
	PQconninfoFree(opts);
}

