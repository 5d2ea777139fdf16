/* source.h - inside scanner/ only: what the camera and wedge threads
 * (camera.c, wedge.c) share with the scanner object (scanner_obj.c). Not
 * part of the module's public face, which is scanner.h. */
#ifndef TALLY_SCANNER_SOURCE_H
#define TALLY_SCANNER_SOURCE_H

#include "scanner.h"

/* The device path the source was opened with. */
const char *src_path(scanner *sc, enum scan_source src);

/* Pause between tries of a failed source, ms. */
int src_retry_ms(scanner *sc);

/* A descriptor that becomes readable when the scanner closes: poll it
 * beside the device, so a thread never sleeps through scanner_close(). */
int src_stop_fd(scanner *sc);

/* Sleeps ms; false (at once) when the scanner is closing. */
bool src_wait(scanner *sc, int ms);

/* Counts one try at opening the source. */
void src_tried(scanner *sc, enum scan_source src);

/* The source is on: state SCAN_STATE_ON and a SCAN_STATUS event with
 * note (translated). */
void src_on(scanner *sc, enum scan_source src, const char *note);

/* The source failed with state st (MISSING, BUSY or FAILED) for why
 * (translated): a SCAN_ERROR event that adds when it is tried again,
 * unless the source failed the same way on its last try. */
void src_failed(scanner *sc, enum scan_source src, enum scan_state st, const char *why);

/* The source ended for good (a wedge's file or FIFO). */
void src_done(scanner *sc, enum scan_source src);

/* A text read by a source, through the dedupe window to the queue. */
void src_text(scanner *sc, const char *source, const char *text, size_t len, bool truncated);

/* Thread bodies, started by scanner_open(). */
void *camera_thread(void *sc);
void *wedge_thread(void *sc);

#endif
