/* draft.c - revisions, stable paragraphs and the numbered blocks of each revision */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static const char sql_current[] = "SELECT ifnull(max(number), 0) FROM revision WHERE session_id = ?";
static const char sql_at[] =
	"SELECT ifnull(max(number), 0) FROM revision WHERE session_id = ? AND imported <= ?";
static const char sql_add_rev[] =
	"INSERT INTO revision (session_id, number, source, imported) VALUES (?,?,?,?)";
static const char sql_add_para[] = "INSERT INTO paragraph (session_id, created_rev) VALUES (?,?)";
static const char sql_retire[] =
	"UPDATE paragraph SET retired_rev = ? WHERE id = ? AND session_id = ? AND retired_rev IS NULL";
static const char sql_add_block[] =
	"INSERT INTO block (revision_id, position, number, paragraph_id, kind, level, text, markdown, change)"
	" VALUES (?,?,?,?,?,?,?,?,?)";
static const char sql_blocks[] =
	"SELECT b.position, b.number, b.paragraph_id, b.kind, b.level, b.text, b.markdown, b.change"
	" FROM block b JOIN revision r ON r.id = b.revision_id"
	" WHERE r.session_id = ? AND r.number = ? ORDER BY b.position";
static const char sql_source[] = "SELECT source, imported FROM revision WHERE session_id = ? AND number = ?";
static const char sql_number[] =
	"SELECT b.number FROM block b JOIN revision r ON r.id = b.revision_id"
	" WHERE r.session_id = ? AND r.number = ? AND b.paragraph_id = ?";
static const char sql_pid[] =
	"SELECT b.paragraph_id FROM block b JOIN revision r ON r.id = b.revision_id"
	" WHERE r.session_id = ? AND r.number = ? AND b.number = ? AND b.number > 0";

static int scalar_int(struct store *st, sqlite3_stmt *s, int64_t *v_r)
{
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW)
		*v_r = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_revision_current(struct store *st, int64_t session_id, int *number_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_current);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	int64_t v = 0;
	int r = scalar_int(st, s, &v);
	*number_r = (int)v;
	return r < 0 ? -1 : 0;
}

int store_revision_at(struct store *st, int64_t session_id, time_t t, int *number_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_at);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, t);
	int64_t v = 0;
	int r = scalar_int(st, s, &v);
	*number_r = (int)v;
	return r < 0 ? -1 : 0;
}

int store_revision_add(struct store *st, int64_t session_id, const char *source,
		       struct st_block *blocks, int nblocks,
		       const int64_t *retired, int nretired, int *number_r)
{
	int cur, rc;
	if (store_begin(st) < 0)
		return -1;
	if (store_revision_current(st, session_id, &cur) < 0)
		goto fail;
	int number = cur + 1;
	sqlite3_stmt *s = st_prepare(st, sql_add_rev);
	if (s == NULL)
		goto fail;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, number);
	st_bind_text(s, 3, source);
	st_bind_int(s, 4, clock_now());
	rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto fail;
	int64_t rev_id = sqlite3_last_insert_rowid(st->db);
	for (int i = 0; i < nblocks; i++) {
		struct st_block *b = &blocks[i];
		if (b->number > 0 && b->paragraph_id == 0) {
			s = st_prepare(st, sql_add_para);
			if (s == NULL)
				goto fail;
			st_bind_int(s, 1, session_id);
			st_bind_int(s, 2, number);
			rc = st_step(st, s);
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				goto fail;
			b->paragraph_id = sqlite3_last_insert_rowid(st->db);
		}
		s = st_prepare(st, sql_add_block);
		if (s == NULL)
			goto fail;
		st_bind_int(s, 1, rev_id);
		st_bind_int(s, 2, i);
		st_bind_int(s, 3, b->number);
		if (b->paragraph_id > 0)
			st_bind_int(s, 4, b->paragraph_id);
		else
			sqlite3_bind_null(s, 4);
		st_bind_text(s, 5, b->kind);
		st_bind_int(s, 6, b->level);
		st_bind_text(s, 7, b->text);
		st_bind_text(s, 8, b->markdown);
		st_bind_text(s, 9, b->change);
		rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	for (int i = 0; i < nretired; i++) {
		s = st_prepare(st, sql_retire);
		if (s == NULL)
			goto fail;
		st_bind_int(s, 1, number);
		st_bind_int(s, 2, retired[i]);
		st_bind_int(s, 3, session_id);
		rc = st_step(st, s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (store_commit(st) < 0)
		return -1;
	*number_r = number;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

int store_revision_blocks(struct store *st, int64_t session_id, int number,
			  struct st_block **blocks_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_blocks);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, number);
	struct st_block *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		struct st_block *b = &list[n++];
		b->position = sqlite3_column_int(s, 0);
		b->number = sqlite3_column_int(s, 1);
		b->paragraph_id = sqlite3_column_int64(s, 2);
		b->kind = st_col_text(s, 3);
		b->level = sqlite3_column_int(s, 4);
		b->text = st_col_text(s, 5);
		b->markdown = st_col_text(s, 6);
		b->change = st_col_text(s, 7);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_block_list_free(&list, n);
		return st_fail(st, rc);
	}
	*blocks_r = list;
	*n_r = n;
	return 0;
}

int store_revision_source(struct store *st, int64_t session_id, int number, char **source_r, time_t *imported_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_source);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, number);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW) {
		*source_r = st_col_text(s, 0);
		if (imported_r)
			*imported_r = (time_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

int store_paragraph_number(struct store *st, int64_t session_id, int revision,
			   int64_t paragraph_id, int *number_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_number);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, revision);
	st_bind_int(s, 3, paragraph_id);
	int64_t v = 0;
	int r = scalar_int(st, s, &v);
	*number_r = (int)v;
	return r < 0 ? -1 : 0;
}

int store_paragraph_id(struct store *st, int64_t session_id, int revision, int number,
		       int64_t *paragraph_id_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_pid);
	if (s == NULL)
		return -1;
	st_bind_int(s, 1, session_id);
	st_bind_int(s, 2, revision);
	st_bind_int(s, 3, number);
	return scalar_int(st, s, paragraph_id_r);
}

void st_block_free(struct st_block *b)
{
	free(b->kind);
	free(b->text);
	free(b->markdown);
	free(b->change);
	memset(b, 0, sizeof(*b));
}

void st_block_list_free(struct st_block **list, int n)
{
	for (int i = 0; i < n; i++)
		st_block_free(&(*list)[i]);
	free(*list);
	*list = NULL;
}
