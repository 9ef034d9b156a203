/* fuzz-ical - an inbound iMIP object through call_reply_parse, with no
   MIME method, REPLY or COUNTER (chosen by the input's length).
   Properties: a parsed reply has a method, a UID and at least one
   attendee with an address; a refused one says why and is empty. */
#include "config.h"
#include "fuzz.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "tag/call.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_quiet(1);
	const char *err;
	fuzz_check(call_init(&err) == 0, "libical and the system zones are there");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { NULL, "REPLY", "COUNTER" };
	char *ics = xmalloc(size ? size : 1);
	memcpy(ics, data, size);
	struct call_reply r;
	const char *err = NULL;
	if (call_reply_parse(ics, size, methods[size % 3], &r, &err) == 0) {
		fuzz_check(r.method && *r.method && r.uid && *r.uid, "a reply has a method and a UID");
		fuzz_check(r.natt >= 1, "a reply has an attendee");
		for (int i = 0; i < r.natt; i++)
			fuzz_check(r.att[i].email && *r.att[i].email, "every attendee has an address");
		call_reply_free(&r);
	} else {
		fuzz_check(err != NULL, "a refused object says why");
	}
	free(ics);
	return 0;
}
