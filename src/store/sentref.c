/* sentref.c - the Message-IDs tagd sent, the daily cap on automatic
   answers, and IMAP progress */
#include "config.h"
#include "store/db_internal.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static const char sql_add[] =
	"INSERT OR IGNORE INTO sent_ref (message_id, session_id, kind, revision, paragraph_id, comment_id, recipient)"
	" VALUES (?,nullif(?,0),?,?,nullif(?,0),nullif(?,0),?)";
static const char sql_get[] =
	"SELECT message_id, ifnull(session_id,0), kind, ifnull(revision,0), ifnull(paragraph_id,0),"
	" ifnull(comment_id,0), recipient FROM sent_ref WHERE message_id = ?";
static const char sql_ack[] = "INSERT OR IGNORE INTO ack (address, day) VALUES (?, ?)";
static const char sql_imap_get[] =
	"SELECT uidvalidity, last_uid FROM imap_state WHERE account = ? AND mailbox = ?";
static const char sql_imap_set[] =
	"INSERT INTO imap_state (account, mailbox, uidvalidity, last_uid, last_poll) VALUES (?1,?2,?3,?4,?5)"
	" ON CONFLICT(account, mailbox) DO UPDATE SET uidvalidity = ?3, last_uid = ?4, last_poll = ?5";

static const char sql_imap_status[] =
	"INSERT INTO imap_state (account, mailbox, uidvalidity, last_uid, last_poll, last_error)"
	" VALUES (?1,?2,0,0,?3,nullif(?4,''))"
	" ON CONFLICT(account, mailbox) DO UPDATE SET last_poll = ?3, last_error = nullif(?4,'')";
static const char sql_imap_list[] =
	"SELECT account, mailbox, uidvalidity, last_uid, ifnull(last_poll,0), last_error FROM imap_state ORDER BY 1, 2";

int store_imap_status_set(struct store *st, const char *account, const char *mailbox,
			  time_t last_poll, const char *last_error)
{
	sqlite3_stmt *s = st_prepare(st, sql_imap_status);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, account);
	st_bind_text(s, 2, mailbox);
	st_bind_int(s, 3, last_poll);
	st_bind_text(s, 4, last_error ? last_error : "");
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_imap_state_list(struct store *st, struct st_imap_state **list_r, int *n_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_imap_list);
	if (s == NULL)
		return -1;
	struct st_imap_state *list = NULL;
	int n = 0, rc;
	while ((rc = st_step(st, s)) == SQLITE_ROW) {
		list = xreallocarray(list, (size_t)n + 1, sizeof(*list));
		struct st_imap_state *e = &list[n++];
		e->account = st_col_text(s, 0);
		e->mailbox = st_col_text(s, 1);
		e->uidvalidity = (uint32_t)sqlite3_column_int64(s, 2);
		e->last_uid = (uint32_t)sqlite3_column_int64(s, 3);
		e->last_poll = (time_t)sqlite3_column_int64(s, 4);
		e->last_error = st_col_text(s, 5);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st_imap_state_list_free(&list, n);
		return st_fail(st, rc);
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

void st_imap_state_list_free(struct st_imap_state **list, int n)
{
	for (int i = 0; i < n; i++) {
		free((*list)[i].account);
		free((*list)[i].mailbox);
		free((*list)[i].last_error);
	}
	free(*list);
	*list = NULL;
}

int store_sent_ref_add(struct store *st, const struct st_sent_ref *r)
{
	sqlite3_stmt *s = st_prepare(st, sql_add);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, r->message_id);
	st_bind_int(s, 2, r->session_id);
	st_bind_text(s, 3, r->kind);
	st_bind_int(s, 4, r->revision);
	st_bind_int(s, 5, r->paragraph_id);
	st_bind_int(s, 6, r->comment_id);
	st_bind_text(s, 7, r->recipient);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_sent_ref_get(struct store *st, const char *message_id, struct st_sent_ref *r)
{
	sqlite3_stmt *s = st_prepare(st, sql_get);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, message_id);
	int rc = st_step(st, s);
	if (rc == SQLITE_ROW) {
		memset(r, 0, sizeof(*r));
		r->message_id = st_col_text(s, 0);
		r->session_id = sqlite3_column_int64(s, 1);
		r->kind = st_col_text(s, 2);
		r->revision = sqlite3_column_int(s, 3);
		r->paragraph_id = sqlite3_column_int64(s, 4);
		r->comment_id = sqlite3_column_int64(s, 5);
		r->recipient = st_col_text(s, 6);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : st_fail(st, rc);
}

void st_sent_ref_free(struct st_sent_ref *r)
{
	free(r->message_id);
	free(r->kind);
	free(r->recipient);
	memset(r, 0, sizeof(*r));
}

int store_ack_once(struct store *st, const char *address, const char *day)
{
	sqlite3_stmt *s = st_prepare(st, sql_ack);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, address);
	st_bind_text(s, 2, day);
	int rc = st_step(st, s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, rc);
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int store_imap_state_get(struct store *st, const char *account, const char *mailbox,
			 uint32_t *uidvalidity_r, uint32_t *last_uid_r)
{
	sqlite3_stmt *s = st_prepare(st, sql_imap_get);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, account);
	st_bind_text(s, 2, mailbox);
	int rc = st_step(st, s);
	*uidvalidity_r = 0;
	*last_uid_r = 0;
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}

int store_imap_state_set(struct store *st, const char *account, const char *mailbox,
			 uint32_t uidvalidity, uint32_t last_uid)
{
	sqlite3_stmt *s = st_prepare(st, sql_imap_set);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, account);
	st_bind_text(s, 2, mailbox);
	st_bind_int(s, 3, uidvalidity);
	st_bind_int(s, 4, last_uid);
	st_bind_int(s, 5, clock_now());
	int rc = st_step(st, s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : st_fail(st, rc);
}
