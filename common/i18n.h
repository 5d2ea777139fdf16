/* i18n.h - gettext macros shared by every module.
 *
 * Every string a barista or manager reads is wrapped in _() where it is
 * used, or N_() where it sits in a static table and is translated later.
 * The text domain is "tally"; cli/main.c binds it at start-up. */
#ifndef TALLY_I18N_H
#define TALLY_I18N_H

#include <libintl.h>
#include <limits.h>

#define _(s) gettext(s)
#define N_(s) (s)

/* One English word with two meanings ("void" the event, "void" the key;
 * "change" a column of differences, "change" an action) gets a context, so
 * each is translated on its own: C_("event", "void"). NC_ marks one in a
 * static table, translated later with C_ on the same context. 'make pot'
 * extracts both (xgettext --keyword=C_:1c,2). */
static inline const char *i18n_pgettext(const char *ctx_and_id, const char *id)
{
    const char *t = gettext(ctx_and_id);
    return t == ctx_and_id ? id : t;
}
#define C_(ctx, s) i18n_pgettext(ctx "\004" s, s)

/* Strings whose wording depends on a count go through ngettext(singular,
 * plural, i18n_n(count)): the language's Plural-Forms picks the form.
 * i18n_n() takes any integer: a negative count takes the form of its size
 * (-2 points like 2 points), and one too large for unsigned long keeps its
 * last six digits, which is all a plural rule looks at. */
static inline unsigned long i18n_n(long long n)
{
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    return u > ULONG_MAX ? (unsigned long)(u % 1000000 + 1000000) : (unsigned long)u;
}

#endif
