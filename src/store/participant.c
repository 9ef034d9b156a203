/* participant.c - the people of a session */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

#define P_COLS "id, session_id, email, name, organization, role, years, status, mode, bounce_score, created"
static const char sql_insert[] =
	"INSERT INTO participant (session_id, email, name, organization, role, years, status, mode, created)"
	" VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(session_id, email) DO NOTHING";
static const char sql_get[] = "SELECT " P_COLS " FROM participant WHERE session_id = ? AND email = ?";
static const char sql_get_id[] = "SELECT " P_COLS " FROM participant WHERE id = ?";
static const char sql_list[] =
	"SELECT " P_COLS " FROM participant WHERE session_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id";
static const char sql_list_mode[] =
	"SELECT " P_COLS " FROM participant WHERE session_id = ?1 AND mode = ?2 AND (?3 IS NULL OR status = ?3)"
	" ORDER BY id";
static const char sql_update[] =
	"UPDATE participant SET name=?, organization=?, role=?, years=?, status=?, mode=?, bounce_score=? WHERE id=?";
static const char sql_has_comments[] = "SELECT 1 FROM comment WHERE author_id = ? LIMIT 1";
static const char sql_delete[] = "DELETE FROM participant WHERE id = ?";
static const char sql_leave[] = "UPDATE participant SET status = 'left' WHERE id = ?";
static const char sql_count[] = "SELECT status, count(*) FROM participant WHERE session_id = ? GROUP BY status";

static void read_row(sqlite3_stmt *s, struct st_participant *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->session_id = sqlite3_column_int64(s, 1);
	p->email = st_col_text(s, 2);
	p->name = st_col_text(s, 3);
	p->organization = st_col_text(s, 4);
	p->role = st_col_text(s, 5);
	p->years = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 6);
	p->status = st_col_text(s, 7);
	p->mode = st_col_text(s, 8);
	p->bounce_score = sqlite3_column_int(s, 9);
	p->created = (time_t)sqlite3_column_int64(s, 10);
}

int store_participant_add(struct store *st, const struct st_participant *p, int64_t *id_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_insert);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, p->session_id);
	st_bind_text(s, 2, p->email);
	st_bind_text(s, 3, p->name);
	st_bind_text(s, 4, p->organization);
	st_bind_text(s, 5, p->role);
	if (p->years >= 0)
		st_bind_int(s, 6, p->years);
	else
		sqlite3_bind_null(s, 6);
	st_bind_text(s, 7, p->status ? p->status : "active");
	st_bind_text(s, 8, p->mode ? p->mode : "digest");
	st_bind_int(s, 9, clock_now());
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	int existed = sqlite3_changes(st->db) == 0;
	if (id_r) {
		struct st_participant cur;
		if (store_participant_get(st, p->session_id, p->email, &cur) != 0)
			return -1;
		*id_r = cur.id;
		st_participant_free(&cur);
	}
	return existed ? 1 : 0;
}

static int get_one(struct store *st, sqlite3_stmt *s, struct st_participant *p)
{
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW)
		read_row(s, p);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_participant_get(struct store *st, int64_t session_id, const char *email,
			  struct st_participant *p)
{
	sqlite3_stmt *s = st_prepare(st, sql_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, email);
	return get_one(st, s, p);
}

int store_participant_get_id(struct store *st, int64_t id, struct st_participant *p)
{
	sqlite3_stmt *s = st_prepare(st, sql_get_id);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	return get_one(st, s, p);
}

/* list_of - every row of a prepared participant query */
static int list_of(struct store *st, sqlite3_stmt *s, struct st_participant **list_r, int *n_r)
{
	struct st_participant *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		read_row(s, &list[n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_participant_list_free(&list, n);
		return st_fail(st, rc);
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

int store_participant_list(struct store *st, int64_t session_id, const char *status,
			   struct st_participant **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_list);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, status);
	return list_of(st, s, list_r, n_r);
}

int store_participant_list_mode(struct store *st, int64_t session_id, const char *mode,
				const char *status, struct st_participant **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_list_mode);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_text(s, 2, mode);
	st_bind_text(s, 3, status);
	return list_of(st, s, list_r, n_r);
}

int store_participant_update(struct store *st, const struct st_participant *p)
{
	sqlite3_stmt *s = st_prepare(st, sql_update);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, p->name);
	st_bind_text(s, 2, p->organization);
	st_bind_text(s, 3, p->role);
	if (p->years >= 0)
		st_bind_int(s, 4, p->years);
	else
		sqlite3_bind_null(s, 4);
	st_bind_text(s, 5, p->status);
	st_bind_text(s, 6, p->mode);
	st_bind_int(s, 7, p->bounce_score);
	st_bind_int(s, 8, p->id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_participant_remove(struct store *st, int64_t session_id, const char *email, int *kept_r)
{
	struct st_participant p;
	int r = store_participant_get(st, session_id, email, &p);
	if (r != 0)
		return r;
	int64_t id = p.id;
	st_participant_free(&p);
	sqlite3_stmt *s = st_prepare(st, sql_has_comments);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st, rc);
	*kept_r = rc == SQLITE_ROW;
	s = st_prepare(st, *kept_r ? sql_leave : sql_delete);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_participant_count(struct store *st, int64_t session_id, int counts[5])
{
	static const char *const names[5] = { "pending", "active", "declined", "left", "disabled" };
	memset(counts, 0, 5 * sizeof(int));
	sqlite3_stmt *s = st_prepare(st, sql_count);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	int rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(s, 0);
		for (int i = 0; i < 5; i++)
			if (status && strcmp(status, names[i]) == 0)
				counts[i] = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

void st_participant_free(struct st_participant *p)
{
	free(p->email);
	free(p->name);
	free(p->organization);
	free(p->role);
	free(p->status);
	free(p->mode);
	memset(p, 0, sizeof(*p));
}

void st_participant_list_free(struct st_participant **list, int n)
{
	for (int i = 0; i < n; i++)
		st_participant_free(&(*list)[i]);
	free(*list);
	*list = NULL;
}
