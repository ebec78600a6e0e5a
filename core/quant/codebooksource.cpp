#include "quant/codebooksource.h"

namespace vq {

CodebookSource contiguousCodebookSource(std::string array, const CodeLayout& layout, std::string codebookArray,
    int64_t width, const std::function<int64_t(int stage, int group)>& bookOffset)
{
    CodebookSource s;
    s.array = std::move(array);
    s.layout = layout;
    s.codebookArray = std::move(codebookArray);
    s.width = width;
    for (int st = 0; st < layout.stages; ++st)
        for (int g = 0; g < layout.groups; ++g)
            s.bookOffsets.push_back(bookOffset(st, g));
    for (int64_t c = 0; c < layout.groups * width; ++c)
        s.columns.push_back(c);
    return s;
}

} // namespace vq
