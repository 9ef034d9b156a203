/* comment.c - comments, each on a stable paragraph (or the whole draft) */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sql_insert[] =
	"INSERT INTO comment (session_id, message_id, position, paragraph_id, revision, number, paragraphs,"
	" parent_id, author_id, author_email, text, anchor, how, late, created)"
	" VALUES (?,nullif(?,0),?,nullif(?,0),?,?,?,nullif(?,0),nullif(?,0),?,?,?,?,?,?)"
	" ON CONFLICT(message_id, position) DO NOTHING";
static const char sql_find[] = "SELECT id FROM comment WHERE message_id = ? AND position = ?";
#define C_COLS "c.id, c.session_id, ifnull(c.message_id,0), c.position, ifnull(c.paragraph_id,0), c.revision," \
	" c.number, c.paragraphs, ifnull(c.parent_id,0), ifnull(c.author_id,0), c.author_email, p.name, c.text," \
	" c.anchor, c.how, c.status, c.note, c.late, c.created"
#define C_FROM " FROM comment c LEFT JOIN participant p ON p.id = c.author_id"
static const char sql_get[] = "SELECT " C_COLS C_FROM " WHERE c.id = ?";
static const char sql_list[] = "SELECT " C_COLS C_FROM " WHERE c.session_id = ? AND c.created > ? ORDER BY c.created, c.id";
static const char sql_by_msg[] = "SELECT " C_COLS C_FROM " WHERE c.message_id = ? ORDER BY c.position";
static const char sql_status[] = "UPDATE comment SET status = ?, note = ifnull(?, note) WHERE id = ?";
static const char sql_move[] =
	"UPDATE comment SET paragraph_id = nullif(?,0), revision = ?, number = ?, paragraphs = ?, how = 'moved' WHERE id = ?";
static const char sql_count[] =
	"SELECT count(*), ifnull(sum(created >= ?2 AND created < ?3), 0) FROM comment WHERE session_id = ?1";

int store_comment_add(struct store *st, const struct st_comment *c, int64_t *id_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_insert);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, c->session_id);
	st_bind_int(s, 2, c->message_id);
	st_bind_int(s, 3, c->position);
	st_bind_int(s, 4, c->paragraph_id);
	st_bind_int(s, 5, c->revision);
	st_bind_int(s, 6, c->number);
	st_bind_text(s, 7, c->paragraphs);
	st_bind_int(s, 8, c->parent_id);
	st_bind_int(s, 9, c->author_id);
	st_bind_text(s, 10, c->author_email);
	st_bind_text(s, 11, c->text);
	st_bind_text(s, 12, c->anchor);
	st_bind_text(s, 13, c->how);
	st_bind_int(s, 14, c->late);
	st_bind_int(s, 15, c->created ? c->created : clock_now());
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	if (sqlite3_changes(st->db) == 1) {
		if (id_r)
			*id_r = sqlite3_last_insert_rowid(st->db);
		return 0;
	}
	s = st_prepare(st, sql_find);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, c->message_id);
	st_bind_int(s, 2, c->position);
	rc = st_step(st, s);
	if (rc == SQLITE_ROW && id_r)
		*id_r = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : st_fail(st, rc);
}

static void read_row(sqlite3_stmt *s, struct st_comment *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->session_id = sqlite3_column_int64(s, 1);
	c->message_id = sqlite3_column_int64(s, 2);
	c->position = sqlite3_column_int(s, 3);
	c->paragraph_id = sqlite3_column_int64(s, 4);
	c->revision = sqlite3_column_int(s, 5);
	c->number = sqlite3_column_int(s, 6);
	c->paragraphs = st_col_text(s, 7);
	c->parent_id = sqlite3_column_int64(s, 8);
	c->author_id = sqlite3_column_int64(s, 9);
	c->author_email = st_col_text(s, 10);
	c->author_name = st_col_text(s, 11);
	c->text = st_col_text(s, 12);
	c->anchor = st_col_text(s, 13);
	c->how = st_col_text(s, 14);
	c->status = st_col_text(s, 15);
	c->note = st_col_text(s, 16);
	c->late = sqlite3_column_int(s, 17);
	c->created = (time_t)sqlite3_column_int64(s, 18);
}

static int read_list(struct store *st, sqlite3_stmt *s, struct st_comment **list_r, int *n_r)
{
	struct st_comment *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		read_row(s, &list[n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_comment_list_free(&list, n);
		return st_fail(st, rc);
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

int store_comment_get(struct store *st, int64_t id, struct st_comment *c)
{
	sqlite3_stmt *s = st_prepare(st, sql_get);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, id);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW)
		read_row(s, c);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_comment_list(struct store *st, int64_t session_id, time_t since,
		       struct st_comment **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_list);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, since > 0 ? since : -1);
	return read_list(st, s, list_r, n_r);
}

int store_comment_by_message(struct store *st, int64_t message_id, struct st_comment **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_by_msg);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, message_id);
	return read_list(st, s, list_r, n_r);
}

int store_comment_set_status(struct store *st, int64_t id, const char *status, const char *note)
{
	sqlite3_stmt *s = st_prepare(st, sql_status);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, status);
	st_bind_text(s, 2, note);
	st_bind_int(s, 3, id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int store_comment_move(struct store *st, int64_t id, int64_t paragraph_id, int revision, int number)
{
	sqlite3_stmt *s = st_prepare(st, sql_move);
	if (s == NULL)
		return -1;
	char nums[16];
	snprintf(nums, sizeof(nums), "%d", number);
	st_bind_int(s, 1, paragraph_id);
	st_bind_int(s, 2, revision);
	st_bind_int(s, 3, number);
	st_bind_text(s, 4, nums);
	st_bind_int(s, 5, id);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int store_comment_count(struct store *st, int64_t session_id, time_t from, time_t to, int *all_r, int *range_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_count);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, from);
	st_bind_int(s, 3, to);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW) {
		*all_r = sqlite3_column_int(s, 0);
		*range_r = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

void st_comment_free(struct st_comment *c)
{
	free(c->paragraphs);
	free(c->author_email);
	free(c->author_name);
	free(c->text);
	free(c->anchor);
	free(c->how);
	free(c->status);
	free(c->note);
	memset(c, 0, sizeof(*c));
}

void st_comment_list_free(struct st_comment **list, int n)
{
	for (int i = 0; i < n; i++)
		st_comment_free(&(*list)[i]);
	free(*list);
	*list = NULL;
}
