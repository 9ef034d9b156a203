#include "config.h"
#include <stdio.h>
int main(void) { puts("tagctl"); return 0; }
