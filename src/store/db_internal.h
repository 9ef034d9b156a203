#ifndef TAGD_STORE_DB_INTERNAL_H
#define TAGD_STORE_DB_INTERNAL_H
/* Shared by the files of src/store/ only. */
#include "store/db.h"
#include <sqlite3.h>

#define STMT_CACHE 192

struct store {
	sqlite3 *db;
	char *path;
	int depth;                      /* transaction nesting */
	struct store_gate *gate;        /* shared with the process's other connections, or NULL */
	int gate_held;                  /* this connection has the write turn */
	int gate_timed_out;             /* the last store_begin waited its turn in vain */
	int last_rc;                    /* last failing result code */
	struct {
		const char *sql;        /* static string: cached by address */
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	int ncache;
};

/* st_prepare - a cached prepared statement for a static SQL string, reset
   and with bindings cleared; NULL (logged) on error */
sqlite3_stmt *st_prepare(struct store *st, const char *sql);
/* st_step - sqlite3_step with the busy retry; records errors */
int st_step(struct store *st, sqlite3_stmt *s);
/* st_exec - run a statement that returns no rows; 0 / -1 */
int st_exec(struct store *st, const char *sql);
/* bind helpers: NULL strings bind SQL NULL */
void st_bind_text(sqlite3_stmt *s, int i, const char *v);
void st_bind_int(sqlite3_stmt *s, int i, int64_t v);
void st_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n);
/* st_col_text - a malloc'd copy of a text column (NULL for SQL NULL) */
char *st_col_text(sqlite3_stmt *s, int i);
/* st_fail - record the connection's error for store_error and return -1 */
int st_fail(struct store *st, int rc);
/* migrations, in migrate.c */
int store_migrate(struct store *st, int target, const char **error_r);

#endif
