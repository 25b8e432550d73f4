/* A small learning rig for the tests: a network built from a model text
 * (written to the test directory with its spike file pre.csv), its engine
 * and learner.  Tests drive it by hand: begin a sample, force spikes, run,
 * end the sample, read weights. */
#ifndef SS_TEST_LEARNRIG_H
#define SS_TEST_LEARNRIG_H

#include <spiksim/config.h>
#include <spiksim/engine.h>
#include <spiksim/learn.h>
#include <spiksim/network.h>

typedef struct rig {
    ss_config *cfg;
    ss_network *net;
    ss_engine *eng;
    ss_learner *learner;
} rig;

/* Builds the rig from model (written as ini_name) and pre_csv: 1 when the
 * learner exists, else 0 with the reason in err (the parts built so far stay
 * in r; rig_down frees them either way). */
int rig_build(rig *r, const char *ini_name, const char *model, const char *pre_csv, ss_error *err);
/* The same with an engine of threads threads and partitions partitions (0:
 * one per thread). */
int rig_build_parts(rig *r, const char *ini_name, const char *model, const char *pre_csv,
                    unsigned threads, unsigned partitions, ss_error *err);
/* rig_build as pair.ini; on failure prints why and returns 0. */
int rig_up(rig *r, const char *model, const char *pre_csv);
void rig_down(rig *r);
/* The first weight of projection k. */
float rig_weight(rig *r, size_t k);

#endif
