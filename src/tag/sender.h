#ifndef TAGD_TAG_SENDER_H
#define TAGD_TAG_SENDER_H
/* The outbox's sender: takes mail whose time has come and hands it to the
   SMTP smarthost (one transaction per mail, the connection reused), or,
   with no smarthost configured, delivers it into the outbox Maildir (the
   demo's embedded default). A 4xx, a lost connection or a timeout defers
   the mail with exponential backoff for up to [smtp] retry_for; a 5xx fails
   it and counts against the recipient (their bounce score). A rate limit
   per minute. Used from one thread, with its own store connection. */
#include "store/store.h"
#include "tag/settings.h"
#include <stdatomic.h>
#include <time.h>

struct sender;

struct sender *sender_new(struct store *st, const struct tagd_config *cfg, const char **error_r);
void sender_free(struct sender **s);
/* sender_set_part - this sender takes only mails whose outbox id % nparts
   is part, and 1/nparts of the rate limit: one of nparts senders, each on
   its own connection and thread ([smtp] connections) */
void sender_set_part(struct sender *s, int part, int nparts);
/* sender_run - send what is due now, at most max mails; the number
   handled (sent, deferred or failed), or -1 on a store error.
   *stop is checked between mails. */
int sender_run(struct sender *s, int max, atomic_int *stop);
/* sender_next - when mail is next due: 0 now, -1 nothing queued */
time_t sender_next(struct sender *s);
/* sender_backoff - the wait after the n-th failed attempt (n >= 1) */
long sender_backoff(int attempts);

#endif
