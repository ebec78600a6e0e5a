// Sweeps vqscope's "crvq" method over a few settings on a float32 .npy table and prints one JSON line per
// setting (default table: the bundled GloVe sample): the spec, the table slice, relMSE, bits/param, the relMSE of the
// critical columns (or rows) against the base VQ alone (E = 0, same g and b), and the wall time; then a few other
// methods that spend about the same bits uniformly, for reference.
//
//   bench_crvq [--data table.npy] [--threads 0]
#include "common/runcontrol.h"
#include "io/npyreader.h"
#include "quant/methods/crvq.h"
#include "quant/registry.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Setting {
    int64_t cols; // leading columns of the table used (g must divide it)
    nlohmann::json params;
};

vq::Matrix leadingColumns(const vq::Matrix& all, int64_t cols)
{
    vq::Matrix m(all.rows, cols);
    for (int64_t i = 0; i < all.rows; ++i)
        std::copy_n(all.row(i), cols, m.row(i));
    return m;
}

// Squared error and squared norm over the given columns (empty: all) and rows (empty: all).
std::pair<double, double> errorOver(
    const vq::Matrix& e, const vq::Matrix& d, const std::vector<int64_t>& cols, const std::vector<int64_t>& rows)
{
    double num = 0, den = 0;
    const auto add = [&](int64_t i, int64_t j) {
        const double diff = double(e.at(i, j)) - double(d.at(i, j));
        num += diff * diff;
        den += double(e.at(i, j)) * double(e.at(i, j));
    };
    for (int64_t i = 0; i < e.rows; ++i) {
        if (!rows.empty() && !std::binary_search(rows.begin(), rows.end(), i))
            continue;
        if (cols.empty())
            for (int64_t j = 0; j < e.cols; ++j)
                add(i, j);
        else
            for (const int64_t j : cols)
                add(i, j);
    }
    return { num, den };
}

} // namespace

int main(int argc, char** argv)
{
    std::string data = VQ_SAMPLE_TABLE;
    int threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key == "--data")
            data = argv[i + 1];
        else if (key == "--threads")
            threads = std::stoi(argv[i + 1]);
    }
    const vq::NpyReader reader(data);
    const vq::Matrix all = reader.readMatrix(reader.tensors().front().name, vq::nullRunControl());

    const std::vector<Setting> settings = {
        { 96, { { "g", 8 }, { "b", 8 }, { "E", 0 } } },
        { 96, { { "g", 8 }, { "b", 8 }, { "lambda", 0.02 }, { "E", 3 } } },
        { 96, { { "g", 8 }, { "b", 8 }, { "lambda", 0.02 }, { "E", 1 } } },
        { 96, { { "g", 8 }, { "b", 8 }, { "lambda", 0.25 }, { "E", 1 } } },
        { 96, { { "g", 8 }, { "b", 8 }, { "lambda", 0.05 }, { "E", 3 }, { "axis", "row" } } },
        { 96, { { "g", 8 }, { "b", 8 }, { "lambda", 0.05 }, { "E", 1 }, { "axis", "row" } } },
        { 96, { { "g", 8 }, { "b", 8 }, { "lambda", 0.02 }, { "E", 3 }, { "beam", 1 } } },
        { 100, { { "g", 4 }, { "b", 8 }, { "E", 0 } } },
        { 100, { { "g", 4 }, { "b", 8 }, { "lambda", 0.02 }, { "E", 3 } } },
        { 100, { { "g", 4 }, { "b", 8 }, { "lambda", 0.05 }, { "E", 3 }, { "axis", "row" } } },
        { 100, { { "g", 10 }, { "b", 8 }, { "E", 0 } } },
        { 100, { { "g", 10 }, { "b", 8 }, { "lambda", 0.1 }, { "E", 3 } } },
    };
    const vq::CrvqQuantizer q;
    for (const Setting& s : settings) {
        const vq::Matrix e = leadingColumns(all, std::min(s.cols, all.cols));
        vq::RunControl control;
        control.threads = threads;
        const vq::QuantSpec spec { "crvq", s.params };
        const auto t0 = std::chrono::steady_clock::now();
        const vq::QuantizedTable t = q.fit({ e, {} }, spec, control);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const vq::Matrix d = t.decodeAll();

        // The critical part, and the base VQ alone (E = 0) on the same part.
        std::vector<int64_t> critCols, critRows;
        if (const vq::StoredArray* p = t.findArray("permutation"))
            for (int64_t j = 0;
                 j < vq::CrvqQuantizer::criticalCount(t.spec, e.rows, e.cols) * s.params.at("g").get<int64_t>(); ++j)
                critCols.push_back(p->ints[size_t(j)]);
        if (const vq::StoredArray* r = t.findArray("rowIds"))
            critRows.assign(r->ints.begin(), r->ints.end());
        nlohmann::json baseParams = s.params;
        baseParams["E"] = 0;
        vq::RunControl baseControl;
        baseControl.threads = threads;
        const vq::Matrix base = q.fit({ e, {} }, { "crvq", baseParams }, baseControl).decodeAll();
        const auto [num, den] = errorOver(e, d, {}, {});
        nlohmann::json out = { { "spec", t.spec.toJson() }, { "shape", { e.rows, e.cols } }, { "relMse", num / den },
            { "bitsPerParam", t.bits().bitsPerParam() }, { "wallSeconds", wall } };
        if (!critCols.empty() || !critRows.empty()) {
            const auto [cn, cd] = errorOver(e, d, critCols, critRows);
            const auto [bn, bd] = errorOver(e, base, critCols, critRows);
            out["criticalRelMse"] = cn / cd;
            out["criticalRelMseBaseOnly"] = bn / bd;
        }
        std::cout << out.dump() << std::endl;
    }
    const std::vector<vq::QuantSpec> references = {
        { "pq", { { "d", 8 }, { "bits", 9 }, { "shared", true } } },
        { "pq", { { "d", 8 }, { "bits", 10 }, { "shared", true } } },
        { "grvq", { { "h", 8 }, { "R", 2 }, { "kappa", 5 }, { "shared", true }, { "beam", 4 } } },
    };
    const vq::Matrix e = leadingColumns(all, std::min<int64_t>(96, all.cols));
    for (const vq::QuantSpec& spec : references) {
        vq::RunControl control;
        control.threads = threads;
        const vq::QuantizedTable t = vq::quantizer(spec.method).fit({ e, {} }, spec, control);
        const auto [num, den] = errorOver(e, t.decodeAll(), {}, {});
        std::cout << nlohmann::json {
            { "spec", t.spec.toJson() }, { "shape", { e.rows, e.cols } }, { "relMse", num / den },
            { "bitsPerParam", t.bits().bitsPerParam() }
        }.dump() << std::endl;
    }
    return 0;
}
