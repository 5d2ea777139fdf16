/* panel.h - the customer panel, shared by the tui's own files. */
#ifndef TALLY_TUI_PANEL_H
#define TALLY_TUI_PANEL_H

#include "screen.h"
#include "store/store.h"

struct prompt { enum colour colour; char text[256]; };

/* What the barista should act on for this customer, most urgent first. */
int panel_prompts(store *s, const struct store_customer *c, const char *lang, struct prompt *out, int max);
/* Draws the panel from row top; returns the first free row below it. */
int panel_draw(store *s, const struct store_customer *c, const char *lang, int top);

/* What a coupon gives, as the barista reads it: a reward's name, "20% off". */
void coupon_what(store *s, const struct store_coupon *cp, const char *lang, char *out, size_t outsz);

/* contact.c: the message waiting to be told at the counter (two prompt
 * lines, a third for the coupon it brings, or none); marking it passed on; the preferences form (language,
 * e-mail y/n, SMS y/n) filled and saved; a one-line summary of them. msg
 * gets what to tell the barista. */
int contact_prompts(store *s, const char *customer, const char *lang, struct prompt *out, int max);
int contact_passed_on(store *s, const char *staff, const char *customer, char *msg, size_t msgsz);
void contact_fill(store *s, const char *customer, struct field f[3]);
/* A y/n answer typed in any of the four languages (yes, tak, da, igen):
 * 1 yes, 0 no, -1 neither; and the letter this language shows for one. */
int answer_yes(const char *text);
const char *answer_letter(bool yes);
int contact_save(store *s, const char *staff, const char *customer, const struct field f[3], char *msg,
                 size_t msgsz);
void contact_line(store *s, const char *customer, char *out, size_t outsz);

#endif
