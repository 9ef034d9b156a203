#ifndef TAGD_TAG_MAILBOX_H
#define TAGD_TAG_MAILBOX_H
/* Reading messages from files: one message per file, an mbox (mboxrd
   ">From " unquoting), or a Maildir (new/ and cur/, in name order). */
#include <stddef.h>

/* mailbox_each_fn - one message; return 0 to go on, -1 to stop. raw is NULL
   (len 0) for a message of an mbox that was larger than the size limit. */
typedef int (*mailbox_each_fn)(void *arg, const char *name, const char *raw, size_t len);

/* mailbox_read - call fn for each message in path ("-" = stdin); the
   count of messages, or -1 with *error_r when path cannot be read. An mbox
   is read as a stream: one message in memory at a time. */
int mailbox_read(const char *path, size_t max_size, mailbox_each_fn fn, void *arg, const char **error_r);

/* maildir_deliver - write raw into the Maildir dir (tmp/ then new/),
   creating it if needed; the new file's path in *path_r (malloc'd) */
int maildir_deliver(const char *dir, const char *raw, size_t len, char **path_r, const char **error_r);
/* maildir_create - make dir (and the directories above it), dir/tmp, dir/new, dir/cur */
int maildir_create(const char *dir, const char **error_r);

#endif
