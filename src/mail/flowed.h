#ifndef TAGD_MAIL_FLOWED_H
#define TAGD_MAIL_FLOWED_H
/* Plain text bodies to the text a person wrote: line ends made LF, and
   format=flowed (RFC 3676) unwrapped. */
#include <stddef.h>
#include "lib/buf.h"

/* flowed_unwrap - append text in (UTF-8, any line ends) to out with
   flowed lines joined: a line ending in a space continues on the next
   line of the same quote depth; space-stuffing is removed; with delsp the
   space before a soft break is dropped; "-- " stays a signature line.
   Quoted lines come out as ">>" prefixes plus one space. A missing final
   line end stays missing. */
void flowed_unwrap(const char *in, size_t len, int delsp, struct buf *out);

/* flowed_fixed - append in to out with CRLF and lone CR made LF */
void flowed_fixed(const char *in, size_t len, struct buf *out);

#endif
