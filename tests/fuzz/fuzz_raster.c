/* Binary raster files (spiksim-raster(5)), written back as CSV when they
 * read: what reads must also be whole enough to write. */
#include "fuzz.h"

#include <spiksim/raster.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_error err;
    ss_raster *r = ss_raster_read(ss_fuzz_file("raster.bin", data, size), &err);
    if (r)
        ss_raster_write(r, "/dev/null", SS_RASTER_CSV, 0, NULL, &err);
    ss_raster_free(r);
    return 0;
}
