/* ssbench: runs a model file through the library for the peer benchmarks
 * (bench/bench4, bench/ff200) and prints one "key value" line per figure.
 *
 *   ssbench MODEL.ini [--seed N] [--raster FILE.csv] [--synapses FILE.csv]
 *                     [--set SECTION.KEY=VALUE]...
 *
 * --synapses writes the network the run uses (same seed, same draws) as
 * "projection,pre,post,weight,delay_ms" rows, so a peer simulator can be
 * given the very same connectivity. */
#include <spiksim/config.h>
#include <spiksim/engine.h>
#include <spiksim/network.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_synapses(const ss_config *cfg, unsigned long seed, const char *path, ss_error *err)
{
    ss_network *net = ss_network_from_config(cfg, seed, err);
    if (!net)
        return err->code;
    FILE *fp = fopen(path, "w");
    if (!fp) {
        ss_network_free(net);
        return ss_error_set(err, SS_EIO, "%s: cannot write", path);
    }
    fprintf(fp, "projection,pre,post,weight,delay_ms\n");
    for (size_t i = 0; i < ss_network_n_projections(net); i++) {
        ss_projection *p = ss_network_projection(net, i);
        const uint32_t *row = ss_projection_row_ptr(p), *tgt = ss_projection_targets(p);
        const float *w = ss_projection_weights(p), *d = ss_projection_delays(p);
        size_t n_pre = ss_layer_size(ss_network_layer(net, ss_projection_from(p)));
        for (size_t pre = 0; pre < n_pre; pre++)
            for (uint32_t s = row[pre]; s < row[pre + 1]; s++)
                fprintf(fp, "%s,%zu,%u,%.9g,%.9g\n", ss_projection_name(p), pre, tgt[s],
                        (double)w[s], d ? (double)d[s] : ss_projection_delay_ms(p));
    }
    int bad = fclose(fp) != 0;
    ss_network_free(net);
    return bad ? ss_error_set(err, SS_EIO, "%s: write failed", path) : SS_OK;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *raster = NULL, *synapses = NULL;
    unsigned long seed = 0;
    int seed_given = 0;
    const char *sets[64];
    size_t n_sets = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoul(argv[++i], NULL, 10);
            seed_given = 1;
        } else if (strcmp(argv[i], "--raster") == 0 && i + 1 < argc) {
            raster = argv[++i];
        } else if (strcmp(argv[i], "--synapses") == 0 && i + 1 < argc) {
            synapses = argv[++i];
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < 64) {
            sets[n_sets++] = argv[++i];
        } else if (argv[i][0] != '-' && !model) {
            model = argv[i];
        } else {
            fprintf(stderr, "usage: ssbench MODEL.ini [--seed N] [--raster FILE] "
                            "[--synapses FILE] [--set S.K=V]...\n");
            return 2;
        }
    }
    if (!model) {
        fprintf(stderr, "ssbench: no model file\n");
        return 2;
    }
    ss_error err = {0};
    ss_config *cfg = ss_config_load(model, sets, n_sets, &err);
    if (!cfg) {
        fprintf(stderr, "ssbench: %s\n", err.msg);
        return ss_error_exit_status(err.code);
    }
    if (!seed_given)
        seed = (unsigned long)ss_config_int(cfg, "simulation", "seed");
    if (synapses && write_synapses(cfg, seed, synapses, &err)) {
        fprintf(stderr, "ssbench: %s\n", err.msg);
        ss_config_free(cfg);
        return ss_error_exit_status(err.code);
    }
    ss_run_stats st;
    int rc = ss_simulate_free(cfg, seed, raster, &st, &err);
    ss_config_free(cfg);
    if (rc) {
        fprintf(stderr, "ssbench: %s\n", err.msg);
        return ss_error_exit_status(rc);
    }
    printf("seed %lu\nduration_ms %.3f\nspikes %llu\nsyn_events %llu\n", st.seed, st.duration_ms,
           (unsigned long long)st.spikes, (unsigned long long)st.syn_events);
    printf("build_s %.6f\nrun_s %.6f\nwall_s %.6f\nsyn_events_per_s %.6g\n", st.build_s, st.run_s,
           st.wall_s, st.syn_events_per_s);
    printf("synapses %zu\nbytes_per_synapse %.3f\nbytes_per_synapse_total %.3f\n"
           "estimated_bytes %zu\n",
           st.net.n_synapses, st.net.bytes_per_synapse, st.net.bytes_per_synapse_total,
           st.net.estimated_bytes);
    for (size_t i = 0; i < st.n_layers; i++)
        printf("layer %s type %s size %zu spikes %llu rate_hz %.6f cv_isi %.6f\n",
               st.layers[i].name, st.layers[i].type, st.layers[i].size,
               (unsigned long long)st.layers[i].spikes, st.layers[i].rate_hz, st.layers[i].cv_isi);
    ss_run_stats_free(&st);
    return 0;
}
