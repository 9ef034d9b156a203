#ifndef TAGD_MAIL_CHARSET_H
#define TAGD_MAIL_CHARSET_H
/* Charsets to UTF-8 for the mail parser: body text in a declared charset,
   RFC 2047 encoded words in header values, RFC 2231 extended parameter
   values. Input is untrusted: bad bytes become U+FFFD, unknown charsets are
   read as UTF-8 when valid, else as windows-1252, and the caller is told
   (a charset_outcome) so it can count a problem. Output always goes to a
   capped struct buf and is always valid UTF-8 without NUL bytes. */
#include <stddef.h>
#include "lib/buf.h"

enum charset_outcome {
	CHARSET_CLEAN = 0,      /* converted as declared */
	CHARSET_REPLACED,       /* invalid bytes became U+FFFD (or NUL bytes dropped) */
	CHARSET_WAS_UTF8,       /* declared something else, but the bytes are UTF-8 */
	CHARSET_WAS_1252,       /* declared UTF-8/ASCII, but the bytes are windows-1252 */
	CHARSET_UNKNOWN,        /* charset not known here: read as UTF-8 or windows-1252 */
	CHARSET_TRUNCATED,      /* the output buffer's cap was reached */
};

/* charset_to_utf8 - append the text in (len bytes, declared charset, NULL
   for none) to out as UTF-8. Returns the worst outcome met. */
enum charset_outcome charset_to_utf8(const char *charset, const char *in, size_t len,
				     struct buf *out);

/* charset_decode_header - append an unfolded header value (raw bytes, may
   hold RFC 2047 encoded words, raw 8-bit text, control characters) to out
   as UTF-8 on one line: encoded words decoded (adjacent words joined
   before conversion), whitespace between encoded words dropped, control
   characters turned into spaces, outer blanks trimmed. */
enum charset_outcome charset_decode_header(const char *in, size_t len, struct buf *out);

/* charset_decode_2231 - append an RFC 2231 extended value ("utf-8'en'%C3%95"
   when first is 1, a later "%xx" continuation piece when first is 0) to
   raw as bytes; the charset of the first piece goes to charset (at most
   csmax-1 bytes, "" if none). */
void charset_decode_2231(const char *in, size_t len, int first, struct buf *raw,
			 char *charset, size_t csmax);

/* charset_cache_clear - close the cached iconv descriptors of this thread */
void charset_cache_clear(void);

#endif
