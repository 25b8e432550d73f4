/* The backprop baseline from a model file: its shape (from the [layer.NAME]
 * sections) and its training options (the [evaluate] bp_* keys).  Kept
 * apart from the MLP itself so that ann.c does not depend on the model-file
 * layer. */
#include <spiksim/ann.h>
#include <spiksim/config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ss_mlp_train_opts_from_config(const ss_config *cfg, ss_mlp_train_opts *opts, ss_error *err)
{
    (void)err; /* the loader has range-checked every key already */
    ss_mlp_train_opts_default(opts);
    opts->epochs = (size_t)ss_config_int(cfg, "evaluate", "bp_epochs");
    opts->batch = (size_t)ss_config_int(cfg, "evaluate", "bp_batch");
    opts->optimizer = strcmp(ss_config_string(cfg, "evaluate", "bp_optimizer"), "sgd") == 0
                          ? SS_OPTIMIZER_SGD
                          : SS_OPTIMIZER_ADAM;
    opts->lr = ss_config_double(cfg, "evaluate", "bp_lr");
    opts->momentum = ss_config_double(cfg, "evaluate", "bp_momentum");
    opts->l2 = ss_config_double(cfg, "evaluate", "bp_l2");
    return 0;
}

static int is_neuron_layer(const char *type)
{
    return strcmp(type, "lif") == 0 || strcmp(type, "lif_exp") == 0;
}

ss_mlp *ss_mlp_alloc_from_config(const ss_config *cfg, size_t n_features, size_t n_classes,
                                 ss_error *err)
{
    size_t n_layers = ss_config_count(cfg, "layer"), n_neuron = 0;
    size_t *sizes = calloc(n_layers + 2, sizeof *sizes);
    if (!sizes) {
        ss_error_set(err, SS_ENOMEM, "out of memory");
        return NULL;
    }
    sizes[0] = n_features;
    char section[256], last[256] = "";
    for (size_t i = 0; i < n_layers; i++) {
        snprintf(section, sizeof section, "layer.%s", ss_config_name(cfg, "layer", i));
        if (!is_neuron_layer(ss_config_string(cfg, section, "type")))
            continue;
        sizes[++n_neuron] = (size_t)ss_config_int(cfg, section, "size");
        snprintf(last, sizeof last, "%s", section);
    }
    ss_mlp *m = NULL;
    if (n_neuron == 0)
        ss_error_set(err, SS_ECONFIG,
                     "%s: the backprop baseline copies the shape of the "
                     "spiking network, which has no lif or lif_exp layer",
                     ss_config_file(cfg));
    else if (sizes[n_neuron] != n_classes)
        ss_config_error(cfg, err, last, "size",
                        "the output layer has %zu neurons but the data have %zu classes",
                        sizes[n_neuron], n_classes);
    else
        m = ss_mlp_alloc(n_neuron + 1, sizes, err);
    free(sizes);
    return m;
}
