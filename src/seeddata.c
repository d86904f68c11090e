/* seeddata — one user's seed data (see seeddata.h): the generator both
 * engines seed from. */
#include "obslab/seeddata.h"

#include <inttypes.h>
#include <stdio.h>

#include "obslab/rng.h"

void seeddata_user(uint64_t seed, uint32_t id, struct seeddata_user *out)
{
	out->id = id;
	/* Cannot be cut: a uint32 has at most 10 digits. */
	(void)snprintf(out->username, sizeof out->username, "user_%02" PRIu32, id);
	(void)snprintf(out->email, sizeof out->email, "user%02" PRIu32 "@example.com", id);

	/* A user's orders depend only on the seed and the user's id. */
	struct rng r;
	rng_seed(&r, seed ^ ((uint64_t)id * UINT64_C(0x9e3779b97f4a7c15)));
	out->norders = rng_range(&r, DB_MIN_ORDERS_PER_USER, DB_MAX_ORDERS_PER_USER);
	for (uint32_t k = 0; k < out->norders; k++) {
		uint32_t product = rng_range(&r, 0, (uint32_t)db_product_count - 1);
		out->orders[k].product = db_product_names[product];
		out->orders[k].quantity = rng_range(&r, 1, DB_MAX_QUANTITY);
	}
}
