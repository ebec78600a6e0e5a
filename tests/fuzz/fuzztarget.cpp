// One libFuzzer target: VQ_FUZZ_PARSER names the parser (see fuzzparsers.h).
#include "fuzzparsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    vqfuzz::parseBytes(VQ_FUZZ_PARSER, data, size);
    return 0;
}
