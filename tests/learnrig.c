/* The learning rig of learnrig.h. */
#include "learnrig.h"

#include "testutil.h"

#include <stdio.h>
#include <string.h>

int rig_build(rig *r, const char *ini_name, const char *model, const char *pre_csv, ss_error *err)
{
    return rig_build_parts(r, ini_name, model, pre_csv, 1, 0, err);
}

int rig_build_parts(rig *r, const char *ini_name, const char *model, const char *pre_csv,
                    unsigned threads, unsigned partitions, ss_error *err)
{
    memset(r, 0, sizeof *r);
    ss_test_write("pre.csv", pre_csv);
    r->cfg = ss_config_load(ss_test_write(ini_name, model), NULL, 0, err);
    if (r->cfg)
        r->net = ss_network_from_config(r->cfg, 0, err);
    ss_engine_options opt = {.seed = 0, .threads = threads, .partitions = partitions};
    if (r->net)
        r->eng = ss_engine_alloc(r->net, &opt, err);
    if (r->eng)
        r->learner = ss_learner_alloc(r->net, r->eng, r->cfg, err);
    return r->learner != NULL;
}

int rig_up(rig *r, const char *model, const char *pre_csv)
{
    ss_error err;
    if (rig_build(r, "pair.ini", model, pre_csv, &err))
        return 1;
    fprintf(stderr, "\n  rig: %s\n", err.msg);
    return 0;
}

void rig_down(rig *r)
{
    ss_learner_free(r->learner);
    ss_engine_free(r->eng);
    ss_network_free(r->net);
    ss_config_free(r->cfg);
}

float rig_weight(rig *r, size_t k)
{
    return ss_projection_weights(ss_network_projection(r->net, k))[0];
}
