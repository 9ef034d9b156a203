#ifndef TAGD_TAG_TOKEN_H
#define TAGD_TAG_TOKEN_H
/* Tokens in addresses and Message-IDs: "SUBJECT-MAC", where MAC is a
   truncated HMAC-SHA-256 over "KIND:SUBJECT" with the database's secret
   (DESIGN.md: tokens are HMACs over their meaning). SUBJECT uses only
   [a-z0-9.] so the token fits in an address's local part; checks are in
   constant time. */
#include "store/store.h"

#define TOKEN_MAC_HEX 16        /* 64 bits of MAC, as hex */

/* token_make - "SUBJECT-MAC" for kind; the caller frees; NULL on a store error */
char *token_make(struct store *st, const char *kind, const char *subject);
/* token_check - 0 and *subject_r (malloc'd) when token is a valid token of kind; -1 otherwise */
int token_check(struct store *st, const char *kind, const char *token, char **subject_r);

#endif
