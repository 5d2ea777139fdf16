/* output.c - one layout for every listing of the tally command: a table
 * for people (columns as wide as their widest cell in terminal columns,
 * so Polish, Romanian and Hungarian names line up), CSV for a spreadsheet
 * and one JSON document for a program. A command describes its columns
 * once (struct out_col), adds rows of values, and out_end prints them in
 * the format asked for. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"

/* Columns of codes (JSON and CSV print the code, the table what people
 * read for it). */
static const char *code_text(const struct out_col *col, const char *code)
{
    if (strcmp(col->key, "segment") == 0)
        return store_segment_text(code);
    if (strcmp(col->key, "kind") == 0)
        return store_reward_kind_text(code);
    if (strcmp(col->key, "type") == 0)
        return store_event_type_text(code);
    if (strcmp(col->key, "unit") == 0)
        return strcmp(code, "points") == 0 ? C_("unit", "points") : strcmp(code, "stamps") == 0 ? C_("unit", "stamps")
             : strcmp(code, "credit") == 0 ? C_("unit", "credit") : code;
    return code;
}



void out_day(int64_t days, char out[16])
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

void out_value(struct out *o, const struct out_col *col, const struct out_val *v, char *buf, size_t sz)
{
    bool table = o->fmt == OUT_TABLE;
    int64_t n = v->n;
    if (table && col->kind == OUT_TEXT && v->s) {
        snprintf(buf, sz, "%s", code_text(col, v->s));
        return;
    }
    if (col->kind != OUT_TEXT && col->kind != OUT_NUM && (n == STORE_NA || (col->kind == OUT_TIME && n <= 0))) {
        snprintf(buf, sz, "%s", table ? "-" : "");
        return;
    }
    switch (col->kind) {
    case OUT_TEXT:
    case OUT_NUM:
        snprintf(buf, sz, "%s", v->s ? v->s : "");
        break;
    case OUT_INT:
        snprintf(buf, sz, "%" PRId64, n);
        break;
    case OUT_MONEY:
        if (table) {
            char m[MONEY_BUFSZ];
            snprintf(buf, sz, "%s", cli_amount(o->c, n, m));
        } else {
            money_plain(n, store_currency_digits(o->c->s), buf, sz);
        }
        break;
    case OUT_RATE:
    case OUT_SCORE:
    case OUT_HUND: {
        /* People read the language's decimal comma and percent sign;
         * CSV and JSON keep the machine form "55.1". */
        int decimals = col->kind == OUT_HUND ? 2 : 1;
        if (table && col->kind == OUT_RATE)
            percent_format(n, decimals, o->c->lang, buf, sz);
        else
            decimal_format(n, decimals, table ? o->c->lang : NULL, buf, sz);
        break;
    }
    case OUT_TIME:
        cli_time(n, buf, sz);
        break;
    case OUT_BOOL:
        snprintf(buf, sz, "%s", table ? (n ? _("yes") : _("no")) : (n ? "yes" : "no"));
        break;
    }
}

static void csv_field(const char *s)
{
    if (!strpbrk(s, ",;\"\n\r")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

void out_begin(struct out *o, struct cli *c, enum out_format fmt, const char *report,
                      const char *title, const struct store_report_query *q,
                      const struct out_col *cols, int ncols)
{
    memset(o, 0, sizeof *o);
    o->c = c;
    o->fmt = fmt;
    o->report = report;
    o->q = q;
    o->cols = cols;
    o->ncols = ncols;
    o->title = title;
    jb_init(&o->rows);
    jb_arr_begin(&o->rows);
}

void out_begin_plain(struct out *o, struct cli *c, const struct out_col *cols, const int *min_width, int ncols)
{
    out_begin(o, c, OUT_TABLE, NULL, NULL, NULL, cols, ncols);
    o->plain = true;
    o->min_width = min_width;
}

static void csv_header(struct out *o)
{
    if (o->header_done)
        return;
    o->header_done = true;
    for (int i = 0; i < o->ncols; i++) {
        if (i)
            putchar(',');
        csv_field(o->cols[i].key);
    }
    putchar('\n');
}

/* "Summary, 2026-11-01 .. 2026-11-30 (previous: 2026-10-02 .. 2026-10-31)". */
void out_title(struct out *o)
{
    const struct store_report_query *q = o->q;
    if (!o->title || !q)
        return;
    char a[16], b[16], pa[16], pb[16];
    const struct store_period *p = &q->period;
    out_day(p->first_day, a);
    out_day(p->last_day, b);
    out_day(p->first_day - p->days, pa);
    out_day(p->first_day - 1, pb);
    printf("%s, %s", _(o->title), a);
    if (p->days > 1)
        printf(" .. %s", b);
    printf(_(" (previous: %s"), pa);
    if (p->days > 1)
        printf(" .. %s", pb);
    printf(")");
    if (q->till && *q->till)
        printf(_(", till %s"), q->till);
    printf("\n\n");
    o->title = NULL;
}

/* shown: NULL, or per column what the table says instead of a text
 * cell's code (JSON and CSV keep the code: they are read by machines). */
void out_row_shown(struct out *o, const struct out_val *v, const char *const *shown)
{
    char buf[STORE_TEXT_MAX * 8 + 256];     /* a name and a reason, with what came before them on the line */
    if (o->fmt == OUT_CSV) {
        csv_header(o);
        for (int i = 0; i < o->ncols; i++) {
            if (i)
                putchar(',');
            out_value(o, &o->cols[i], &v[i], buf, sizeof buf);
            csv_field(buf);
        }
        putchar('\n');
        return;
    }
    if (o->fmt == OUT_JSON) {
        struct jbuf *jb = &o->rows;
        jb_obj_begin(jb);
        for (int i = 0; i < o->ncols; i++) {
            const struct out_col *col = &o->cols[i];
            jb_key(jb, col->key);
            if (col->kind == OUT_TEXT || col->kind == OUT_NUM) {
                jb_str(jb, v[i].s ? v[i].s : "");
            } else if (v[i].n == STORE_NA || (col->kind == OUT_TIME && v[i].n <= 0)) {
                jb_null(jb);
            } else if (col->kind == OUT_INT) {
                jb_int(jb, v[i].n);
            } else if (col->kind == OUT_MONEY) {
                jb_money(jb, v[i].n, store_currency_digits(o->c->s));
            } else if (col->kind == OUT_BOOL) {
                jb_bool(jb, v[i].n != 0);
            } else if (col->kind == OUT_TIME) {
                out_value(o, col, &v[i], buf, sizeof buf);
                jb_str(jb, buf);
            } else {
                out_value(o, col, &v[i], buf, sizeof buf);
                jb_raw(jb, buf);    /* 12.3: an exact decimal, written as a number */
            }
        }
        jb_obj_end(jb);
        return;
    }
    if (o->nrows == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        char **grown = realloc(o->cells, cap * (size_t)o->ncols * sizeof *grown);
        if (!grown) {
            o->failed = true;
            return;
        }
        o->cells = grown;
        char **notes = realloc(o->notes, cap * sizeof *notes);
        if (!notes) {
            o->failed = true;
            return;
        }
        o->notes = notes;
        o->cap = cap;
    }
    o->notes[o->nrows] = NULL;
    char **row = &o->cells[o->nrows * (size_t)o->ncols];
    for (int i = 0; i < o->ncols; i++) {
        if (shown && shown[i])
            snprintf(buf, sizeof buf, "%s", shown[i]);
        else
            out_value(o, &o->cols[i], &v[i], buf, sizeof buf);
        if (o->cols[i].prev) {
            /* Shown after this period's value: "12 (10)". */
            size_t len = strlen(buf) + 3;
            row[i] = malloc(len);
            if (row[i])
                snprintf(row[i], len, "(%s)", buf);
        } else {
            row[i] = strdup(buf);
        }
        if (!row[i])
            o->failed = true;
    }
    o->nrows++;
}

void out_row(struct out *o, const struct out_val *v)
{
    out_row_shown(o, v, NULL);
}

void out_note(struct out *o, const char *fmt, ...)
{
    if (o->fmt != OUT_TABLE || o->nrows == 0 || o->failed)
        return;
    char **note = &o->notes[o->nrows - 1];
    size_t had = *note ? strlen(*note) : 0;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *grown = len < 0 ? NULL : realloc(*note, had + (size_t)len + 1);
    if (!grown) {
        o->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(grown + had, (size_t)len + 1, fmt, ap);
    va_end(ap);
    *note = grown;
}

static void print_notes(struct out *o, size_t r)
{
    if (o->notes[r])
        fputs(o->notes[r], stdout);
}

static void pad(const char *s, int width, bool right)
{
    int w = text_columns(s);
    if (right)
        printf("%*s%s", width > w ? width - w : 0, "", s);
    else
        printf("%s%*s", s, width > w ? width - w : 0, "");
}

static const char *cell(struct out *o, size_t r, int i)
{
    const char *v = o->cells[r * (size_t)o->ncols + i];
    return v ? v : "";
}

/* A block per row: the text columns as its heading, then a line per
 * figure, "label  value (previous)". For reports with many figures. */
static void print_blocks(struct out *o)
{
    int lw = 0;
    for (int i = 0; i < o->ncols; i++)
        if (o->cols[i].kind != OUT_TEXT && o->cols[i].kind != OUT_NUM && !o->cols[i].prev &&
            text_columns(_(o->cols[i].label)) > lw)
            lw = text_columns(_(o->cols[i].label));
    for (size_t r = 0; r < o->nrows; r++) {
        bool first = true;
        for (int i = 0; i < o->ncols; i++) {
            if ((o->cols[i].kind == OUT_TEXT || o->cols[i].kind == OUT_NUM) && cell(o, r, i)[0]) {
                printf("%s%s", first ? "" : ", ", cell(o, r, i));
                first = false;
            }
        }
        printf("\n");
        for (int i = 0; i < o->ncols; i++) {
            if (o->cols[i].kind == OUT_TEXT || o->cols[i].kind == OUT_NUM || o->cols[i].prev)
                continue;
            fputs("  ", stdout);
            pad(_(o->cols[i].label), lw, false);
            printf("  %s", cell(o, r, i));
            if (i + 1 < o->ncols && o->cols[i + 1].prev)
                printf(" %s", cell(o, r, i + 1));
            putchar('\n');
        }
        print_notes(o, r);
        if (r + 1 < o->nrows)
            putchar('\n');
    }
}

static void print_table(struct out *o)
{
    if (o->nrows == 0)
        return;
    if (o->vertical) {
        print_blocks(o);
        return;
    }
    int *w = calloc((size_t)o->ncols, sizeof *w);
    if (!w) {
        o->failed = true;
        return;
    }
    const char *gap = o->plain ? " " : "  ";
    for (int i = 0; i < o->ncols; i++) {
        w[i] = o->min_width ? o->min_width[i] : 0;
        if (!o->cols[i].prev && !o->plain && text_columns(_(o->cols[i].label)) > w[i])
            w[i] = text_columns(_(o->cols[i].label));
    }
    for (size_t r = 0; r < o->nrows; r++) {
        for (int i = 0; i < o->ncols; i++) {
            if (o->cols[i].prev)
                continue;
            int need = text_columns(cell(o, r, i));
            if (i + 1 < o->ncols && o->cols[i + 1].prev)
                need += 1 + text_columns(cell(o, r, i + 1));
            if (need > w[i])
                w[i] = need;
        }
    }
    for (int i = 0; i < o->ncols && !o->plain; i++) {
        if (o->cols[i].prev)
            continue;
        if (i)
            fputs(gap, stdout);
        pad(_(o->cols[i].label), i + 1 < o->ncols ? w[i] : 0, o->cols[i].kind != OUT_TEXT);
    }
    if (!o->plain)
        putchar('\n');
    for (size_t r = 0; r < o->nrows; r++) {
        for (int i = 0; i < o->ncols; i++) {
            if (o->cols[i].prev)
                continue;
            if (i)
                fputs(gap, stdout);
            bool right = o->cols[i].kind != OUT_TEXT, last = i + 1 >= o->ncols;
            if (!last && o->cols[i + 1].prev) {
                char both[2 * (STORE_TEXT_MAX * 4 + 64)];
                snprintf(both, sizeof both, "%s %s", cell(o, r, i), cell(o, r, i + 1));
                pad(both, w[i], right);
            } else {
                pad(cell(o, r, i), last && !right ? 0 : w[i], right);
            }
        }
        putchar('\n');
        print_notes(o, r);
    }
    free(w);
}

/* Prints the table, or the JSON document (the report, its period and till,
 * what extra adds, the rows), and frees everything. */
int out_end(struct out *o, int rc, void (*extra)(struct jbuf *doc, void *arg), void *arg)
{
    if (rc == 0 && !o->failed && o->fmt == OUT_CSV)
        csv_header(o);
    if (rc == 0 && !o->failed && o->fmt == OUT_TABLE) {
        out_title(o);
        print_table(o);
    }
    if (rc == 0 && !o->failed && o->fmt == OUT_JSON) {
        jb_arr_end(&o->rows);
        const char *rows = jb_result(&o->rows);
        struct jbuf doc;
        char a[16];
        jb_init(&doc);
        jb_obj_begin(&doc);
        jb_key_str(&doc, "report", o->report);
        if (o->q) {
            const struct store_period *p = &o->q->period;
            jb_key(&doc, "from");
            out_day(p->first_day, a);
            jb_str(&doc, a);
            jb_key(&doc, "to");
            out_day(p->last_day, a);
            jb_str(&doc, a);
            jb_key_int(&doc, "days", p->days);
            jb_key(&doc, "previous_from");
            out_day(p->first_day - p->days, a);
            jb_str(&doc, a);
            jb_key(&doc, "previous_to");
            out_day(p->first_day - 1, a);
            jb_str(&doc, a);
            jb_key_str(&doc, "till", o->q->till && *o->q->till ? o->q->till : NULL);
        }
        jb_key_str(&doc, "currency", store_currency(o->c->s));
        if (extra)
            extra(&doc, arg);
        jb_key(&doc, "rows");
        jb_raw(&doc, rows);
        jb_obj_end(&doc);
        rc = rows ? cli_print_json(&doc) : (jb_free(&doc), cli_fail(_("out of memory")));
    }
    jb_free(&o->rows);
    for (size_t i = 0; o->cells && i < o->nrows * (size_t)o->ncols; i++)
        free(o->cells[i]);
    for (size_t r = 0; o->notes && r < o->nrows; r++)
        free(o->notes[r]);
    free(o->cells);
    free(o->notes);
    o->cells = NULL;
    o->notes = NULL;
    if (rc != 0)
        return rc;
    return o->failed ? cli_fail(_("out of memory")) : 0;
}


int out_list_end(struct out *o, struct jbuf *jb, int rc)
{
    int out_rc = out_end(o, rc, NULL, NULL);
    int list_rc = cli_list_end(o->c, jb, rc);
    return rc != 0 || out_rc == 0 ? list_rc : out_rc;
}
