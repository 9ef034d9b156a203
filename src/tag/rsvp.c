/* rsvp.c - RSVPs and bounces */
#include "config.h"
#include "tag/rsvp.h"
#include "tag/call.h"
#include "tag/callmail.h"
#include "tag/token.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* invited - whether email was asked to the call: a participant (active or
   pending) or an organizer */
static int invited(const struct st_session *ses, struct store *st, const char *email)
{
	struct st_participant p;
	if (store_participant_get(st, ses->id, email, &p) == 0) {
		int ok = strcmp(p.status, "active") == 0 || strcmp(p.status, "pending") == 0;
		st_participant_free(&p);
		return ok;
	}
	for (int i = 0; i < ses->norganizers; i++)
		if (str_casecmp(ses->organizers[i].email, email) == 0)
			return 1;
	return 0;
}

int rsvp_take(struct store *st, struct mailout *mo, const struct st_session *ses, const char *ics,
	      size_t len, const char *mime_method, char *answer_r, size_t answer_size,
	      char *reason_r, size_t reason_size)
{
	struct call_reply r;
	const char *err;
	if (call_reply_parse(ics, len, mime_method, &r, &err) < 0) {
		log_debug(LOG_SUB_CALL, "calendar part not read: %s", err);
		return 0;
	}
	int counter = strcmp(r.method, "COUNTER") == 0;
	if (strcmp(r.method, "REPLY") != 0 && !counter) {
		call_reply_free(&r);
		return 0;
	}
	struct st_session found;
	struct st_call call;
	int own = 0, have_call = 0, ret;
	if (ses == NULL) {
		/* the call's UID names its session; else its slug (SLUG.call@DOMAIN) */
		int cr = store_call_by_uid(st, r.uid, &call);
		int sr = 1;
		if (cr == 0) {
			have_call = 1;
			sr = store_session_get_id(st, call.session_id, &found);
		} else if (cr == 1) {
			const char *dot = strstr(r.uid, ".call@");
			char *slug = dot ? xstrndup(r.uid, (size_t)(dot - r.uid)) : NULL;
			if (slug)
				sr = store_session_get(st, slug, &found);
			free(slug);
		}
		if (cr < 0 || sr < 0) {
			ret = -1;
			goto out;
		}
		if (sr == 0) {
			ses = &found;
			own = 1;
		}
	}
	if (ses == NULL) {
		snprintf(reason_r, reason_size, "an answer to an unknown event %s", r.uid);
		snprintf(answer_r, answer_size, "unknown");
		ret = 2;
		goto out;
	}
	if (!have_call) {
		int er = callmail_ensure(st, ses, &call, &err);
		if (er == 0) {
			have_call = 1;
		} else if (er == 1) {
			snprintf(reason_r, reason_size, "an answer about a launch call, but %s plans none (%s)",
				 ses->slug, r.uid);
			snprintf(answer_r, answer_size, "unknown");
			ret = 2;
			goto out;
		} else {
			/* the answers are still worth keeping */
			log_warn("call: %s: %s", ses->slug, err);
		}
	}
	if (have_call && str_casecmp(call.uid, r.uid) != 0) {
		snprintf(reason_r, reason_size, "an answer to another event (%s)", r.uid);
		snprintf(answer_r, answer_size, "unknown");
		ret = 2;
		goto out;
	}
	int recorded = 0, stale = 0;
	const char *answer = NULL;
	for (int i = 0; i < r.natt; i++) {
		const char *email = r.att[i].email;
		if (!invited(ses, st, email))
			continue;
		const char *ps = counter ? "counter" : call_partstat_name(r.att[i].partstat);
		if (have_call && r.sequence < call.sequence) {
			stale++;
			continue;
		}
		struct st_rsvp old;
		int gr = store_rsvp_get(st, ses->id, email, &old);
		if (gr < 0) {
			ret = -1;
			goto out;
		}
		if (gr == 0) {
			int older = r.sequence < old.sequence ||
				    (!counter && r.sequence == old.sequence && r.dtstamp && old.dtstamp > r.dtstamp);
			st_rsvp_free(&old);
			if (older) {
				stale++;
				continue;
			}
		}
		if (!counter) {
			struct st_rsvp nr = { 0 };
			nr.email = (char *)email;
			nr.partstat = (char *)ps;
			nr.sequence = r.sequence;
			nr.dtstamp = r.dtstamp;
			nr.comment = r.comment;
			if (store_rsvp_put(st, ses->id, &nr) < 0) {
				ret = -1;
				goto out;
			}
		}
		answer = ps;
		recorded++;
	}
	if (recorded == 0 && stale == 0) {
		snprintf(reason_r, reason_size, "an answer from %s, who was not invited", r.att[0].email);
		snprintf(answer_r, answer_size, "unknown");
		ret = 2;
		goto out;
	}
	if (recorded == 0) {
		snprintf(answer_r, answer_size, "%s", counter ? "counter" : call_partstat_name(r.att[0].partstat));
		snprintf(reason_r, reason_size, "an answer to an older version of the invitation (sequence %d); ignored",
			 r.sequence);
		ret = 1;
		goto out;
	}
	snprintf(answer_r, answer_size, "%s", answer);
	if (counter) {
		char *w = r.counter_start ? call_format_local(r.counter_start, ses->timezone) : NULL;
		const char *passed = "not passed on (no mail out here)";
		if (mo) {
			if (callmail_counter(mo, st, ses, &r, &err) == 0) {
				passed = "passed to the organizers";
			} else {
				log_error("call: a counter proposal from %s not passed on: %s", r.att[0].email, err);
				passed = "could not be passed to the organizers";
			}
		}
		snprintf(reason_r, reason_size, "%s proposes %s; %s", r.att[0].email, w ? w : "another time",
			 passed);
		free(w);
	} else {
		snprintf(reason_r, reason_size, "%s %s the launch call", r.att[0].email, answer);
	}
	ret = 1;
out:
	if (have_call)
		st_call_free(&call);
	if (own)
		st_session_free(&found);
	call_reply_free(&r);
	return ret;
}

int rsvp_note_bounce(struct store *st, const struct st_session *ses, const char *verp_token,
		     const char *recipient, int permanent, int threshold)
{
	struct st_participant p;
	int found = 1;          /* 0 found, 1 not found, -1 store error */
	char *subject = NULL;
	if (verp_token && token_check(st, "bounce", verp_token, &subject) == 0) {
		int64_t pid;
		if (str_to_i64(subject, 1, INT64_MAX, &pid) == 0)
			found = store_participant_get_id(st, pid, &p);
		free(subject);
	}
	if (found == 1 && recipient)
		found = store_participant_get(st, ses->id, recipient, &p);
	if (found != 0)
		return found < 0 ? -1 : 0;
	int r = 0;
	if (permanent && p.session_id == ses->id) {
		p.bounce_score++;
		if (p.bounce_score >= threshold && strcmp(p.status, "active") == 0) {
			free(p.status);
			p.status = xstrdup("disabled");
			log_warn("delivery to %s disabled after %d bounces", p.email, p.bounce_score);
		}
		r = store_participant_update(st, &p);
	}
	st_participant_free(&p);
	return r;
}
