/* ctl_outbox.c - tagctl outbox [--json] | show ID | retry ID */
#include "config.h"
#include "tag/ctl.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/str.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
	"\n  outbox [SLUG] [--state S] [--json]  the queue: id, recipient, kind, state,\n"
	"                                      attempts, next attempt, last error\n"
	"  outbox show ID                      the mail exactly as it is sent\n"
	"  outbox retry ID                     try a deferred or failed mail again now\n";

static int cmd_list(struct ctl *c, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	const char *state = NULL;
	if (ctl_option(&argc, argv, "--state", &state) < 0 || argc > 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("outbox", "[SLUG] [--state S] [--json]", NULL, 0);
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	int64_t sid = 0;
	if (argc == 1) {
		struct st_session s;
		if (ctl_session(c, argv[0], &s) != 0)
			return CTL_FAIL;
		sid = s.id;
		st_session_free(&s);
	}
	struct st_outbox *list;
	int n;
	if (store_outbox_list(st, sid, state, &list, &n) < 0)
		return CTL_FAIL;
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (json)
		json_arr_begin(&j);
	for (int i = 0; i < n; i++) {
		const struct st_outbox *o = &list[i];
		char next[32];
		clock_format(o->next_attempt, "UTC", "%Y-%m-%d %H:%M:%S", next, sizeof(next));
		if (json) {
			json_obj_begin(&j);
			json_kint(&j, "id", o->id);
			json_kstr(&j, "recipient", o->recipient);
			json_kstr(&j, "kind", o->kind);
			json_kstr(&j, "state", o->state);
			json_kint(&j, "attempts", o->attempts);
			json_kstr(&j, "next_attempt", next);
			json_kstr(&j, "last_error", o->last_error);
			json_kstr(&j, "purpose", o->purpose);
			json_kstr(&j, "message_id", o->message_id);
			json_obj_end(&j);
		} else {
			buf_printf(&out, "%-6lld %-9s %-14s %-36s tries %d%s%s\n", (long long)o->id, o->state, o->kind,
				   o->recipient, o->attempts, o->last_error ? "  " : "",
				   o->last_error ? o->last_error : "");
		}
	}
	if (json) {
		json_arr_end(&j);
		buf_putc(&out, '\n');
	} else if (n == 0) {
		buf_puts(&out, "the outbox is empty\n");
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_outbox_list_free(&list, n);
	return CTL_OK;
}

static int get_id(struct ctl *c, int argc, char **argv, const char *sub, struct st_outbox *o)
{
	int64_t id;
	if (argc != 1 || str_to_i64(argv[0], 1, INT64_MAX, &id) < 0) {
		fprintf(stderr, "usage: tagctl outbox %s ID\n", sub);
		return CTL_USAGE;
	}
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	int r = store_outbox_get(st, id, o);
	if (r == 1)
		fprintf(stderr, "tagctl: no outbox entry %lld\n", (long long)id);
	return r == 0 ? CTL_OK : CTL_FAIL;
}

int ctl_cmd_outbox(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "[SLUG] [--state S] [--json] | show ID | retry ID";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("outbox", usage, help_text, 1);
	if (argc >= 1 && strcmp(argv[0], "show") == 0) {
		struct st_outbox o;
		int r = get_id(c, argc - 1, argv + 1, "show", &o);
		if (r != CTL_OK)
			return r;
		ctl_print(o.raw, o.rawlen);
		st_outbox_free(&o);
		return CTL_OK;
	}
	if (argc >= 1 && strcmp(argv[0], "retry") == 0) {
		struct st_outbox o;
		int r = get_id(c, argc - 1, argv + 1, "retry", &o);
		if (r != CTL_OK)
			return r;
		if (strcmp(o.state, "sent") == 0) {
			fprintf(stderr, "tagctl: outbox entry %lld was sent already\n", (long long)o.id);
			st_outbox_free(&o);
			return CTL_FAIL;
		}
		r = store_outbox_update(c->st, o.id, "queued", o.attempts, clock_now(), o.last_error, 0);
		if (r == 0)
			printf("outbox entry %lld queued again (the daemon sends it at its next round)\n", (long long)o.id);
		st_outbox_free(&o);
		return r == 0 ? CTL_OK : CTL_FAIL;
	}
	return cmd_list(c, argc, argv);
}
