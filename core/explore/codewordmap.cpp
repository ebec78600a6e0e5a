#include "explore/codewordmap.h"

#include "common/error.h"
#include "metrics/rowsample.h"
#include "quant/registry.h"

#include <string>

namespace vq {

int decodeStepOf(const QuantizedTable& table, int array, int stage)
{
    const std::vector<DecodeStep> steps = quantizer(table.spec.method).decodeSteps(table);
    for (size_t i = 0; i < steps.size(); ++i)
        if (steps[i].array == array && steps[i].stage == stage)
            return static_cast<int>(i);
    throw Error(ErrorKind::InvalidArgument, "",
        table.spec.method + ": no decode step adds stage " + std::to_string(stage) + " of code array "
            + std::to_string(array));
}

CodewordMap computeCodewordMap(const QuantizedTable& table, const Matrix* original, int array, int stage, int group,
    const CodewordMapOptions& options, RunControl& control)
{
    const CodebookAccess access(table, array);
    CodewordMap map;
    map.stats
        = computeCodewordStats(access, stage, group, options.rowError, options.rowWeight, options.topTokens, control);
    const int64_t k = access.codewords();
    const int64_t w = access.width();
    const int g0 = group < 0 ? 0 : group;
    map.pca = fitPca2(access.codeword(stage, g0, 0), k, w, options.seed, options.threads);
    map.xy.resize(static_cast<size_t>(k * 2));
    for (int64_t c = 0; c < k; ++c)
        map.pca.project(access.codeword(stage, g0, static_cast<int32_t>(c)), map.xy.data() + c * 2);

    if (options.sampleUses <= 0 || !original)
        return map;
    if (original->rows != table.rows || original->cols != table.dim)
        throw Error(ErrorKind::InvalidArgument, "",
            "codeword map: the table (" + std::to_string(original->rows) + " x " + std::to_string(original->cols)
                + ") is not the one the run was made from (" + std::to_string(table.rows) + " x "
                + std::to_string(table.dim) + ")");
    control.throwIfCancelled();
    // Uses are numbered array row * groups of the selection + group index.
    const int64_t perRow = group < 0 ? access.groups() : 1;
    const std::vector<int64_t> picks = sampleRows(access.arrayRows() * perRow, options.sampleUses, options.seed);
    std::vector<int64_t> tableRows;
    tableRows.reserve(picks.size());
    for (const int64_t u : picks)
        tableRows.push_back(access.tableRow(u / perRow));
    const int step = decodeStepOf(table, array, stage);
    std::vector<float> partial(tableRows.size() * static_cast<size_t>(table.dim));
    quantizer(table.spec.method).decodePartial(table, tableRows, step + 1, partial.data());

    std::vector<float> target(static_cast<size_t>(w));
    for (size_t i = 0; i < picks.size(); ++i) {
        const int64_t r = picks[i] / perRow;
        const int g = group < 0 ? static_cast<int>(picks[i] % perRow) : group;
        const int64_t t = tableRows[i];
        const int32_t c = access.code(r, stage, g);
        const float* cw = access.codeword(stage, g, c);
        const std::span<const int64_t> cols = access.columns(g);
        const double scale = access.rowScale(t);
        const float* e = original->row(t);
        const float* d = partial.data() + static_cast<int64_t>(i) * table.dim;
        for (int64_t j = 0; j < w; ++j) {
            const int64_t col = cols[static_cast<size_t>(j)];
            const double left = static_cast<double>(e[col]) - d[col];
            target[static_cast<size_t>(j)] = static_cast<float>(cw[j] + (scale != 0 ? left / scale : 0.0));
        }
        float xy[2];
        map.pca.project(target.data(), xy);
        map.sampleRows.push_back(t);
        map.sampleGroups.push_back(g);
        map.sampleCodes.push_back(c);
        map.sampleXy.push_back(xy[0]);
        map.sampleXy.push_back(xy[1]);
    }
    return map;
}

} // namespace vq
