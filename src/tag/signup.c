/* signup.c - commands by mail */
#include "config.h"
#include "tag/signup.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int signup_command(struct store *st, struct mailout *mo, const struct signup_request *rq,
		   char *reason, size_t reasonsize)
{
	(void)mo;
	struct st_participant *author = rq->author;
	const char *word = rq->word;
	if (strcmp(word, "leave") == 0) {
		if (author == NULL) {
			snprintf(reason, reasonsize, "leave from someone who is not a participant");
			return 0;
		}
		free(author->status);
		author->status = xstrdup("left");
		snprintf(reason, reasonsize, "%s left the session", author->email);
		return store_participant_update(st, author);
	}
	const char *mode = NULL;
	if (strcmp(word, "each") == 0 || strcmp(word, "digest") == 0)
		mode = word;
	else if (strcmp(word, "nomail") == 0)
		mode = "none";
	else if (strcmp(word, "mode") == 0) {
		char m[16];
		snprintf(m, sizeof(m), "%s", rq->arg ? rq->arg : "");
		char *t = str_trim(m);
		str_lower(t);
		mode = strcmp(t, "each") == 0 ? "each" : strcmp(t, "digest") == 0 ? "digest" :
		       strcmp(t, "nomail") == 0 ? "none" : NULL;
		if (mode == NULL) {
			snprintf(reason, reasonsize, "mode takes each, digest or nomail");
			return 0;
		}
	}
	if (mode) {
		if (author == NULL) {
			snprintf(reason, reasonsize, "mode change from someone who is not a participant");
			return 0;
		}
		free(author->mode);
		author->mode = xstrdup(mode);
		snprintf(reason, reasonsize, "delivery mode of %s is now %s", author->email, mode);
		return store_participant_update(st, author);
	}
	snprintf(reason, reasonsize, "%s request%s", word, rq->tag ? " by address" : "");
	return 0;
}
