/* output.h - the tally command's table, CSV and JSON writer (output.c),
 * for the reports and any other listing.
 *
 *     struct out o;
 *     out_begin(&o, c, OUT_TABLE, "tiers", N_("Tiers"), &q, COLS, NCOLS);
 *     out_row(&o, (struct out_val[]){ { 0, "Gold" }, { 12, NULL } });
 *     return out_end(&o, 0, NULL, NULL);
 *
 * A table is printed only at out_end, once every row is known to be good
 * (its widths come from them); CSV rows are printed as they come; JSON is
 * one document with the period, the currency and the rows. */
#ifndef TALLY_CLI_OUTPUT_H
#define TALLY_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define NCOLS(a) ((int)(sizeof a / sizeof a[0]))

enum out_format { OUT_TABLE, OUT_CSV, OUT_JSON };

/* OUT_NUM: text already formatted, aligned as a number; OUT_SCORE: tenths
 * without a percent sign (NPS). */
enum out_kind { OUT_TEXT, OUT_NUM, OUT_INT, OUT_MONEY, OUT_RATE, OUT_SCORE, OUT_HUND, OUT_TIME, OUT_BOOL };

struct out_col {
    const char *key;        /* CSV header and JSON key */
    const char *label;      /* table header, N_() */
    enum out_kind kind;
    bool prev;              /* the previous period's value of the column before */
};

/* A cell: a number (n; STORE_NA: none), or text (s) for OUT_TEXT and OUT_NUM. */
struct out_val {
    int64_t n;
    const char *s;
};

struct out {
    struct cli *c;
    enum out_format fmt;
    const char *report;
    const struct store_report_query *q;
    const struct out_col *cols;
    int ncols;
    struct jbuf rows;       /* JSON: the rows array */
    char **cells;           /* table: formatted cells, row by row */
    char **notes;           /* table: per row, the lines out_note put under it, or NULL */
    size_t nrows, cap;
    const char *title;      /* table: printed with the table, once it is known to work */
    bool header_done;       /* CSV: printed before the first row */
    bool vertical;          /* table: a block per row, a line per figure */
    bool plain;             /* table: no header, columns one space apart */
    const int *min_width;   /* plain table: per column, at least this many terminal columns */
    bool failed;
};

/* Starts a listing of ncols columns. title (N_(), translated when printed)
 * and q (its period and till) head the table and the JSON document; both
 * may be NULL. report names the JSON document. */
void out_begin(struct out *o, struct cli *c, enum out_format fmt, const char *report,
               const char *title, const struct store_report_query *q,
               const struct out_col *cols, int ncols);
/* A table without a header line, columns one space apart and each at
 * least min_width[i] terminal columns wide: the look the command listings
 * always had, now measured in terminal columns, not bytes. Their JSON
 * stays the command's own (cli_list_begin). */
void out_begin_plain(struct out *o, struct cli *c, const struct out_col *cols, const int *min_width, int ncols);
/* Ends a listing begun with cli_list_begin and out_begin_plain: its JSON
 * array, or its table, or the store's error rc (and no half table). */
int out_list_end(struct out *o, struct jbuf *jb, int rc);
/* Adds a row of ncols values. shown: NULL, or per column what the table
 * says instead of a text cell's code (JSON and CSV keep the code). */
void out_row(struct out *o, const struct out_val *v);
void out_row_shown(struct out *o, const struct out_val *v, const char *const *shown);
/* Text printed as it is under the last row of a table (a note on it,
 * its lines ending in '\n', not counted in the widths); CSV and JSON
 * leave it out. */
void out_note(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the table, the CSV header if no row came, or the JSON document
 * (the report, its period and till, the currency, what extra adds, the
 * rows), and frees everything. Returns rc, or 1 after a failure of its own
 * (out of memory), already reported. */
int out_end(struct out *o, int rc, void (*extra)(struct jbuf *doc, void *arg), void *arg);

/* The table's title, "Summary, 2026-11-01 .. 2026-11-30 (previous: …)",
 * printed once: for a table that prints something else when it has no row. */
void out_title(struct out *o);
/* A value of column col as the listing's format writes it, into buf. */
void out_value(struct out *o, const struct out_col *col, const struct out_val *v, char *buf, size_t sz);
/* Days since 1970-01-01 as "2026-11-05". */
void out_day(int64_t days, char out[16]);

#endif
