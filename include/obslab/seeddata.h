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

#endif
