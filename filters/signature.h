#ifndef TAGD_SIGNATURE_H
#define TAGD_SIGNATURE_H
/* Signature, footer and disclaimer stripping for the text a person wrote.
   Used by the signature stage of the filter chain (on the whole message
   text) and by the threading module (on each piece of new text it cuts out
   of a reply). Only whole lines of recognisable shape are removed:
   - the "-- " signature block and everything after it in the piece (a bare
     "--" only when a short block follows it);
   - mobile and webmail footers ("Sent from my iPhone", "Get Outlook for
     Android", "Von meinem iPhone gesendet", "從我的 iPhone 傳送", ...);
   - trailing legal disclaimers ("If you are not the intended recipient ...")
     and mailing-list footers ("You are receiving this because you ...",
     "To unsubscribe ...");
   - a trailing contact block: a name line followed only by title,
     organization, phone, address or disclaimer lines.
   Comment text is never cut: a paragraph that reads as prose ends the
   search from the end. A sign-off ("Thanks,\nAna") is kept. */
#include "lib/buf.h"

/* signature_strip - in is one piece of new, unquoted text (LF or CRLF line
   ends, no "> " lines, no attribution line). Appends the text without its
   signature, footers and disclaimers to out, and what was cut (lines joined
   by LF) to removed, which may be NULL. Appends nothing of in when all of it
   was cut. */
void signature_strip(const char *in, struct buf *out, struct buf *removed);

/* signature_strip_text - the same over a whole message text: quoted lines
   ("> "), attribution lines ("On ... wrote:") and forwarded/original-message
   header blocks are copied as they are, and each run of other lines between
   them is stripped with signature_strip(). */
void signature_strip_text(const char *text, struct buf *out, struct buf *removed);

#endif
