/* The backprop baseline's settings from a model file's [evaluate] bp_* keys.
 * Kept apart from ann_train.c so that the MLP itself does not depend on the
 * model-file layer. */
#include <spiksim/ann.h>
#include <spiksim/config.h>

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
