/* Prints the key reference of man/spiksim.ini.5 from the key table; used by
 * `make update-man` and by tests/test_manpages.sh to keep the page true. */
#include <stdio.h>

#include <spiksim/config.h>

int main(void)
{
    ss_config_print_man(stdout);
    return 0;
}
