/*
 * migrations.h: the schema migrations, embedded at build time from
 * src/sql/NNN-name.sql (see build-aux/embed-sql.sh). Ordered by version;
 * the list ends with a zero entry.
 */
#ifndef TK_MIGRATIONS_H
#define TK_MIGRATIONS_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];

#endif
