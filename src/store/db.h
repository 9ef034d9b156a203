#ifndef TAGD_STORE_DB_H
#define TAGD_STORE_DB_H
/* The store: one SQLite database holding all of tagd's state. Only
   src/store/ speaks SQL; the rest of the program uses the functions in
   store.h. Every connection runs in WAL mode with foreign keys on,
   synchronous=FULL (a message is acknowledged only after it is durable)
   and a busy timeout; writes use BEGIN IMMEDIATE and are retried while
   another process holds the lock, so "database is locked" never reaches a
   user. */
#include <stddef.h>
#include <stdint.h>

struct store;

/* STORE_SCHEMA_VERSION - the schema this build writes (PRAGMA user_version) */
#define STORE_SCHEMA_VERSION 6

/* store_open - open (creating if needed) and migrate the database at path.
   A database newer than this build is refused. 0 / -1 with *error_r. */
int store_open(const char *path, struct store **st_r, const char **error_r);
/* store_open_version - as store_open, but migrate only up to version
   (tests build a database of an older schema with it) */
int store_open_version(const char *path, int version, struct store **st_r, const char **error_r);
void store_close(struct store **st);
/* store_relax_sync - this connection's commits skip the fsync
   (synchronous=NORMAL in WAL mode): they survive the process being
   killed, not a power loss or an OS crash. Only for a connection whose
   writes may be lost harmlessly: the sender's outbox states (a lost
   "sent" mark means the mail is sent again, as after a kill between the
   server's 250 and the mark). Its commits also leave the checkpoint of
   the write-ahead log to store_checkpoint: with several such connections
   reading all the time, an automatic checkpoint at every commit could
   not finish and synced the log each time (bench/: 4,911 fsyncs for
   10,000 mails on four connections, 98 on one). 0 / -1. */
int store_relax_sync(struct store *st);
/* store_checkpoint - copy what it can of the write-ahead log into the
   database without waiting for readers (a passive checkpoint); 0 / -1 */
int store_checkpoint(struct store *st);
/* store_schema_version - the user_version of the open database */
int store_schema_version(struct store *st);
const char *store_path(const struct store *st);

/* Transactions. store_begin takes the write lock at once (BEGIN IMMEDIATE),
   waiting for other writers. Nested calls make savepoints: an inner
   rollback undoes only the inner work, and only the outermost commit makes
   anything durable. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* A write gate: the turns of one process's connections to write. SQLite's
   own lock, when taken, makes the others poll for it (sleeps of 1 to 100
   ms), and a connection that commits and begins again at once may take it
   back before any of them wakes: bench/ saw tagd's IMAP thread wait about
   55 ms for each batch of 100 it had fetched in 8 ms, while the main
   thread processed. With a gate, the outermost store_begin of each
   connection that shares it waits its turn in the order of arrival (first
   come, first served), and the one that has it can see that another
   waits (store_gate_waiting) and end its group of work early. Other
   processes (tagctl) still meet SQLite's lock and its busy timeout. */
struct store_gate;
/* store_gate_new - a gate whose waiters give up after timeout_ms (0: two
   minutes, as a writer gives up on SQLite's lock) */
struct store_gate *store_gate_new(int timeout_ms);
/* store_gate_free - only once no connection uses it */
void store_gate_free(struct store_gate **g);
/* store_set_gate - from now on this connection's transactions take turns
   through g (NULL: no longer); not inside a transaction */
void store_set_gate(struct store *st, struct store_gate *g);
/* store_gate_waiting - how many connections of st's gate wait for their
   turn (0 without a gate) */
int store_gate_waiting(struct store *st);

/* store_error - the text of the last SQLite error on this connection */
const char *store_error(struct store *st);
/* store_last_full - 1 if the last failure was a full disk (SQLITE_FULL) */
int store_last_full(struct store *st);

/* store_secret - the per-database secret (32 random bytes, created on
   first use) for HMAC tokens */
int store_secret(struct store *st, unsigned char key[32]);

#endif
