/* IRIS CSV (plain or gzip), then a split of every fold of what loaded. */
#include "fuzz.h"

#include <spiksim/dataset.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_error err;
    ss_dataset *ds = ss_dataset_load_iris(ss_fuzz_file("iris.csv", data, size), &err);
    for (int fold = 0; ds && fold < 5; fold++) {
        ss_split *s = NULL;
        if (ss_dataset_split(ds, fold, 0, 0, &s, &err) == SS_OK)
            ss_split_free(s);
    }
    ss_dataset_free(ds);
    return 0;
}
