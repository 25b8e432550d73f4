/* The attacks of a fold (experiment.c calls it after the backprop baseline
 * has trained): every attack of [evaluate] attacks on both networks, per eps
 * and per sample, into res->robust and the FGSM rows.  Not installed. */
#ifndef SPIKSIM_ATTACK_RUN_H
#define SPIKSIM_ATTACK_RUN_H

#include <signal.h>
#include <spiksim/ann.h>
#include <spiksim/config.h>
#include <spiksim/dataset.h>
#include <spiksim/progress.h>
#include <spiksim/report.h>
#include <spiksim/train.h>

int ss_run_attacks(const ss_config *cfg, unsigned long seed, const ss_split *split,
                   ss_classifier *snn, ss_mlp *mlp, ss_fold_result *res, ss_progress *progress,
                   const volatile sig_atomic_t *stop, ss_error *err);

#endif
