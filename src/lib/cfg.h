#ifndef TAGD_CFG_H
#define TAGD_CFG_H
/* Settings declared once as typed tables (Postfix CONFIG_*_TABLE, Dovecot
   setting_define): name, type, where the value goes, default, bounds. INI
   files are read with inih; every error names the file, the line and the
   key. A key may repeat only when its type is a list. */
#include "lib/buf.h"
#include <stddef.h>
#include <stdint.h>

enum cfg_type {
	CFG_STR,        /* char *, owned */
	CFG_PATH,       /* char *, owned; a path */
	CFG_INT,        /* int64_t within [min,max] */
	CFG_SIZE,       /* int64_t bytes: 10M, 64k, 1G suffixes */
	CFG_SECONDS,    /* int64_t seconds: 30s, 5m, 2h, 3d suffixes */
	CFG_BOOL,       /* int: yes/no, true/false, on/off, 1/0 */
	CFG_ENUM,       /* int: index into choices "a|b|c" */
	CFG_HHMM,       /* int minutes after midnight, "17:00" */
	CFG_DATE,       /* char *, "YYYY-MM-DD", checked */
	CFG_DATETIME,   /* char *, "YYYY-MM-DD HH:MM", checked */
	CFG_LIST,       /* struct cfg_list; the key may repeat */
	CFG_SECRET,     /* char *; never printed by cfg_dump */
	CFG_SECRET_FILE,/* char * read from the named file (first line); the
			   file must not be readable by others */
};

struct cfg_list {
	int n;
	char **v;
};

/* CFG_I64_FIELD - offsetof(type, f), where the field must be an int64_t
   (what CFG_INT, CFG_SIZE and CFG_SECONDS store): a table entry that
   names a narrower field does not compile (an int field was once
   overwritten by 8 bytes) */
#define CFG_I64_FIELD(type, f)                                                              \
	(offsetof(type, f) + 0 * sizeof(struct {                                            \
		 _Static_assert(sizeof(((type *)0)->f) == sizeof(int64_t), "not an int64_t: " #f); \
		 int cfg_unused;                                                             \
	 }))

struct cfg_def {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t offset;          /* of the value in the target struct */
	const char *def;        /* default as written in a file; NULL: unset */
	int64_t min, max;       /* for CFG_INT/SIZE/SECONDS; 0,0 = unbounded */
	const char *choices;    /* for CFG_ENUM */
	const char *help;       /* one line for --dump-config and the man page */
	/* check - further validation of a value; 0 or -1 with *error_r */
	int (*check)(const char *value, const char **error_r);
};

#define CFG_END { NULL, NULL, CFG_STR, 0, NULL, 0, 0, NULL, NULL, NULL }

/* cfg_defaults - set every value in target to its default */
void cfg_defaults(const struct cfg_def *defs, void *target);
/* cfg_load_file - read path into target (defaults must be set first).
   Appends one "path:line: [section] key: message" line per problem to
   errors; returns the number of problems (0 = good). */
int cfg_load_file(const struct cfg_def *defs, void *target, const char *path, struct buf *errors);
/* cfg_load_string - the same for text in memory, reported as name */
int cfg_load_string(const struct cfg_def *defs, void *target, const char *text,
		    const char *name, struct buf *errors);
/* cfg_load_lines - as cfg_load_string, and lines_r[i] gets the line defs[i]
   was (last) set on, 0 if not set; lines_r has one slot per def */
int cfg_load_lines(const struct cfg_def *defs, void *target, const char *text,
		   const char *name, struct buf *errors, int *lines_r);
/* cfg_def_index - the index of [section] name in defs, -1 if none */
int cfg_def_index(const struct cfg_def *defs, const char *section, const char *name);
/* cfg_set - set one value as if read from a file */
int cfg_set(const struct cfg_def *defs, void *target, const char *section,
	    const char *key, const char *value, const char **error_r);
/* cfg_dump - the effective settings as an INI text, secrets hidden */
void cfg_dump(const struct cfg_def *defs, const void *target, struct buf *out);
/* cfg_reference - the settings as a man page fragment (roff): one .TP
   entry per key with its type, default and help, under .SS [section] */
void cfg_reference(const struct cfg_def *defs, struct buf *out);
/* cfg_free - free what cfg_* allocated in target */
void cfg_free(const struct cfg_def *defs, void *target);
/* cfg_list_add - append a copy of s */
void cfg_list_add(struct cfg_list *l, const char *s);
void cfg_list_free(struct cfg_list *l);
/* cfg_secret_file_read - first line of a secret file; refuses one that
   others can read. 0 / -1 with *error_r */
int cfg_secret_file_read(const char *path, char **secret_r, const char **error_r);

#endif
