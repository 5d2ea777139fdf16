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

#endif
