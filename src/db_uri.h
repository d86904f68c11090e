/*
 * db_uri — what a --db value says as SQLite reads it, from its text alone
 * (percent-escapes decoded as SQLite decodes them): whether a file: URI
 * picks its own VFS (db_uri_names_vfs, refused by db_open: it would open
 * the file past the guard) and whether it names an in-memory database
 * (db_path_in_memory, db.h). Touches no file; no state, any thread.
 */
#ifndef OBSLAB_DB_URI_H
#define OBSLAB_DB_URI_H

#include <stdbool.h>

bool db_uri_names_vfs(const char *arg);

#endif
