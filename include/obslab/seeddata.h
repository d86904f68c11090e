/*
 * seeddata — the lab's seed data, one user at a time: the username, the
 * email and the orders (product, quantity) of user id for a seed. SQLite
 * (db.c) and PostgreSQL (pg_seed.c) both seed from here, so the two hold
 * byte-identical users and orders for the same seed and scale.
 *
 * A user's data derives from (seed, id) alone: user 7 is the same at any
 * scale. Pure: no allocation, any thread; the product names point into the
 * catalogue (db_product_names), which lives for the process.
 */
#ifndef OBSLAB_SEEDDATA_H
#define OBSLAB_SEEDDATA_H

#include <stdbool.h>
#include <stdint.h>

#include "obslab/db.h"

struct seeddata_order {
	const char *product; /* a db_product_names entry */
	uint32_t quantity;   /* 1 .. DB_MAX_QUANTITY */
};

struct seeddata_user {
	uint32_t id;
	char username[32]; /* "user_07" */
	char email[48];    /* "user07@example.com" */
	uint32_t norders;  /* DB_MIN_ORDERS_PER_USER .. DB_MAX_ORDERS_PER_USER */
	struct seeddata_order orders[DB_MAX_ORDERS_PER_USER];
};

void seeddata_user(uint64_t seed, uint32_t id, struct seeddata_user *out);

/*
 * What the orders of users 1..users come to for a seed, as seeding writes
 * them: how many, and the sums of their user ids, their quantities and the
 * bytes of their product names. Seeding (db_seed, pg_seed) reads the same
 * figures off the orders table in one scan (SEEDDATA_TOTALS_SQL) and
 * rebuilds a table whose figures differ: another program emptied, deleted,
 * moved or changed orders. Exact for the seed's own rows; a change that
 * keeps all four sums is not seen (it would have to be made for that).
 */
struct seeddata_totals {
	uint64_t orders, user_ids, quantity, name_bytes;
};
void seeddata_totals(uint64_t seed, uint32_t users, struct seeddata_totals *out);

/* The scan, over TABLE with BYTES(product_name) the engine's byte length
 * (SQLite: length(CAST(x AS BLOB)), PostgreSQL: octet_length(x)): one text
 * value, the four figures separated by spaces. */
#define SEEDDATA_TOTALS_SQL(table, bytes)                                                                         \
	"SELECT count(*) || ' ' || coalesce(sum(user_id), 0) || ' ' || coalesce(sum(quantity), 0) || ' ' ||"     \
	" coalesce(sum(" bytes "), 0) FROM " table

/* Whether text (that scan's value) says exactly want. */
bool seeddata_totals_match(const char *text, const struct seeddata_totals *want);

#endif
