#include "vq/version.h"

#include <cstdio>
#include <cstring>

int main(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("vqscope-cli %s\n", vq::kVersion);
        return 0;
    }
    std::fprintf(stderr, "usage: vqscope-cli --version\n");
    return 2;
}
