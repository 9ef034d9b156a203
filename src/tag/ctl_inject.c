/* ctl_inject.c - tagctl inject, comments, held, release, discard */
#include "config.h"
#include "tag/ctl.h"
#include "tag/ingest.h"
#include "tag/mailbox.h"
#include "lib/clock.h"
#include "lib/csv.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INJECT_BATCH 256  /* messages per transaction: one fsync per batch */

struct inject_run {
	struct ingest *in;
	struct store *st;
	const char *session;
	int json;
	int count, failed;
	int in_batch;           /* messages in the open transaction */
	struct buf out;         /* results of the open batch, printed once durable */
	/* the message archived last (when pending_name is set), processed
	   when the next one is archived (and sent to the parser ahead
	   meanwhile), or at the batch's end */
	struct ingest_result pending;
	char *pending_name;
};

static void print_result(struct inject_run *ir, const char *file, const struct ingest_result *r)
{
	if (ir->json) {
		ingest_result_json(r, file, &ir->out);
		buf_putc(&ir->out, '\n');
	} else {
		buf_printf(&ir->out, "%s: %s", file, msg_class_name(r->class));
		if (r->command)
			buf_printf(&ir->out, " %s", r->command);
		if (r->rsvp)
			buf_printf(&ir->out, " %s", r->rsvp);
		for (int i = 0; i < r->ncomments; i++)
			buf_printf(&ir->out, "%s¶%d", i ? "," : " ", r->comments[i].paragraph);
		buf_printf(&ir->out, " (%s)\n", r->reason);
	}
}

/* process_pending - process the message archived last, with next_row
   (0: none), the one archived since, sent to the parser child ahead: it
   is parsed while this one is filtered, threaded and stored */
static void process_pending(struct inject_run *ir, int64_t next_row)
{
	if (ir->pending_name == NULL)
		return;
	const char *err;
	if (ingest_process_next(ir->in, ir->pending.message_row, next_row, &ir->pending, &err) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", ir->pending_name, err);
		ir->failed++;
	} else {
		print_result(ir, ir->pending_name, &ir->pending);
	}
	ingest_result_free(&ir->pending);
	free(ir->pending_name);
	ir->pending_name = NULL;
}

/* flush - process what is pending, commit the batch, then print its
   results (they are durable now) */
static int flush(struct inject_run *ir)
{
	process_pending(ir, 0);
	if (ir->in_batch == 0)
		return 0;
	int rc = store_commit(ir->st);
	if (rc < 0) {
		fprintf(stderr, "tagctl: the last %d messages were not stored: %s\n", ir->in_batch,
			store_error(ir->st));
		ir->failed += ir->in_batch;
	} else {
		ctl_print(ir->out.data, ir->out.len);
	}
	buf_reset(&ir->out);
	ir->in_batch = 0;
	return rc;
}

static int inject_one(void *arg, const char *name, const char *raw, size_t len)
{
	struct inject_run *ir = arg;
	struct ingest_source src = { 0 };
	src.source = "inject";
	src.ref = name;
	src.session_slug = ir->session;
	struct ingest_result r;
	const char *err;
	ir->count++;
	if (raw == NULL) {
		fprintf(stderr, "tagctl: %s: larger than [limits] max_message_size; not taken\n", name);
		ir->failed++;
		return 0;
	}
	if (ir->in_batch == 0 && store_begin(ir->st) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", name, store_error(ir->st));
		ir->failed++;
		return 0;
	}
	ir->in_batch++;
	int a = ingest_archive(ir->in, raw, len, &src, &r, &err);
	if (a < 0) {
		process_pending(ir, 0);
		fprintf(stderr, "tagctl: %s: %s\n", name, err);
		ir->failed++;
	} else if (a == 1) {
		process_pending(ir, 0);
		ingest_note_duplicate(&r);
		print_result(ir, name, &r);
	} else {
		/* archived: the one before is processed now, this one next */
		process_pending(ir, r.message_row);
		ir->pending = r;
		memset(&r, 0, sizeof(r));
		ir->pending_name = xstrdup(name);
	}
	ingest_result_free(&r);
	if (ir->in_batch >= INJECT_BATCH)
		flush(ir);
	return 0;
}

int ctl_cmd_inject(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "[--session SLUG] [--json] [FILE...]";
	static const char more[] =
		"\nTake messages through the same path as mail from IMAP or LMTP: archive,\n"
		"parse, filter, class and thread. Each FILE is a message, an mbox or a\n"
		"Maildir; with no FILE, one message (or an mbox) is read from stdin.\n"
		"One result per message; --json prints one JSON object per line with\n"
		"file, message_id, class, reason, command, rsvp and comments\n"
		"[{id, paragraph, paragraphs, revision, parent, how, text}].\n";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("inject", usage, more, 1);
	struct inject_run ir;
	memset(&ir, 0, sizeof(ir));
	ir.json = ctl_flag(&argc, argv, "--json");
	if (ctl_option(&argc, argv, "--session", &ir.session) < 0 || ctl_unknown_option(argc, argv))
		return ctl_usage("inject", usage, NULL, 0);
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	if (ir.session) {
		struct st_session s;
		if (ctl_session(c, ir.session, &s) != 0)
			return CTL_FAIL;
		st_session_free(&s);
	}
	const char *err;
	ir.in = ingest_new(st, &c->cfg, &err);
	if (ir.in == NULL) {
		fprintf(stderr, "tagctl: %s\n", err);
		return CTL_FAIL;
	}
	buf_init(&ir.out, 0);
	ir.st = st;
	int rc = CTL_OK;
	for (int i = 0; i < (argc ? argc : 1); i++) {
		const char *path = argc ? argv[i] : "-";
		if (mailbox_read(path, (size_t)c->cfg.max_message_size, inject_one, &ir, &err) < 0) {
			fprintf(stderr, "tagctl: %s\n", err);
			rc = CTL_FAIL;
		}
	}
	flush(&ir);
	if (ir.failed)
		rc = CTL_FAIL;
	buf_free(&ir.out);
	ingest_free(&ir.in);
	return rc;
}

/* ---- comments ---- */

static void fmt_time(time_t t, const char *tz, char *out, size_t n)
{
	clock_format(t, tz, "%Y-%m-%d %H:%M", out, n);
}

int ctl_cmd_comments(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "SLUG [--json|--csv|--md]";
	static const char more[] =
		"\nThe stored comments of a session, oldest first: id, paragraph (as shown in\n"
		"the revision the author saw, and in the current revision), author, time,\n"
		"status and text.\n";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("comments", usage, more, 1);
	int json = ctl_flag(&argc, argv, "--json");
	int csv = ctl_flag(&argc, argv, "--csv");
	int md = ctl_flag(&argc, argv, "--md");
	if (argc != 1 || json + csv + md > 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("comments", usage, NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct st_comment *list;
	int n, cur = 0;
	if (store_comment_list(c->st, s.id, 0, &list, &n) < 0) {
		st_session_free(&s);
		return CTL_FAIL;
	}
	store_revision_current(c->st, s.id, &cur);
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (json)
		json_arr_begin(&j);
	if (csv)
		buf_puts(&out, "id,paragraph,revision,current_paragraph,parent,author,name,created,status,late,how,text\n");
	if (md)
		buf_printf(&out, "# Comments: %s\n\n", s.title);
	for (int i = 0; i < n; i++) {
		const struct st_comment *k = &list[i];
		int now = 0;
		if (k->paragraph_id)
			store_paragraph_number(c->st, s.id, cur, k->paragraph_id, &now);
		char when[32];
		fmt_time(k->created, s.timezone, when, sizeof(when));
		if (json) {
			json_obj_begin(&j);
			json_kint(&j, "id", k->id);
			json_kint(&j, "paragraph", k->number);
			json_kstr(&j, "paragraphs", k->paragraphs);
			json_kint(&j, "revision", k->revision);
			json_kint(&j, "current_paragraph", now);
			json_key(&j, "parent");
			if (k->parent_id)
				json_int(&j, k->parent_id);
			else
				json_null(&j);
			json_kstr(&j, "author", k->author_email);
			json_kstr(&j, "name", k->author_name);
			json_kstr(&j, "created", when);
			json_kstr(&j, "status", k->status);
			json_kbool(&j, "late", k->late);
			json_kstr(&j, "how", k->how);
			json_kstr(&j, "note", k->note);
			json_kstr(&j, "text", k->text);
			json_obj_end(&j);
		} else if (csv) {
			char num[32];
			snprintf(num, sizeof(num), "%lld", (long long)k->id);
			csv_field(&out, num, 1);
			snprintf(num, sizeof(num), "%d", k->number);
			csv_field(&out, num, 0);
			snprintf(num, sizeof(num), "%d", k->revision);
			csv_field(&out, num, 0);
			snprintf(num, sizeof(num), "%d", now);
			csv_field(&out, num, 0);
			snprintf(num, sizeof(num), "%lld", (long long)k->parent_id);
			csv_field(&out, k->parent_id ? num : "", 0);
			csv_field(&out, k->author_email, 0);
			csv_field(&out, k->author_name, 0);
			csv_field(&out, when, 0);
			csv_field(&out, k->status, 0);
			csv_field(&out, k->late ? "yes" : "no", 0);
			csv_field(&out, k->how, 0);
			csv_field(&out, k->text, 0);
			buf_putc(&out, '\n');
		} else if (md) {
			buf_printf(&out, "## %s%d (comment %lld)\n\n", k->number ? "¶" : "the draft as a whole", 
				   k->number, (long long)k->id);
			buf_printf(&out, "*%s* <%s>, %s, %s%s\n\n%s\n\n", k->author_name ? k->author_name : "",
				   k->author_email, when, k->status, k->late ? ", late" : "", k->text);
		} else {
			buf_printf(&out, "#%lld ¶%d (r%d%s) %s %s [%s]%s\n    %s\n", (long long)k->id, k->number,
				   k->revision, "", when, k->author_email, k->status, k->late ? " late" : "",
				   k->text);
		}
	}
	if (json) {
		json_arr_end(&j);
		buf_putc(&out, '\n');
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_comment_list_free(&list, n);
	st_session_free(&s);
	return CTL_OK;
}

/* ---- held mail ---- */

int ctl_cmd_held(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "[SLUG] [--json]";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("held", usage,
				 "\nMail kept for the organizers: from strangers, unreadable, rejected\n"
				 "by a filter, or sent to no session. Release or discard it by id.\n", 1);
	int json = ctl_flag(&argc, argv, "--json");
	if (argc > 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("held", usage, NULL, 0);
	int64_t sid = 0;
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	if (argc == 1) {
		struct st_session s;
		if (ctl_session(c, argv[0], &s) != 0)
			return CTL_FAIL;
		sid = s.id;
		st_session_free(&s);
	}
	struct st_message *list;
	int n;
	if (store_message_list(st, "held", sid, &list, &n) < 0)
		return CTL_FAIL;
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (json)
		json_arr_begin(&j);
	for (int i = 0; i < n; i++) {
		char when[32];
		fmt_time(list[i].received, "UTC", when, sizeof(when));
		if (json) {
			json_obj_begin(&j);
			json_kint(&j, "id", list[i].id);
			json_kstr(&j, "received", when);
			json_kstr(&j, "from", list[i].sender);
			json_kstr(&j, "subject", list[i].subject);
			json_kstr(&j, "class", list[i].class);
			json_kstr(&j, "reason", list[i].reason);
			json_kstr(&j, "message_id", list[i].message_id);
			json_obj_end(&j);
		} else {
			buf_printf(&out, "%-6lld %s UTC  %-10s %s\n       %s\n       %s\n", (long long)list[i].id, when,
				   list[i].class ? list[i].class : "", list[i].sender ? list[i].sender : "",
				   list[i].subject ? list[i].subject : "", list[i].reason ? list[i].reason : "");
		}
	}
	if (json) {
		json_arr_end(&j);
		buf_putc(&out, '\n');
	} else if (n == 0) {
		buf_puts(&out, "no held mail\n");
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_message_list_free(&list, n);
	return CTL_OK;
}

static int held_action(struct ctl *c, int argc, char **argv, int release)
{
	const char *name = release ? "release" : "discard";
	if (ctl_wants_help(argc, argv))
		return ctl_usage(name, "ID", release ?
				 "\nTake a held message as a participant's comment after all.\n" :
				 "\nMark a held message as discarded (it stays archived).\n", 1);
	int64_t id;
	if (argc != 1 || str_to_i64(argv[0], 1, INT64_MAX, &id) < 0)
		return ctl_usage(name, "ID", NULL, 0);
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	struct st_message m;
	if (store_message_get(st, id, &m) != 0) {
		fprintf(stderr, "tagctl: no message %lld\n", (long long)id);
		return CTL_FAIL;
	}
	int held = strcmp(m.state, "held") == 0;
	st_message_free(&m);
	if (!held) {
		fprintf(stderr, "tagctl: message %lld is not held\n", (long long)id);
		return CTL_FAIL;
	}
	if (!release) {
		if (store_message_set_state(st, id, "discarded") < 0)
			return CTL_FAIL;
		printf("message %lld discarded\n", (long long)id);
		return CTL_OK;
	}
	const char *err;
	struct ingest *in = ingest_new(st, &c->cfg, &err);
	if (in == NULL) {
		fprintf(stderr, "tagctl: %s\n", err);
		return CTL_FAIL;
	}
	struct ingest_result r;
	memset(&r, 0, sizeof(r));
	int rc = ingest_release(in, id, &r);
	if (rc < 0)
		fprintf(stderr, "tagctl: cannot release message %lld\n", (long long)id);
	else
		printf("message %lld: %s (%s)\n", (long long)id, msg_class_name(r.class), r.reason);
	ingest_result_free(&r);
	ingest_free(&in);
	return rc < 0 ? CTL_FAIL : CTL_OK;
}

int ctl_cmd_release(struct ctl *c, int argc, char **argv)
{
	return held_action(c, argc, argv, 1);
}

int ctl_cmd_discard(struct ctl *c, int argc, char **argv)
{
	return held_action(c, argc, argv, 0);
}
