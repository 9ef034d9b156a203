/* call.c - the launch call (UID, sequence, time) and each answer to it */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

#define CALL_COLS "session_id, uid, sequence, start, timezone, duration, status, updated"
static const char sql_get[] = "SELECT " CALL_COLS " FROM call WHERE session_id = ?";
static const char sql_by_uid[] = "SELECT " CALL_COLS " FROM call WHERE uid = ?";
static const char sql_put[] =
	"INSERT INTO call (" CALL_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
	" ON CONFLICT(session_id) DO UPDATE SET uid=?2, sequence=?3, start=?4, timezone=?5,"
	" duration=?6, status=?7, updated=?8";
#define RSVP_COLS "email, partstat, sequence, dtstamp, comment, updated"
static const char sql_rsvp_get[] = "SELECT " RSVP_COLS " FROM rsvp WHERE session_id = ? AND email = ?";
static const char sql_rsvp_put[] =
	"INSERT INTO rsvp (session_id, " RSVP_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7)"
	" ON CONFLICT(session_id, email) DO UPDATE SET partstat=?3, sequence=?4, dtstamp=?5, comment=?6, updated=?7";
static const char sql_rsvp_list[] = "SELECT " RSVP_COLS " FROM rsvp WHERE session_id = ? ORDER BY email";

static int read_call(struct store *st, sqlite3_stmt *s, struct st_call *c)
{
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW) {
		memset(c, 0, sizeof(*c));
		c->session_id = sqlite3_column_int64(s, 0);
		c->uid = st_col_text(s, 1);
		c->sequence = sqlite3_column_int(s, 2);
		c->start = (time_t)sqlite3_column_int64(s, 3);
		c->timezone = st_col_text(s, 4);
		c->duration = sqlite3_column_int(s, 5);
		c->status = st_col_text(s, 6);
		c->updated = (time_t)sqlite3_column_int64(s, 7);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_call_get(struct store *st, int64_t session_id, struct st_call *c)
{
	sqlite3_stmt *s = st_prepare(st, sql_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	return read_call(st, s, c);
}

int store_call_by_uid(struct store *st, const char *uid, struct st_call *c)
{
	sqlite3_stmt *s = st_prepare(st, sql_by_uid);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, uid);
	return read_call(st, s, c);
}

int store_call_put(struct store *st, const struct st_call *c)
{
	sqlite3_stmt *s = st_prepare(st, sql_put);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, c->session_id);
	st_bind_text(s, 2, c->uid);
	st_bind_int(s, 3, c->sequence);
	st_bind_int(s, 4, c->start);
	st_bind_text(s, 5, c->timezone);
	st_bind_int(s, 6, c->duration);
	st_bind_text(s, 7, c->status ? c->status : "confirmed");
	st_bind_int(s, 8, clock_now());
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

static void read_rsvp(sqlite3_stmt *s, struct st_rsvp *r)
{
	memset(r, 0, sizeof(*r));
	r->email = st_col_text(s, 0);
	r->partstat = st_col_text(s, 1);
	r->sequence = sqlite3_column_int(s, 2);
	r->dtstamp = (time_t)sqlite3_column_int64(s, 3);
	r->comment = st_col_text(s, 4);
	r->updated = (time_t)sqlite3_column_int64(s, 5);
}

int store_rsvp_get(struct store *st, int64_t session_id, const char *email, struct st_rsvp *r)
{
	sqlite3_stmt *s = st_prepare(st, sql_rsvp_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, email);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW)
		read_rsvp(s, r);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_rsvp_put(struct store *st, int64_t session_id, const struct st_rsvp *r)
{
	sqlite3_stmt *s = st_prepare(st, sql_rsvp_put);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, r->email);
	st_bind_text(s, 3, r->partstat);
	st_bind_int(s, 4, r->sequence);
	st_bind_int(s, 5, r->dtstamp);
	st_bind_text(s, 6, r->comment);
	st_bind_int(s, 7, clock_now());
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_rsvp_list(struct store *st, int64_t session_id, struct st_rsvp **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_rsvp_list);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	struct st_rsvp *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		read_rsvp(s, &list[n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_rsvp_list_free(&list, n);
		return st_fail(st, rc);
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

void st_call_free(struct st_call *c)
{
	free(c->uid);
	free(c->timezone);
	free(c->status);
	memset(c, 0, sizeof(*c));
}

void st_rsvp_free(struct st_rsvp *r)
{
	free(r->email);
	free(r->partstat);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

void st_rsvp_list_free(struct st_rsvp **list, int n)
{
	for (int i = 0; i < n; i++)
		st_rsvp_free(&(*list)[i]);
	free(*list);
	*list = NULL;
}
