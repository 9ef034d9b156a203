/* schedule.c - the week's calendar: events done, comments taken by
   digests, and revisions waiting for their organizer's confirmation */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static const char sql_get[] = "SELECT done FROM schedule WHERE session_id = ? AND event = ?";
static const char sql_mark[] =
	"INSERT INTO schedule (session_id, event, due, done, result) VALUES (?,?,?,?,?)"
	" ON CONFLICT(session_id, event) DO NOTHING";
static const char sql_list[] =
	"SELECT event, due, done, result FROM schedule WHERE session_id = ? ORDER BY due, rowid";
static const char sql_pending[] =
	"SELECT c.id FROM comment c WHERE c.session_id = ?1 AND c.created <= ?2 AND c.late = 0"
	" AND NOT EXISTS (SELECT 1 FROM digest_item d WHERE d.comment_id = c.id)"
	" ORDER BY c.created, c.id";
static const char sql_take[] =
	"INSERT INTO digest_item (comment_id, session_id, day) VALUES (?,?,?)"
	" ON CONFLICT(comment_id) DO NOTHING";
static const char sql_outbox_find[] = "SELECT id FROM outbox WHERE purpose = ?";
static const char sql_revise_add[] =
	"INSERT INTO revise (message_row, session_id, organizer, source, created) VALUES (?,?,?,?,?)"
	" ON CONFLICT(message_row) DO NOTHING";
static const char sql_revise_get[] =
	"SELECT message_row, session_id, organizer, source, created, ifnull(revision,0)"
	" FROM revise WHERE message_row = ?";
static const char sql_revise_set[] = "UPDATE revise SET revision = ? WHERE message_row = ?";

int store_sched_get(struct store *st, int64_t session_id, const char *event, time_t *done_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, event);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW && done_r)
		*done_r = (time_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_sched_mark(struct store *st, int64_t session_id, const char *event, time_t due,
		     time_t done, const char *result)
{
	sqlite3_stmt *s = st_prepare(st, sql_mark);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, event);
	st_bind_int(s, 3, due);
	st_bind_int(s, 4, done);
	st_bind_text(s, 5, result);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int store_sched_list(struct store *st, int64_t session_id, struct st_sched **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_list);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	struct st_sched *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		struct st_sched *e = &list[n++];
		e->event = st_col_text(s, 0);
		e->due = (time_t)sqlite3_column_int64(s, 1);
		e->done = (time_t)sqlite3_column_int64(s, 2);
		e->result = st_col_text(s, 3);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_sched_list_free(&list, n);
		return st_fail(st, rc);
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

void st_sched_list_free(struct st_sched **list, int n)
{
	for (int i = 0; i < n; i++) {
		free((*list)[i].event);
		free((*list)[i].result);
	}
	free(*list);
	*list = NULL;
}

int store_digest_pending(struct store *st, int64_t session_id, time_t until, int64_t **ids_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_pending);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, until);
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

int store_digest_take(struct store *st, int64_t session_id, const char *day, const int64_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *s = st_prepare(st, sql_take);
		if (s == NULL)
			return -1;
		st_bind_int(s, 1, ids[i]);
		st_bind_int(s, 2, session_id);
		st_bind_text(s, 3, day);
		int rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return st_fail(st, rc);
	}
	return 0;
}

int store_outbox_find(struct store *st, const char *purpose, int64_t *id_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_outbox_find);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, purpose);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW && id_r)
		*id_r = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_revise_add(struct store *st, const struct st_revise *r)
{
	sqlite3_stmt *s = st_prepare(st, sql_revise_add);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, r->message_row);
	st_bind_int(s, 2, r->session_id);
	st_bind_text(s, 3, r->organizer);
	st_bind_text(s, 4, r->source);
	st_bind_int(s, 5, r->created ? r->created : clock_now());
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int store_revise_get(struct store *st, int64_t message_row, struct st_revise *r)
{
	sqlite3_stmt *s = st_prepare(st, sql_revise_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, message_row);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW) {
		memset(r, 0, sizeof(*r));
		r->message_row = sqlite3_column_int64(s, 0);
		r->session_id = sqlite3_column_int64(s, 1);
		r->organizer = st_col_text(s, 2);
		r->source = st_col_text(s, 3);
		r->created = (time_t)sqlite3_column_int64(s, 4);
		r->revision = sqlite3_column_int(s, 5);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_revise_set_revision(struct store *st, int64_t message_row, int revision)
{
	sqlite3_stmt *s = st_prepare(st, sql_revise_set);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, revision);
	st_bind_int(s, 2, message_row);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

void st_revise_free(struct st_revise *r)
{
	free(r->organizer);
	free(r->source);
	memset(r, 0, sizeof(*r));
}
