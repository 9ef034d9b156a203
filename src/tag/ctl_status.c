/* ctl_status.c - tagctl status [SLUG] [--json] */
#include "config.h"
#include "tag/ctl.h"
#include "lib/clock.h"
#include "lib/json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* phase - the stored state, or what the calendar says for a planned session */
static const char *phase(const struct st_session *s, time_t now)
{
	if (strcmp(s->state, "planned") != 0)
		return s->state;
	char today[16];
	clock_format(now, s->timezone, "%Y-%m-%d", today, sizeof(today));
	if (strcmp(today, s->opens) < 0)
		return "planned";
	if (strcmp(today, s->closes) <= 0)
		return "open";
	return "closed";
}

static void day_bounds(const struct st_session *s, time_t now, time_t *from, time_t *to)
{
	struct tm tm;
	clock_local(now, s->timezone, &tm);
	clock_make_local(s->timezone, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0, 0, from);
	clock_make_local(s->timezone, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + 1, 0, 0, to);
}

int ctl_cmd_status(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "[SLUG] [--json]";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("status", usage,
				 "\nThe state of each session (or one): phase, participants by status,\n"
				 "comments today and in all, the outbox (queued, deferred, sent, failed),\n"
				 "and the IMAP poller's last poll and last error.\n", 1);
	int json = ctl_flag(&argc, argv, "--json");
	if (argc > 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("status", usage, NULL, 0);
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	struct st_session *list;
	int n;
	if (store_session_list(st, &list, &n) < 0)
		return CTL_FAIL;
	int found = argc == 0;
	time_t now = clock_now();
	struct buf out = BUF_INIT;
	struct json j;
	json_init(&j, &out);
	if (json) {
		json_obj_begin(&j);
		json_key(&j, "sessions");
		json_arr_begin(&j);
	}
	for (int i = 0; i < n; i++) {
		const struct st_session *s = &list[i];
		if (argc == 1 && strcmp(argv[0], s->slug) != 0)
			continue;
		found = 1;
		int people[5], ob[5], all = 0, today = 0, rev = 0;
		time_t from, to;
		day_bounds(s, now, &from, &to);
		if (store_participant_count(st, s->id, people) < 0 || store_outbox_counts(st, s->id, ob) < 0 ||
		    store_comment_count(st, s->id, from, to, &all, &today) < 0 ||
		    store_revision_current(st, s->id, &rev) < 0) {
			st_session_list_free(&list, n);
			buf_free(&out);
			return CTL_FAIL;
		}
		if (json) {
			json_obj_begin(&j);
			json_kstr(&j, "slug", s->slug);
			json_kstr(&j, "title", s->title);
			json_kstr(&j, "phase", phase(s, now));
			json_kstr(&j, "opens", s->opens);
			json_kstr(&j, "closes", s->closes);
			json_kint(&j, "revision", rev);
			json_key(&j, "participants");
			json_obj_begin(&j);
			json_kint(&j, "pending", people[0]);
			json_kint(&j, "active", people[1]);
			json_kint(&j, "declined", people[2]);
			json_kint(&j, "left", people[3]);
			json_kint(&j, "disabled", people[4]);
			json_obj_end(&j);
			json_key(&j, "comments");
			json_obj_begin(&j);
			json_kint(&j, "today", today);
			json_kint(&j, "total", all);
			json_obj_end(&j);
			json_key(&j, "outbox");
			json_obj_begin(&j);
			json_kint(&j, "queued", ob[0]);
			json_kint(&j, "deferred", ob[1]);
			json_kint(&j, "sent", ob[2]);
			json_kint(&j, "failed", ob[3]);
			json_obj_end(&j);
			json_obj_end(&j);
		} else {
			buf_printf(&out, "%s: %s (%s, %s to %s, revision %d)\n"
				   "  participants: %d active, %d pending, %d declined, %d left, %d disabled\n"
				   "  comments:     %d today, %d in all\n"
				   "  outbox:       %d queued, %d deferred, %d sent, %d failed\n",
				   s->slug, s->title, phase(s, now), s->opens, s->closes, rev, people[1], people[0],
				   people[2], people[3], people[4], today, all, ob[0], ob[1], ob[2], ob[3]);
		}
	}
	st_session_list_free(&list, n);
	if (!found) {
		fprintf(stderr, "tagctl: no session named '%s'\n", argv[0]);
		buf_free(&out);
		return CTL_FAIL;
	}
	struct st_imap_state *im;
	int nim = 0;
	if (store_imap_state_list(st, &im, &nim) < 0) {
		buf_free(&out);
		return CTL_FAIL;
	}
	if (json) {
		json_arr_end(&j);
		json_key(&j, "imap");
		json_arr_begin(&j);
	}
	for (int i = 0; i < nim; i++) {
		char when[32] = "never";
		if (im[i].last_poll)
			clock_format(im[i].last_poll, "UTC", "%Y-%m-%d %H:%M:%S UTC", when, sizeof(when));
		if (json) {
			json_obj_begin(&j);
			json_kstr(&j, "account", im[i].account);
			json_kstr(&j, "mailbox", im[i].mailbox);
			json_kstr(&j, "last_poll", im[i].last_poll ? when : NULL);
			json_kstr(&j, "last_error", im[i].last_error);
			json_kint(&j, "last_uid", im[i].last_uid);
			json_obj_end(&j);
		} else {
			buf_printf(&out, "imap %s/%s: last poll %s%s%s\n", im[i].account, im[i].mailbox, when,
				   im[i].last_error ? ", last error: " : "", im[i].last_error ? im[i].last_error : "");
		}
	}
	st_imap_state_list_free(&im, nim);
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		buf_putc(&out, '\n');
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	return CTL_OK;
}
