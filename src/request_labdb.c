/* request_ctx_create on the lab's database whichever its engine (labdb.h):
 * the SQLite backend or the PostgreSQL one. A file of its own so that a
 * program that only runs SQLite links neither labdb nor pg. */
#include "obslab/labdb.h"
#include "obslab/request.h"
#include "request_backend.h"

struct request_ctx *request_ctx_create(struct labdb *db, struct tracer *tracer, struct strtab *names,
                                       struct ring *logs)
{
	struct request_backend *b = labdb_engine(db) == LABDB_POSTGRESQL ? request_backend_pg(labdb_pg(db))
	                                                                 : request_backend_sqlite(labdb_sqlite(db));
	return request_ctx_create_backend(b, tracer, names, logs);
}
