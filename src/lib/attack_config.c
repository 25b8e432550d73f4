/* The attacks' [evaluate] keys into an ss_attack_plan (see attack.h). */
#include <spiksim/attack.h>

#include <ctype.h>
#include <string.h>

int ss_attack_plan_from_config(const ss_config *cfg, ss_attack_plan *plan, ss_error *err)
{
    memset(plan, 0, sizeof *plan);
    const char *list = ss_config_string(cfg, "evaluate", "attacks");
    for (const char *p = list; p && *p;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *q = p;
        while (*q && *q != ',' && !isspace((unsigned char)*q))
            q++;
        size_t len = (size_t)(q - p);
        if (len == 0)
            break;
        if (len == 4 && strncmp(p, "fgsm", 4) == 0)
            plan->fgsm = 1;
        else if (len == 3 && strncmp(p, "pgd", 3) == 0)
            plan->pgd = 1;
        else if (len == 4 && strncmp(p, "spsa", 4) == 0)
            plan->spsa = 1;
        else if (len == 8 && strncmp(p, "transfer", 8) == 0)
            plan->transfer = 1;
        else
            return ss_config_error(cfg, err, "evaluate", "attacks",
                                   "unknown attack '%.*s' (fgsm, pgd, spsa, transfer)", (int)len,
                                   p);
        p = q;
    }
    long samples = ss_config_int(cfg, "evaluate", "attack_samples");
    if (samples == 0)
        samples = ss_config_int(cfg, "evaluate", "fgsm_samples");
    plan->samples = (size_t)samples;
    plan->pgd_steps = (size_t)ss_config_int(cfg, "evaluate", "pgd_steps");
    ss_spsa_opts_default(&plan->spsa_opts);
    plan->spsa_opts.max_queries = (size_t)ss_config_int(cfg, "evaluate", "spsa_queries");
    plan->spsa_opts.batch = (size_t)ss_config_int(cfg, "evaluate", "spsa_batch");
    plan->spsa_opts.draws = (size_t)ss_config_int(cfg, "evaluate", "spsa_draws");
    plan->spsa_opts.delta = ss_config_double(cfg, "evaluate", "spsa_delta");
    plan->spsa_opts.lr_frac = ss_config_double(cfg, "evaluate", "spsa_lr");
    plan->sanity_eps = ss_config_double(cfg, "evaluate", "sanity_eps");
    return SS_OK;
}
