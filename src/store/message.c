/* message.c - every incoming message, archived raw before anything else */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

/* the bytes live in message_body (schema step 6): recording the result
   rewrites a small row, not the message */
static const char sql_insert[] =
	"INSERT INTO message (session_id, message_id, body_hash, source, source_ref, rcpt, received, sender, subject)"
	" VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING";
/* OR REPLACE: a body left behind by a row deleted without foreign keys */
static const char sql_insert_body[] = "INSERT OR REPLACE INTO message_body (message_row, raw) VALUES (?, ?)";
static const char sql_find[] =
	"SELECT id FROM message WHERE ifnull(message_id, '') = ifnull(?, '') AND body_hash = ?";
#define M_COLS "m.id, ifnull(session_id, 0), message_id, body_hash, source, source_ref, rcpt, received, sender, subject, class, reason, state"
static const char sql_get[] =
	"SELECT " M_COLS ", b.raw FROM message m JOIN message_body b ON b.message_row = m.id WHERE m.id = ?";
static const char sql_result[] =
	"UPDATE message SET session_id = nullif(?, 0), class = ?, reason = ?, state = ?,"
	" sender = ifnull(?, sender), subject = ifnull(?, subject) WHERE id = ?";
static const char sql_state[] = "UPDATE message SET state = ? WHERE id = ?";
static const char sql_list[] =
	"SELECT " M_COLS " FROM message m WHERE (?1 IS NULL OR state = ?1) AND (?2 = 0 OR session_id = ?2) ORDER BY m.id";
static const char sql_pending[] = "SELECT id FROM message WHERE state = 'new' ORDER BY id";

/* add_rows - the message row and its bytes; 0 added, 1 seen before */
static int add_rows(struct store *st, const struct st_message *m, int64_t *id_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_insert);
	if (s == NULL)
		return -1;
	if (m->session_id)
		st_bind_int(s, 1, m->session_id);
	else
		sqlite3_bind_null(s, 1);
	st_bind_text(s, 2, m->message_id);
	st_bind_text(s, 3, m->body_hash);
	st_bind_text(s, 4, m->source);
	st_bind_text(s, 5, m->source_ref);
	st_bind_text(s, 6, m->rcpt);
	st_bind_int(s, 7, m->received);
	st_bind_text(s, 8, m->sender);
	st_bind_text(s, 9, m->subject);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	if (sqlite3_changes(st->db) == 1) {
		int64_t id = sqlite3_last_insert_rowid(st->db);
		s = st_prepare(st, sql_insert_body);
		if (s == NULL)
			return -1;
		st_bind_int(s, 1, id);
		st_bind_blob(s, 2, m->raw, m->rawlen);
		rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return st_fail(st, rc);
		*id_r = id;
		return 0;
	}
	s = st_prepare(st, sql_find);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, m->message_id);
	st_bind_text(s, 2, m->body_hash);
	rc = st_step(st, s);
	if (rc == SQLITE_ROW)
		*id_r = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : st_fail(st, rc);
}

int store_message_add(struct store *st, const struct st_message *m, int64_t *id_r)
{
	/* both rows or neither: nested in the caller's transaction, if any
	   (store_rollback keeps last_rc for store_last_full) */
	if (store_begin(st) < 0)
		return -1;
	int r = add_rows(st, m, id_r);
	if (r < 0) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) < 0)
		return -1;
	return r;
}

static void read_row(sqlite3_stmt *s, struct st_message *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->session_id = sqlite3_column_int64(s, 1);
	m->message_id = st_col_text(s, 2);
	m->body_hash = st_col_text(s, 3);
	m->source = st_col_text(s, 4);
	m->source_ref = st_col_text(s, 5);
	m->rcpt = st_col_text(s, 6);
	m->received = (time_t)sqlite3_column_int64(s, 7);
	m->sender = st_col_text(s, 8);
	m->subject = st_col_text(s, 9);
	m->class = st_col_text(s, 10);
	m->reason = st_col_text(s, 11);
	m->state = st_col_text(s, 12);
}

int store_message_get(struct store *st, int64_t id, struct st_message *m)
{
	sqlite3_stmt *s = st_prepare(st, sql_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW) {
		read_row(s, m);
		m->rawlen = (size_t)sqlite3_column_bytes(s, 13);
		m->raw = xmemdup0(m->rawlen ? sqlite3_column_blob(s, 13) : "", m->rawlen);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_message_set_result(struct store *st, int64_t id, int64_t session_id, const char *class,
			     const char *reason, const char *state, const char *sender, const char *subject)
{
	sqlite3_stmt *s = st_prepare(st, sql_result);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, class);
	st_bind_text(s, 3, reason);
	st_bind_text(s, 4, state);
	st_bind_text(s, 5, sender);
	st_bind_text(s, 6, subject);
	st_bind_int(s, 7, id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_message_set_state(struct store *st, int64_t id, const char *state)
{
	sqlite3_stmt *s = st_prepare(st, sql_state);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, state);
	st_bind_int(s, 2, id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_message_list(struct store *st, const char *state, int64_t session_id,
		       struct st_message **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_list);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, state);
	st_bind_int(s, 2, session_id);
	struct st_message *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		read_row(s, &list[n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_message_list_free(&list, n);
		return st_fail(st, rc);
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

int store_message_pending(struct store *st, int64_t **ids_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_pending);
	if (s == NULL)
		return -1;
	int64_t *ids = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		ids = xreallocarray(ids, (size_t)n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(ids);
		return st_fail(st, rc);
	}
	*ids_r = ids;
	*n_r = n;
	return 0;
}

void st_message_free(struct st_message *m)
{
	free(m->message_id);
	free(m->body_hash);
	free(m->source);
	free(m->source_ref);
	free(m->rcpt);
	free(m->raw);
	free(m->sender);
	free(m->subject);
	free(m->class);
	free(m->reason);
	free(m->state);
	memset(m, 0, sizeof(*m));
}

void st_message_list_free(struct st_message **list, int n)
{
	for (int i = 0; i < n; i++)
		st_message_free(&(*list)[i]);
	free(*list);
	*list = NULL;
}
