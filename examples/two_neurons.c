/* Two lif neurons on the public API: A fires on its own (its resting
 * potential lies above threshold), B only through A's synapse.  Prints every
 * spike and exits 1 if B never fired.
 *
 *     cc two_neurons.c $(pkg-config --cflags --libs spiksim) */
#include <spiksim/engine.h>
#include <spiksim/network.h>

#include <stdio.h>

static void print_spike(void *ctx, size_t layer, size_t neuron, double t_ms)
{
    const ss_network *net = ctx;
    printf("%10.6f ms  %s[%zu]\n", t_ms, ss_layer_name(ss_network_layer(net, layer)), neuron);
}

int main(void)
{
    ss_error err = {0};
    ss_network *net = ss_network_alloc();

    ss_neuron_params a;
    ss_neuron_params_default(&a);
    a.e_l_mv = -65;
    a.bias_mv = 20; /* V settles at -45 mV, above the -50 mV threshold */
    ss_neuron_params b = a;
    b.bias_mv = 0; /* B rests at -65 mV */

    int la = ss_network_add_neurons(net, "A", SS_LAYER_LIF, 1, &a, &err);
    int lb = ss_network_add_neurons(net, "B", SS_LAYER_LIF, 1, &b, &err);
    uint32_t pre = 0, post = 0;
    float w = 16; /* one spike of A lifts B from rest over threshold */
    if (la < 0 || lb < 0 ||
        ss_network_add_synapses(net, "A_to_B", (size_t)la, (size_t)lb, 1, &pre, &post, &w, NULL,
                                1.5, 0, &err) < 0) {
        fprintf(stderr, "two_neurons: %s\n", err.msg);
        return 1;
    }
    printf("A alone fires every %.6f ms\n", ss_lif_isi_ms(&a));

    ss_engine_options opt = {.seed = 1, .threads = 1};
    ss_engine *eng = ss_engine_alloc(net, &opt, &err);
    if (!eng || ss_engine_add_observer(eng, print_spike, net) || ss_engine_run(eng, 100.0, &err)) {
        fprintf(stderr, "two_neurons: %s\n", err.msg);
        return 1;
    }
    ss_engine_counters c;
    ss_engine_get_counters(eng, &c);
    printf("%llu spikes, %llu synaptic events\n", (unsigned long long)c.spikes,
           (unsigned long long)c.syn_events);
    int ok = ss_engine_layer_spikes(eng, (size_t)lb) > 0;
    ss_engine_free(eng);
    ss_network_free(net);
    return ok ? 0 : 1;
}
