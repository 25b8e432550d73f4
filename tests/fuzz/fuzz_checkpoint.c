/* Checkpoint files (--load), and reading arrays out of one that parsed. */
#include "fuzz.h"

#include <spiksim/checkpoint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_error err;
    ss_checkpoint *ck = ss_checkpoint_read(ss_fuzz_file("ck.bin", data, size), &err);
    if (ck) {
        float f[64];
        double d[64];
        ss_checkpoint_get_f32(ck, "w", f, 64, &err);
        ss_checkpoint_get_f64(ck, "theta", d, 64, &err);
    }
    ss_checkpoint_free(ck);
    return 0;
}
