/* outbox.c - every outgoing mail, written before the first attempt to send it */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

/* the bytes live in outbox_body (schema step 5): updating the state of a
   mail then writes a small row, not the whole message again */
static const char sql_add[] =
	"INSERT INTO outbox (purpose, session_id, kind, recipient, mail_from, message_id, state,"
	" next_attempt, created) VALUES (?,nullif(?,0),?,?,?,?,ifnull(?,'queued'),?,?)"
	" ON CONFLICT(purpose) DO NOTHING";
/* OR REPLACE: a body left behind by a row deleted without foreign keys */
static const char sql_add_body[] = "INSERT OR REPLACE INTO outbox_body (outbox_id, raw) VALUES (?, ?)";
static const char sql_find[] = "SELECT id FROM outbox WHERE purpose = ?";
#define O_COLS "o.id, purpose, ifnull(session_id,0), kind, recipient, mail_from, message_id, state, attempts," \
	" next_attempt, last_error, created, ifnull(done,0)"
static const char sql_get[] =
	"SELECT " O_COLS ", b.raw FROM outbox o JOIN outbox_body b ON b.outbox_id = o.id WHERE o.id = ?";
static const char sql_due[] =
	"SELECT " O_COLS " FROM outbox o"
	" WHERE state IN ('queued','deferred') AND next_attempt <= ?1 AND (?4 <= 1 OR o.id % ?4 = ?3)"
	" ORDER BY next_attempt, o.id LIMIT ?2";
static const char sql_raw[] = "SELECT raw FROM outbox_body WHERE outbox_id = ?";
static const char sql_next[] =
	"SELECT min(next_attempt) FROM outbox WHERE state IN ('queued','deferred')";
static const char sql_list[] =
	"SELECT " O_COLS " FROM outbox o WHERE (?1 = 0 OR session_id = ?1) AND (?2 IS NULL OR state = ?2) ORDER BY o.id";
static const char sql_update[] =
	"UPDATE outbox SET state = ?, attempts = ?, next_attempt = ?, last_error = ?, done = nullif(?,0) WHERE id = ?";
static const char sql_counts[] =
	"SELECT state, count(*) FROM outbox WHERE (?1 = 0 OR session_id = ?1) GROUP BY state";

/* add_rows - the outbox row and its bytes; 0 added, 1 the purpose was there */
static int add_rows(struct store *st, const struct st_outbox *o, int64_t *id_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_add);
	if (s == NULL)
		return -1;
	time_t now = clock_now();
	st_bind_text(s, 1, o->purpose);
	st_bind_int(s, 2, o->session_id);
	st_bind_text(s, 3, o->kind);
	st_bind_text(s, 4, o->recipient);
	st_bind_text(s, 5, o->mail_from);
	st_bind_text(s, 6, o->message_id);
	st_bind_text(s, 7, o->state);
	st_bind_int(s, 8, o->next_attempt ? o->next_attempt : now);
	st_bind_int(s, 9, now);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	if (sqlite3_changes(st->db) == 1) {
		int64_t id = sqlite3_last_insert_rowid(st->db);
		s = st_prepare(st, sql_add_body);
		if (s == NULL)
			return -1;
		st_bind_int(s, 1, id);
		st_bind_blob(s, 2, o->raw, o->rawlen);
		rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return st_fail(st, rc);
		if (id_r)
			*id_r = id;
		return 0;
	}
	s = st_prepare(st, sql_find);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, o->purpose);
	rc = st_step(st, s);
	if (rc == SQLITE_ROW && id_r)
		*id_r = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : st_fail(st, rc);
}

int store_outbox_add(struct store *st, const struct st_outbox *o, int64_t *id_r)
{
	/* both rows or neither: nested in the caller's transaction, if any
	   (store_rollback keeps last_rc for store_last_full) */
	if (store_begin(st) < 0)
		return -1;
	int r = add_rows(st, o, id_r);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return -1;
	return r;
}

static void read_row(sqlite3_stmt *s, struct st_outbox *o, int with_raw)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->purpose = st_col_text(s, 1);
	o->session_id = sqlite3_column_int64(s, 2);
	o->kind = st_col_text(s, 3);
	o->recipient = st_col_text(s, 4);
	o->mail_from = st_col_text(s, 5);
	o->message_id = st_col_text(s, 6);
	o->state = st_col_text(s, 7);
	o->attempts = sqlite3_column_int(s, 8);
	o->next_attempt = (time_t)sqlite3_column_int64(s, 9);
	o->last_error = st_col_text(s, 10);
	o->created = (time_t)sqlite3_column_int64(s, 11);
	o->done = (time_t)sqlite3_column_int64(s, 12);
	if (with_raw) {
		o->rawlen = (size_t)sqlite3_column_bytes(s, 13);
		o->raw = xmemdup0(o->rawlen ? sqlite3_column_blob(s, 13) : "", o->rawlen);
	}
}

static int read_list(struct store *st, sqlite3_stmt *s, int with_raw, struct st_outbox **list_r, int *n_r)
{
	struct st_outbox *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		read_row(s, &list[n++], with_raw);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_outbox_list_free(&list, n);
		return st_fail(st, rc);
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

int store_outbox_get(struct store *st, int64_t id, struct st_outbox *o)
{
	sqlite3_stmt *s = st_prepare(st, sql_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW)
		read_row(s, o, 1);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_outbox_due_part(struct store *st, time_t now, int limit, int part, int nparts,
			  struct st_outbox **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_due);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, now);
	st_bind_int(s, 2, limit);
	st_bind_int(s, 3, part);
	st_bind_int(s, 4, nparts);
	return read_list(st, s, 0, list_r, n_r);
}

int store_outbox_due(struct store *st, time_t now, int limit, struct st_outbox **list_r, int *n_r)
{
	return store_outbox_due_part(st, now, limit, 0, 1, list_r, n_r);
}

int store_outbox_raw(struct store *st, int64_t id, struct st_outbox *o)
{
	sqlite3_stmt *s = st_prepare(st, sql_raw);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW) {
		free(o->raw);
		o->rawlen = (size_t)sqlite3_column_bytes(s, 0);
		o->raw = xmemdup0(o->rawlen ? sqlite3_column_blob(s, 0) : "", o->rawlen);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_outbox_next(struct store *st, time_t *t_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_next);
	if (s == NULL)
		return -1;
	int rc = st_step(st, s);
	int none = 1;
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*t_r = (time_t)sqlite3_column_int64(s, 0);
		none = 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return st_fail(st, rc);
	return none;
}

int store_outbox_list(struct store *st, int64_t session_id, const char *state,
		      struct st_outbox **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_list);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, state);
	return read_list(st, s, 0, list_r, n_r);
}

int store_outbox_update(struct store *st, int64_t id, const char *state, int attempts,
			time_t next_attempt, const char *last_error, time_t done)
{
	sqlite3_stmt *s = st_prepare(st, sql_update);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, state);
	st_bind_int(s, 2, attempts);
	st_bind_int(s, 3, next_attempt);
	st_bind_text(s, 4, last_error);
	st_bind_int(s, 5, done);
	st_bind_int(s, 6, id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int store_outbox_counts(struct store *st, int64_t session_id, int counts[5])
{
	static const char *const names[5] = { "queued", "deferred", "sent", "failed", "held" };
	memset(counts, 0, 5 * sizeof(int));
	sqlite3_stmt *s = st_prepare(st, sql_counts);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	int rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(s, 0);
		for (int i = 0; i < 5; i++)
			if (state && strcmp(state, names[i]) == 0)
				counts[i] = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

void st_outbox_free(struct st_outbox *o)
{
	free(o->purpose);
	free(o->kind);
	free(o->recipient);
	free(o->mail_from);
	free(o->message_id);
	free(o->raw);
	free(o->state);
	free(o->last_error);
	memset(o, 0, sizeof(*o));
}

void st_outbox_list_free(struct st_outbox **list, int n)
{
	for (int i = 0; i < n; i++)
		st_outbox_free(&(*list)[i]);
	free(*list);
	*list = NULL;
}
