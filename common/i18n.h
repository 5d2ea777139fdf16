/* i18n.h - gettext macros shared by every module.
 *
 * Every string a barista or manager reads is wrapped in _() where it is
 * used, or N_() where it sits in a static table and is translated later.
 * The text domain is "tally"; cli/main.c binds it at start-up. */
#ifndef TALLY_I18N_H
#define TALLY_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
