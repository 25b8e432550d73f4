/* Spike files of a spike_file layer (CSV time_ms,neuron). */
#include "fuzz.h"

#include <spiksim/source.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ss_error err;
    ss_spike_train st;
    if (ss_spike_file_read(ss_fuzz_file("spikes.csv", data, size), 100, &st, &err) == SS_OK)
        ss_spike_train_clear(&st);
    return 0;
}
