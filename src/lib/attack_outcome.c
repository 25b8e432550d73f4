/* Outcomes of attacks: Wilson intervals, worst case per sample, sanity
 * (see attack.h). */
#include <spiksim/attack.h>

#include <math.h>

void ss_wilson(size_t k, size_t n, double z, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double p = (double)k / (double)n, nn = (double)n, z2 = z * z;
    double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
}

void ss_worst_case_merge(unsigned char *worst, const unsigned char *correct, size_t n)
{
    for (size_t i = 0; i < n; i++)
        worst[i] = worst[i] && correct[i];
}

size_t ss_count_correct(const unsigned char *correct, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += correct[i] != 0;
    return k;
}

int ss_attack_broken(size_t k, size_t n, size_t n_classes)
{
    /* k / n > 1 / n_classes, in integers */
    return n_classes && (unsigned long long)k * n_classes > (unsigned long long)n;
}
