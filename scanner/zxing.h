/* zxing.h - inside scanner/ only: the C face of the C++ shim over
 * zxing-cpp (zxing.cpp), the second decoder decode.c runs on frames zbar
 * reads nothing in. Not part of the module's public face, which is
 * scanner.h (which this does not include: it is not C++). */
#ifndef TALLY_SCANNER_ZXING_H
#define TALLY_SCANNER_ZXING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The QR codes zxing-cpp reads in a grey frame (width * height bytes, no
 * padding; the caller has checked the size against its limit), each
 * handed to fn as zbar's are (scan_found_fn): its text as UTF-8, its
 * length, a NUL after it. Returns how many, or -1 if the frame is empty
 * or zxing-cpp failed (it throws; nothing escapes into C). */
int scan_zxing_read(const unsigned char *grey, int width, int height,
                    void (*fn)(const char *text, size_t len, void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif
