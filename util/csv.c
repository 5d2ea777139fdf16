/* csv.c - reading CSV files that spreadsheets export, for importing
 * customer lists. One pass, one byte at a time, fields unescaped into one
 * fixed record buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

#define NO_BYTE (-2)

struct csv {
    FILE *f;
    int delim;
    /* Bytes read ahead by csv_open (the first line, to find the
     * delimiter), replayed before reading f again. */
    char *ahead;
    size_t ahead_len, ahead_pos;
    int peeked;                 /* one byte of lookahead after a CR */
    long line;                  /* line of the next byte, 1-based */
    long record_line;
    /* Unescaped fields, each NUL-terminated. Every stored byte is paid for
     * by a raw byte or the record's end, so CSV_MAX_RECORD + 1 is enough. */
    char rec[CSV_MAX_RECORD + 2];
    size_t rec_len;
    size_t field_start;         /* where the field being read starts */
    size_t rec_raw;             /* bytes the record took in the file */
    char **fields;
    int nfields, fields_cap;
    bool at_end, failed;
    char err[256];
};

enum state { FIELD_START, UNQUOTED, QUOTED, AFTER_QUOTE };

static int next_byte(struct csv *c)
{
    int ch;

    if (c->peeked != NO_BYTE) {
        ch = c->peeked;
        c->peeked = NO_BYTE;
        return ch;
    }
    if (c->ahead_pos < c->ahead_len)
        return (unsigned char)c->ahead[c->ahead_pos++];
    return getc(c->f);
}

/* The next byte with CRLF and a lone CR turned into LF, counting lines. */
static int next_char(struct csv *c)
{
    int ch = next_byte(c);

    if (ch == '\r') {
        int after = next_byte(c);
        if (after != '\n')
            c->peeked = after;
        ch = '\n';
    }
    if (ch == '\n')
        c->line++;
    return ch;
}

/* Reads the first line ahead (after what csv_open already read) and
 * picks the delimiter that occurs most often outside quotes in it. */
static int detect_delimiter(struct csv *c)
{
    static const char candidates[] = {',', ';', '\t'};
    size_t counts[3] = {0, 0, 0};
    bool quoted = false;
    int best = 0;

    for (size_t i = 0;; i++) {
        if (i == c->ahead_len) {
            int ch = c->ahead_len < CSV_MAX_RECORD + 2 ? getc(c->f) : EOF;
            if (ch == EOF)
                break;
            c->ahead[c->ahead_len++] = (char)ch;
        }
        char ch = c->ahead[i];
        if (ch == '"')
            quoted = !quoted;
        else if (!quoted && (ch == '\n' || ch == '\r'))
            break;
        for (int k = 0; k < 3; k++)
            if (!quoted && ch == candidates[k])
                counts[k]++;
    }
    for (int k = 1; k < 3; k++)
        if (counts[k] > counts[best])
            best = k;
    return candidates[best];
}

struct csv *csv_open(FILE *f, int delim)
{
    struct csv *c;

    if (delim == '"' || delim == '\r' || delim == '\n' || delim < 0 ||
        delim > 0x7F)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ahead = malloc(CSV_MAX_RECORD + 2);
    if (!c->ahead) {
        free(c);
        return NULL;
    }
    c->f = f;
    c->peeked = NO_BYTE;
    c->line = 1;

    /* A UTF-8 byte order mark, as Excel writes for "CSV UTF-8". */
    int ch;
    while (c->ahead_len < 3 && (ch = getc(f)) != EOF)
        c->ahead[c->ahead_len++] = (char)ch;
    if (c->ahead_len == 3 && memcmp(c->ahead, "\xEF\xBB\xBF", 3) == 0)
        c->ahead_len = 0;
    c->delim = delim ? delim : detect_delimiter(c);
    return c;
}

void csv_close(struct csv *c)
{
    if (!c)
        return;
    free(c->ahead);
    free(c->fields);
    free(c);
}

long csv_line(const struct csv *c)
{
    return c->record_line;
}

int csv_delim(const struct csv *c)
{
    return c->delim;
}

const char *csv_error(const struct csv *c)
{
    return c->err;
}

static int csv_fail(struct csv *c, const char *fmt)
{
    c->failed = true;
    snprintf(c->err, sizeof c->err, fmt, c->record_line);
    return -1;
}

static int fail_read(struct csv *c)
{
    c->failed = true;
    snprintf(c->err, sizeof c->err, _("line %ld: cannot read the file: %s"),
             c->line, strerror(errno));
    return -1;
}

static int end_field(struct csv *c)
{
    if (c->nfields == c->fields_cap) {
        int cap = c->fields_cap ? c->fields_cap * 2 : 16;
        char **p = realloc(c->fields, (size_t)cap * sizeof *p);
        if (!p) {
            c->failed = true;
            snprintf(c->err, sizeof c->err, "%s", _("out of memory"));
            return -1;
        }
        c->fields = p;
        c->fields_cap = cap;
    }
    c->fields[c->nfields++] = c->rec + c->field_start;
    c->rec[c->rec_len++] = '\0';
    c->field_start = c->rec_len;
    return 0;
}

/* Text, not a binary or a file saved in a legacy code page. */
static int check_fields(struct csv *c)
{
    for (int i = 0; i < c->nfields; i++) {
        if (!utf8_valid(c->fields[i], strlen(c->fields[i])))
            return csv_fail(c, _("line %ld: the text is not valid UTF-8; save "
                             "the file as \"CSV UTF-8\" and import it "
                             "again"));
    }
    return 0;
}

/* Reads one record, blank or not. 1 for a record, 0 at end, -1 error. */
static int read_record(struct csv *c)
{
    enum state st = FIELD_START;

    c->rec_raw = c->rec_len = c->field_start = 0;
    c->nfields = 0;
    c->record_line = c->line;
    for (;;) {
        int ch = next_char(c);

        if (ch == EOF) {
            if (ferror(c->f))
                return fail_read(c);
            c->at_end = true;
            if (st == QUOTED)
                return csv_fail(c, _("line %ld: a quoted field is never "
                                 "closed; look for a stray '\"' in this "
                                 "record"));
            if (st == FIELD_START && c->nfields == 0 && c->rec_raw == 0)
                return 0;
            return end_field(c) < 0 ? -1 : 1;
        }
        if (ch == '\n' && st != QUOTED)
            return end_field(c) < 0 ? -1 : 1;
        if (++c->rec_raw > CSV_MAX_RECORD)
            return csv_fail(c, _("line %ld: the record is longer than 64 KiB; "
                             "is this really a CSV file?"));
        if (ch == '\0')
            return csv_fail(c, _("line %ld: the record contains a NUL byte; "
                             "is this really a CSV file?"));

        switch (st) {
        case FIELD_START:
            if (ch == '"') {
                st = QUOTED;
                continue;
            }
            /* fall through */
        case UNQUOTED:
            if (ch == c->delim) {
                if (end_field(c) < 0)
                    return -1;
                st = FIELD_START;
                continue;
            }
            st = UNQUOTED;
            break;
        case QUOTED:
            if (ch == '"') {
                st = AFTER_QUOTE;
                continue;
            }
            break;
        case AFTER_QUOTE:
            if (ch == '"') {            /* "" is one quote */
                st = QUOTED;
                break;
            }
            if (ch == c->delim) {
                if (end_field(c) < 0)
                    return -1;
                st = FIELD_START;
                continue;
            }
            /* "A"B": a quote inside a quoted field that is not doubled.
             * Guessing what was meant could put a wrong name or amount
             * in the ledger; say where it is instead. */
            return csv_fail(c, _("line %ld: a quote inside a quoted field; "
                             "write it twice (\"\") or leave the field "
                             "unquoted"));
        }
        c->rec[c->rec_len++] = (char)ch;
    }
}

int csv_next(struct csv *c, char ***fields, int *nfields)
{
    int r;

    if (c->failed)
        return -1;
    do {
        if (c->at_end)
            return 0;
        r = read_record(c);
    } while (r == 1 && c->rec_raw == 0);    /* an empty line: skip it */
    if (r != 1)
        return r;
    if (check_fields(c) < 0)
        return -1;
    *fields = c->fields;
    *nfields = c->nfields;
    return 1;
}
