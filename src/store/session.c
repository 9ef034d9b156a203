/* session.c - sessions with their organizers and goals */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static const char sql_insert[] =
	"INSERT INTO session (slug, title, list_addr, timezone, opens, closes, digest_at,"
	" min_years, source, created) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
	" ON CONFLICT(slug) DO UPDATE SET title=?2, list_addr=?3, timezone=?4, opens=?5,"
	" closes=?6, digest_at=?7, min_years=?8, source=?9";
static const char sql_id[] = "SELECT id FROM session WHERE slug = ?";
static const char sql_del_org[] = "DELETE FROM organizer WHERE session_id = ?";
static const char sql_del_goal[] = "DELETE FROM goal WHERE session_id = ?";
static const char sql_add_org[] = "INSERT OR REPLACE INTO organizer (session_id, email, name) VALUES (?,?,?)";
static const char sql_add_goal[] = "INSERT INTO goal (session_id, position, text) VALUES (?,?,?)";
#define SESSION_COLS "id, slug, title, list_addr, timezone, opens, closes, digest_at, min_years, state, source, created"
static const char sql_by_slug[] = "SELECT " SESSION_COLS " FROM session WHERE slug = ?";
static const char sql_by_id[] = "SELECT " SESSION_COLS " FROM session WHERE id = ?";
static const char sql_by_list[] = "SELECT " SESSION_COLS " FROM session WHERE list_addr = ?";
static const char sql_all[] = "SELECT " SESSION_COLS " FROM session ORDER BY slug";
static const char sql_orgs[] = "SELECT name, email FROM organizer WHERE session_id = ? ORDER BY rowid";
static const char sql_goals[] = "SELECT text FROM goal WHERE session_id = ? ORDER BY position";
static const char sql_state[] = "UPDATE session SET state = ? WHERE id = ?";

static int exec_id(struct store *st, const char *sql, int64_t id)
{
	sqlite3_stmt *s = st_prepare(st, sql);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_session_put(struct store *st, const struct st_session *ses, int64_t *id_r)
{
	if (store_begin(st) < 0)
		return -1;
	sqlite3_stmt *s = st_prepare(st, sql_insert);
	if (s == NULL)
		goto fail;
	st_bind_text(s, 1, ses->slug);
	st_bind_text(s, 2, ses->title);
	st_bind_text(s, 3, ses->list_addr);
	st_bind_text(s, 4, ses->timezone);
	st_bind_text(s, 5, ses->opens);
	st_bind_text(s, 6, ses->closes);
	st_bind_int(s, 7, ses->digest_at);
	st_bind_int(s, 8, ses->min_years);
	st_bind_text(s, 9, ses->source ? ses->source : "");
	st_bind_int(s, 10, clock_now());
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto fail;
	s = st_prepare(st, sql_id);
	if (s == NULL)
		goto fail;
	st_bind_text(s, 1, ses->slug);
	if (st_step(st, s) != SQLITE_ROW)
		goto fail;
	int64_t id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (exec_id(st, sql_del_org, id) < 0 || exec_id(st, sql_del_goal, id) < 0)
		goto fail;
	for (int i = 0; i < ses->norganizers; i++) {
		s = st_prepare(st, sql_add_org);
		if (s == NULL)
			goto fail;
		st_bind_int(s, 1, id);
		st_bind_text(s, 2, ses->organizers[i].email);
		st_bind_text(s, 3, ses->organizers[i].name);
		rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	for (int i = 0; i < ses->ngoals; i++) {
		s = st_prepare(st, sql_add_goal);
		if (s == NULL)
			goto fail;
		st_bind_int(s, 1, id);
		st_bind_int(s, 2, i + 1);
		st_bind_text(s, 3, ses->goals[i]);
		rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (store_commit(st) < 0)
		return -1;
	if (id_r)
		*id_r = id;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

static void read_row(sqlite3_stmt *s, struct st_session *ses)
{
	memset(ses, 0, sizeof(*ses));
	ses->id = sqlite3_column_int64(s, 0);
	ses->slug = st_col_text(s, 1);
	ses->title = st_col_text(s, 2);
	ses->list_addr = st_col_text(s, 3);
	ses->timezone = st_col_text(s, 4);
	ses->opens = st_col_text(s, 5);
	ses->closes = st_col_text(s, 6);
	ses->digest_at = sqlite3_column_int(s, 7);
	ses->min_years = sqlite3_column_int(s, 8);
	ses->state = st_col_text(s, 9);
	ses->source = st_col_text(s, 10);
	ses->created = (time_t)sqlite3_column_int64(s, 11);
}

static int load_children(struct store *st, struct st_session *ses)
{
	sqlite3_stmt *s = st_prepare(st, sql_orgs);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, ses->id);
	int rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		ses->organizers = xreallocarray(ses->organizers, (size_t)ses->norganizers + 1,
						sizeof(*ses->organizers));
		ses->organizers[ses->norganizers].name = st_col_text(s, 0);
		ses->organizers[ses->norganizers].email = st_col_text(s, 1);
		ses->norganizers++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	s = st_prepare(st, sql_goals);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, ses->id);
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		ses->goals = xreallocarray(ses->goals, (size_t)ses->ngoals + 1, sizeof(char *));
		ses->goals[ses->ngoals++] = st_col_text(s, 0);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

static int get_one(struct store *st, const char *sql, const char *key, int64_t id,
		   struct st_session *ses)
{
	sqlite3_stmt *s = st_prepare(st, sql);
	if (s == NULL)
		return -1;
	if (key)
		st_bind_text(s, 1, key);
	else
		st_bind_int(s, 1, id);
	int rc = st_step(st, s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return st_fail(st, rc);
	}
	read_row(s, ses);
	sqlite3_reset(s);
	if (load_children(st, ses) < 0) {
		st_session_free(ses);
		return -1;
	}
	return 0;
}

int store_session_get(struct store *st, const char *slug, struct st_session *ses)
{
	return get_one(st, sql_by_slug, slug, 0, ses);
}

int store_session_get_id(struct store *st, int64_t id, struct st_session *ses)
{
	return get_one(st, sql_by_id, NULL, id, ses);
}

int store_session_by_list(struct store *st, const char *addr, struct st_session *ses)
{
	return get_one(st, sql_by_list, addr, 0, ses);
}

int store_session_list(struct store *st, struct st_session **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_all);
	if (s == NULL)
		return -1;
	struct st_session *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		read_row(s, &list[n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_session_list_free(&list, n);
		return st_fail(st, rc);
	}
	for (int i = 0; i < n; i++) {
		if (load_children(st, &list[i]) < 0) {
			st_session_list_free(&list, n);
			return -1;
		}
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

int store_session_set_state(struct store *st, int64_t id, const char *state)
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

void st_session_free(struct st_session *ses)
{
	free(ses->slug);
	free(ses->title);
	free(ses->list_addr);
	free(ses->timezone);
	free(ses->opens);
	free(ses->closes);
	free(ses->state);
	free(ses->source);
	for (int i = 0; i < ses->norganizers; i++) {
		free(ses->organizers[i].name);
		free(ses->organizers[i].email);
	}
	free(ses->organizers);
	for (int i = 0; i < ses->ngoals; i++)
		free(ses->goals[i]);
	free(ses->goals);
	memset(ses, 0, sizeof(*ses));
}

void st_session_list_free(struct st_session **list, int n)
{
	for (int i = 0; i < n; i++)
		st_session_free(&(*list)[i]);
	free(*list);
	*list = NULL;
}
