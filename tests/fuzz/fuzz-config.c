/* fuzz-config - text through the two config readers: a session file
   (session_conf_parse, and session_conf_to_store when it parses) and
   tagd.conf (cfg_load_string over the tagd_config_defs table, then
   cfg_dump). The first byte chooses the reader (odd: tagd.conf).
   Properties: a good session has its required fields; the dump never
   shows a secret value, and a good config's dump reads back to the same
   settings. Run the fuzzer with stdin from /dev/null: a
   password_file key reads the file it names. */
#include "config.h"
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "tag/session.h"
#include "tag/settings.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_quiet(1);
	return 0;
}

static void session_file(const char *text)
{
	struct session_conf sc;
	struct buf err = BUF_INIT;
	int n = session_conf_parse(&sc, text, "fuzz.session", &err);
	fuzz_check(n >= 0, "a problem count");
	fuzz_check((n == 0) == (err.len == 0), "problems are reported as lines");
	if (n == 0) {
		fuzz_check(sc.slug && *sc.slug && sc.list && *sc.list, "a good session has a slug and a list address");
		struct st_session s;
		session_conf_to_store(&sc, text, &s);
		session_store_free(&s);
	}
	session_conf_free(&sc);
	buf_free(&err);
}

static void tagd_conf(const char *text)
{
	struct tagd_config c;
	memset(&c, 0, sizeof(c));
	cfg_defaults(tagd_config_defs, &c);
	struct buf err = BUF_INIT, dump = BUF_INIT;
	int n = cfg_load_string(tagd_config_defs, &c, text, "fuzz.conf", &err);
	fuzz_check(n >= 0, "a problem count");
	cfg_dump(tagd_config_defs, &c, &dump);
	if (c.imap_password && strlen(c.imap_password) >= 4)
		fuzz_check(strstr(buf_cstr(&dump), c.imap_password) == NULL ||
			   strstr(text, c.imap_password) != NULL, "the dump hides the IMAP password");
	/* --dump-config read back gives the same settings (inih reads lines
	   of at most 198 bytes, and the dump's " = " can make a line that
	   fitted too long: that is reported on reading, not checked here) */
	int long_line = 0;
	for (const char *l = buf_cstr(&dump); *l && !long_line; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0))
		long_line = strcspn(l, "\n") > 198;
	if (n == 0 && !long_line && c.imap_password == NULL && c.smtp_password == NULL) {
		struct tagd_config c2;
		memset(&c2, 0, sizeof(c2));
		cfg_defaults(tagd_config_defs, &c2);
		struct buf err2 = BUF_INIT, dump2 = BUF_INIT;
		int n2 = cfg_load_string(tagd_config_defs, &c2, buf_cstr(&dump), "dump", &err2);
		if (n2 != 0)
			fprintf(stderr, "%s---\n%s", buf_cstr(&dump), buf_cstr(&err2));
		fuzz_check(n2 == 0, "the dump of a good config reads back without problems");
		cfg_dump(tagd_config_defs, &c2, &dump2);
		fuzz_check(strcmp(buf_cstr(&dump), buf_cstr(&dump2)) == 0, "the dump read back dumps the same");
		cfg_free(tagd_config_defs, &c2);
		buf_free(&err2);
		buf_free(&dump2);
	}
	cfg_free(tagd_config_defs, &c);
	buf_free(&err);
	buf_free(&dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *text = xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		tagd_conf(text);
	else
		session_file(text);
	free(text);
	return 0;
}
