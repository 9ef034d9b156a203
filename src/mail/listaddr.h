#ifndef TAGD_MAIL_LISTADDR_H
#define TAGD_MAIL_LISTADDR_H
/* The list-address scheme: LIST+TAG@domain. The tag says what a mail to
   it is: pN (a comment on paragraph N), cID (a reply to comment ID), join,
   leave, help, confirm-TOKEN, revise, bounces-TOKEN (VERP). This module
   only splits and joins addresses; src/tag gives the tags their meaning. */

/* listaddr_split - "local+tag@domain" into base "local@domain" and "tag"
   (NULL when there is none); -1 when addr has no '@' */
int listaddr_split(const char *addr, char **base_r, char **tag_r);
/* listaddr_make - "local+tag@domain" from a base address; tag NULL = base */
char *listaddr_make(const char *base, const char *tag);
/* listaddr_domain - the part after '@' (borrowed), "" if none */
const char *listaddr_domain(const char *addr);

#endif
