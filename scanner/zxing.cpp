/* zxing.cpp - the C++ shim over zxing-cpp (Debian 12: libzxing-dev 1.4,
 * the DecodeHints/ReadBarcodes API), behind the C function in zxing.h.
 *
 * Only QR is asked for. No exception crosses into C: zxing-cpp throws on
 * an allocation failure or a bug of its own, and that frame is then one
 * the decoder failed on, as zbar's -1. */
#define ZX_USE_UTF8 1
#include "zxing.h"

#include <ReadBarcode.h>
#include <string>

int scan_zxing_read(const unsigned char *grey, int width, int height,
                    void (*fn)(const char *text, size_t len, void *arg), void *arg)
{
    if (!grey || width <= 0 || height <= 0)
        return -1;
    try {
        ZXing::DecodeHints hints;
        hints.setFormats(ZXing::BarcodeFormat::QRCode);
        ZXing::ImageView view(grey, width, height, ZXing::ImageFormat::Lum);
        int found = 0;
        for (const ZXing::Result &r : ZXing::ReadBarcodes(view, hints)) {
            if (!r.isValid() || r.format() != ZXing::BarcodeFormat::QRCode)
                continue;
            found++;
            if (fn) {
                std::string text = r.text();
                fn(text.c_str(), text.size(), arg);
            }
        }
        return found;
    } catch (...) {
        return -1;
    }
}
