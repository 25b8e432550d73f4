/* The model-file loader and --set: the input up to its first NUL byte is
 * the model file; each NUL-separated piece after it is a --set argument. */
#include "fuzz.h"

#include <spiksim/config.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = ss_fuzz_string(data, size);
    size_t model_len = strlen(text);
    const char *path = ss_fuzz_file("model.ini", data, model_len);
    const char *sets[8];
    size_t n_sets = 0;
    for (char *p = text + model_len + 1; p <= text + size && n_sets < 8; p += strlen(p) + 1)
        sets[n_sets++] = p;
    ss_error err;
    ss_config *cfg = ss_config_load(path, sets, n_sets, &err);
    ss_config_free(cfg);
    free(text);
    return 0;
}
