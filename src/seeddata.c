/* seeddata — one user's seed data (see seeddata.h): the generator both
 * engines seed from. */
#include "obslab/seeddata.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "obslab/rng.h"

/* A user's orders: they depend only on the seed and the user's id. */
static uint32_t user_orders(uint64_t seed, uint32_t id, struct seeddata_order *orders)
{
	struct rng r;
	rng_seed(&r, seed ^ ((uint64_t)id * UINT64_C(0x9e3779b97f4a7c15)));
	uint32_t n = rng_range(&r, DB_MIN_ORDERS_PER_USER, DB_MAX_ORDERS_PER_USER);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t product = rng_range(&r, 0, (uint32_t)db_product_count - 1);
		orders[k].product = db_product_names[product];
		orders[k].quantity = rng_range(&r, 1, DB_MAX_QUANTITY);
	}
	return n;
}

void seeddata_user(uint64_t seed, uint32_t id, struct seeddata_user *out)
{
	out->id = id;
	/* Cannot be cut: a uint32 has at most 10 digits. */
	(void)snprintf(out->username, sizeof out->username, "user_%02" PRIu32, id);
	(void)snprintf(out->email, sizeof out->email, "user%02" PRIu32 "@example.com", id);
	out->norders = user_orders(seed, id, out->orders);
}

void seeddata_totals(uint64_t seed, uint32_t users, struct seeddata_totals *out)
{
	memset(out, 0, sizeof *out);
	struct seeddata_order orders[DB_MAX_ORDERS_PER_USER];
	for (uint32_t id = 1; id <= users && id != 0; id++) {
		uint32_t n = user_orders(seed, id, orders);
		out->orders += n;
		out->user_ids += (uint64_t)id * n;
		for (uint32_t k = 0; k < n; k++) {
			out->quantity += orders[k].quantity;
			out->name_bytes += strlen(orders[k].product);
		}
	}
}

bool seeddata_totals_match(const char *text, const struct seeddata_totals *want)
{
	unsigned long long got[4];
	int end = 0;
	if (!text || sscanf(text, "%llu %llu %llu %llu%n", &got[0], &got[1], &got[2], &got[3], &end) != 4 || text[end])
		return false;
	return got[0] == want->orders && got[1] == want->user_ids && got[2] == want->quantity &&
	       got[3] == want->name_bytes;
}
