/* migrate.c - the schema, as a list of steps. Step N takes a database of
   user_version N-1 to N in one transaction (user_version is
   transactional). Never edit a released step: add a new one. */
#include "config.h"
#include "store/db_internal.h"
#include "lib/log.h"
#include <stdio.h>

/* 1: the foundation: sessions, people, the draft and its revisions,
   incoming messages and the comments taken from them. */
static const char step1[] =
"CREATE TABLE meta ("
"  key TEXT PRIMARY KEY,"
"  value BLOB NOT NULL);"
"CREATE TABLE session ("
"  id INTEGER PRIMARY KEY,"
"  slug TEXT NOT NULL UNIQUE,"
"  title TEXT NOT NULL,"
"  list_addr TEXT NOT NULL UNIQUE COLLATE NOCASE,"
"  timezone TEXT NOT NULL,"
"  opens TEXT NOT NULL,"                 /* YYYY-MM-DD, session-local */
"  closes TEXT NOT NULL,"
"  digest_at INTEGER NOT NULL,"          /* minutes after local midnight */
"  min_years INTEGER NOT NULL DEFAULT 0,"
"  state TEXT NOT NULL DEFAULT 'planned'"
"    CHECK (state IN ('planned','open','closed','final')),"
"  source TEXT NOT NULL,"                /* the session file as imported */
"  created INTEGER NOT NULL);"
"CREATE TABLE organizer ("
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  email TEXT NOT NULL COLLATE NOCASE,"
"  name TEXT,"
"  PRIMARY KEY (session_id, email));"
"CREATE TABLE goal ("
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  position INTEGER NOT NULL,"
"  text TEXT NOT NULL,"
"  PRIMARY KEY (session_id, position));"
"CREATE TABLE participant ("
"  id INTEGER PRIMARY KEY,"
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  email TEXT NOT NULL COLLATE NOCASE,"
"  name TEXT,"
"  organization TEXT,"
"  role TEXT,"
"  years INTEGER,"
"  status TEXT NOT NULL DEFAULT 'active'"
"    CHECK (status IN ('pending','active','declined','left','disabled')),"
"  mode TEXT NOT NULL DEFAULT 'digest' CHECK (mode IN ('each','digest','none')),"
"  bounce_score INTEGER NOT NULL DEFAULT 0,"
"  created INTEGER NOT NULL,"
"  UNIQUE (session_id, email));"
"CREATE TABLE revision ("
"  id INTEGER PRIMARY KEY,"
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  number INTEGER NOT NULL,"
"  source TEXT NOT NULL,"
"  imported INTEGER NOT NULL,"
"  UNIQUE (session_id, number));"
"CREATE TABLE paragraph ("
"  id INTEGER PRIMARY KEY,"
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  created_rev INTEGER NOT NULL,"        /* revision numbers */
"  retired_rev INTEGER);"
"CREATE TABLE block ("
"  revision_id INTEGER NOT NULL REFERENCES revision(id) ON DELETE CASCADE,"
"  position INTEGER NOT NULL,"
"  number INTEGER NOT NULL,"             /* display number; 0 for headings */
"  paragraph_id INTEGER REFERENCES paragraph(id),"
"  kind TEXT NOT NULL,"
"  level INTEGER NOT NULL DEFAULT 0,"
"  text TEXT NOT NULL,"
"  markdown TEXT,"
"  change TEXT,"                         /* unchanged, edited, moved, new */
"  PRIMARY KEY (revision_id, position));"
"CREATE INDEX block_paragraph ON block(paragraph_id);"
"CREATE INDEX block_number ON block(revision_id, number);"
"CREATE TABLE message ("
"  id INTEGER PRIMARY KEY,"
"  session_id INTEGER REFERENCES session(id),"
"  message_id TEXT,"
"  body_hash TEXT NOT NULL,"
"  source TEXT NOT NULL,"                /* imap, lmtp, inject, maildir */
"  source_ref TEXT,"
"  rcpt TEXT,"
"  raw BLOB NOT NULL,"
"  received INTEGER NOT NULL,"
"  sender TEXT,"
"  subject TEXT,"
"  class TEXT,"
"  reason TEXT,"
"  state TEXT NOT NULL DEFAULT 'new'"
"    CHECK (state IN ('new','done','held','released','discarded')));"
"CREATE UNIQUE INDEX message_seen ON message(ifnull(message_id, ''), body_hash);"
"CREATE INDEX message_state ON message(state);"
"CREATE TABLE comment ("
"  id INTEGER PRIMARY KEY,"
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  message_id INTEGER REFERENCES message(id),"
"  position INTEGER NOT NULL DEFAULT 0,"   /* order within its message */
"  paragraph_id INTEGER REFERENCES paragraph(id)," /* NULL: the draft as a whole */
"  revision INTEGER NOT NULL,"           /* revision number the author saw */
"  number INTEGER NOT NULL DEFAULT 0,"   /* display number in that revision */
"  paragraphs TEXT,"                     /* all display numbers the quote touched */
"  parent_id INTEGER REFERENCES comment(id),"
"  author_id INTEGER REFERENCES participant(id),"
"  author_email TEXT NOT NULL COLLATE NOCASE,"
"  text TEXT NOT NULL,"
"  anchor TEXT,"
"  how TEXT,"
"  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','incorporated','declined')),"
"  note TEXT,"
"  late INTEGER NOT NULL DEFAULT 0,"
"  created INTEGER NOT NULL);"
"CREATE INDEX comment_session ON comment(session_id, created);"
"CREATE UNIQUE INDEX comment_origin ON comment(message_id, position);"
"CREATE INDEX comment_paragraph ON comment(paragraph_id);";

/* 2: mail out and the launch call: the outbox, the Message-IDs we sent
   (to read In-Reply-To), the call and its answers, IMAP progress. */
static const char step2[] =
"CREATE TABLE outbox ("
"  id INTEGER PRIMARY KEY,"
"  purpose TEXT NOT NULL UNIQUE,"        /* e.g. digest:SLUG:EMAIL:2018-07-17 */
"  session_id INTEGER REFERENCES session(id),"
"  kind TEXT NOT NULL,"
"  recipient TEXT NOT NULL COLLATE NOCASE,"
"  mail_from TEXT NOT NULL,"
"  message_id TEXT,"
"  raw BLOB NOT NULL,"
"  state TEXT NOT NULL DEFAULT 'queued'"
"    CHECK (state IN ('queued','deferred','sent','failed','held')),"
"  attempts INTEGER NOT NULL DEFAULT 0,"
"  next_attempt INTEGER NOT NULL,"
"  last_error TEXT,"
"  created INTEGER NOT NULL,"
"  done INTEGER);"
"CREATE INDEX outbox_due ON outbox(state, next_attempt);"
"CREATE TABLE ack ("                   /* automatic answers, to cap backscatter */
"  address TEXT NOT NULL COLLATE NOCASE,"
"  day TEXT NOT NULL,"
"  PRIMARY KEY (address, day));"
"CREATE TABLE sent_ref ("
"  message_id TEXT PRIMARY KEY,"
"  session_id INTEGER REFERENCES session(id) ON DELETE CASCADE,"
"  kind TEXT NOT NULL,"
"  revision INTEGER,"
"  paragraph_id INTEGER,"
"  comment_id INTEGER,"
"  recipient TEXT COLLATE NOCASE);"
"CREATE TABLE call ("
"  session_id INTEGER PRIMARY KEY REFERENCES session(id) ON DELETE CASCADE,"
"  uid TEXT NOT NULL UNIQUE,"
"  sequence INTEGER NOT NULL DEFAULT 0,"
"  start INTEGER NOT NULL,"
"  timezone TEXT NOT NULL,"
"  duration INTEGER NOT NULL,"
"  status TEXT NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed','cancelled')),"
"  updated INTEGER NOT NULL);"
"CREATE TABLE rsvp ("
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  email TEXT NOT NULL COLLATE NOCASE,"
"  partstat TEXT NOT NULL,"
"  sequence INTEGER NOT NULL,"
"  dtstamp INTEGER NOT NULL,"
"  comment TEXT,"
"  updated INTEGER NOT NULL,"
"  PRIMARY KEY (session_id, email));"
"CREATE TABLE imap_state ("
"  account TEXT NOT NULL,"
"  mailbox TEXT NOT NULL,"
"  uidvalidity INTEGER NOT NULL,"
"  last_uid INTEGER NOT NULL,"
"  last_poll INTEGER,"
"  last_error TEXT,"
"  PRIMARY KEY (account, mailbox));";

/* 3: the week's calendar: schedule events done (open, digests, close),
   which digest took each comment, and revisions mailed to +revise that
   wait for their organizer's confirmation. */
static const char step3[] =
"CREATE TABLE schedule ("
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  event TEXT NOT NULL,"                 /* open, reminder, digest:2018-07-16, close */
"  due INTEGER NOT NULL,"
"  done INTEGER NOT NULL,"
"  result TEXT,"
"  PRIMARY KEY (session_id, event));"
"CREATE TABLE digest_item ("
"  comment_id INTEGER PRIMARY KEY REFERENCES comment(id) ON DELETE CASCADE,"
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  day TEXT NOT NULL);"                  /* the digest (YYYY-MM-DD) that took it */
"CREATE INDEX digest_item_day ON digest_item(session_id, day);"
"CREATE TABLE revise ("
"  message_row INTEGER PRIMARY KEY REFERENCES message(id),"
"  session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,"
"  organizer TEXT NOT NULL COLLATE NOCASE,"
"  source TEXT NOT NULL,"                /* the Markdown it carried */
"  created INTEGER NOT NULL,"
"  revision INTEGER);";                  /* set once imported */

/* 4: relays look up the participants of one delivery mode for every
   comment: an index, so that costs the few who chose "each", not a scan of
   everyone (bench/: 1,000 participants made it half of ingest). */
static const char step4[] =
"CREATE INDEX participant_mode ON participant(session_id, mode, status);";

/* 5: an outgoing mail's bytes in a table of their own. SQLite rewrites a
   whole row on UPDATE, overflow pages included: marking a 150 KB digest
   sent wrote 40 pages (bench/: the sender ran at a fifth of smtp-source's
   rate into the same sink). */
static const char step5[] =
"CREATE TABLE outbox_body ("
"  outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,"
"  raw BLOB NOT NULL);"
"INSERT INTO outbox_body (outbox_id, raw) SELECT id, raw FROM outbox;"
"ALTER TABLE outbox DROP COLUMN raw;";

/* 6: an incoming message's bytes in a table of their own, as step 5 did
   for outgoing mail: recording what a message was (class, state) wrote
   its raw bytes a second time (bench/: ingest wrote every message twice). */
static const char step6[] =
"CREATE TABLE message_body ("
"  message_row INTEGER PRIMARY KEY REFERENCES message(id) ON DELETE CASCADE,"
"  raw BLOB NOT NULL);"
"INSERT INTO message_body (message_row, raw) SELECT id, raw FROM message;"
"ALTER TABLE message DROP COLUMN raw;";

static const char *const steps[] = { NULL, step1, step2, step3, step4, step5, step6 };

int store_migrate(struct store *st, int target, const char **error_r)
{
	static char err[256];
	int have = store_schema_version(st);
	int latest = (int)(sizeof(steps) / sizeof(steps[0])) - 1;
	if (latest != STORE_SCHEMA_VERSION)
		log_panic("schema steps (%d) and STORE_SCHEMA_VERSION (%d) disagree",
			  latest, STORE_SCHEMA_VERSION);
	if (have > latest) {
		snprintf(err, sizeof(err),
			 "database %s has schema version %d, newer than this tagd (%d): "
			 "upgrade tagd or use a matching database", st->path, have, latest);
		*error_r = err;
		return -1;
	}
	for (int v = have + 1; v <= target && v <= latest; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v);
		if (store_begin(st) < 0 || st_exec(st, steps[v]) < 0 || st_exec(st, pragma) < 0 ||
		    store_commit(st) < 0) {
			store_rollback(st);
			snprintf(err, sizeof(err), "cannot migrate database %s to schema %d: %s",
				 st->path, v, sqlite3_errmsg(st->db));
			*error_r = err;
			return -1;
		}
		if (have > 0)
			log_info("store: database %s upgraded to schema %d", st->path, v);
	}
	return 0;
}
