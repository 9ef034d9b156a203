#ifndef TAGD_MAIL_HTML_H
#define TAGD_MAIL_HTML_H
/* HTML mail to plain text, with quoted material marked the way a plain
   text reply would mark it. The quote structure is read from the HTML
   (before it becomes text): blockquote (Apple and Thunderbird type=cite,
   Gmail's blockquote.gmail_quote, any other), div.gmail_quote, Yahoo's
   div.yahoo_quoted, and Outlook's markers after which the rest of the body
   is the quoted message (div#divRplyFwdMsg, div#appendonsend, the
   border-top header div, hr#stopSpelling, an hr followed by "From:", an
   "-----Original Message-----" line on its own).
   Quoted lines are prefixed "> " per level ("> > " nested). */
#include <stddef.h>
#include "lib/buf.h"

/* html_to_text - append the text of an HTML document (UTF-8, len bytes)
   to out: blocks, <br> and list items on their own lines ("- " bullets),
   links as "text <url>" when the url differs from the text, entities
   decoded, script/style/head dropped, whitespace collapsed, lines
   right-trimmed, at most one blank line in a row, a final newline when
   there is any text. -1 (out unchanged) if the document cannot be read. */
int html_to_text(const char *html, size_t len, struct buf *out);

#endif
