#pragma once

// Runs of every codebook method on a small slice of the bundled GloVe sample (resources/sample), for the
// codebook explorer's tests: fitted once per test executable and shared.
#include "quant/registry.h"
#include "quantchecks.h"

#include <QString>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vqtest {

// The first rows x cols of the bundled sample table (float16 values as float32), read once.
inline vq::Matrix sampleSlice(int64_t rows, int64_t cols)
{
    static const vq::Matrix all = readNpySlice(sourcePath("resources/sample/glove-20k.npy"));
    vq::Matrix m(rows, cols);
    for (int64_t i = 0; i < rows; ++i)
        std::copy_n(all.row(i), cols, m.row(i));
    return m;
}

// The words of the first rows of the bundled sample.
inline std::vector<std::string> sampleTokens(int64_t rows)
{
    std::vector<std::string> tokens;
    std::ifstream vocab(sourcePath("resources/sample/glove-20k.vocab.txt"));
    std::string line;
    while (static_cast<int64_t>(tokens.size()) < rows && std::getline(vocab, line))
        tokens.push_back(line);
    return tokens;
}

// The table the explorer fixtures are fitted on: 1200 rows x 32 columns.
constexpr int64_t kExplorerRows = 1200;
constexpr int64_t kExplorerCols = 32;

inline const vq::Matrix& explorerTable()
{
    static const vq::Matrix m = sampleSlice(kExplorerRows, kExplorerCols);
    return m;
}

// Named specs, one per codebook layout the explorer must handle: per-position (pq), shared (pq-shared,
// aqlm), residual stages (grvq), an adaptor step (carvq), extended codebooks over permuted columns (crvq)
// or over critical rows (crvq-rows), and row scales (aqlm).
inline std::vector<std::pair<std::string, vq::QuantSpec>> explorerSpecs()
{
    return {
        { "pq", { "pq", { { "d", 4 }, { "bits", 5 } } } },
        { "pq-shared", { "pq", { { "d", 4 }, { "bits", 6 }, { "shared", true } } } },
        { "grvq", { "grvq", { { "h", 4 }, { "R", 3 }, { "kappa", 4 } } } },
        { "carvq",
            { "carvq",
                { { "h", 4 }, { "R", 2 }, { "kappa", 4 }, { "m", 4 }, { "width", 8 }, { "epochs", 3 },
                    { "fineTuneEpochs", 1 } } } },
        { "carvq-grvq-first",
            { "carvq",
                { { "h", 4 }, { "R", 2 }, { "kappa", 4 }, { "m", 4 }, { "width", 8 }, { "epochs", 3 },
                    { "fineTuneEpochs", 1 }, { "order", "grvq-first" } } } },
        { "aqlm", { "aqlm", { { "M", 2 }, { "B", 5 }, { "g", 4 }, { "maxRounds", 2 }, { "initIterations", 5 } } } },
        { "crvq", { "crvq", { { "g", 4 }, { "b", 5 }, { "E", 2 }, { "lambda", 0.25 }, { "beam", 2 } } } },
        { "crvq-rows",
            { "crvq", { { "g", 4 }, { "b", 5 }, { "E", 2 }, { "lambda", 0.05 }, { "axis", "row" }, { "beam", 2 } } } },
    };
}

inline const vq::QuantSpec& explorerSpec(const std::string& name)
{
    static const auto specs = explorerSpecs();
    for (const auto& [n, spec] : specs)
        if (n == name)
            return spec;
    throw std::runtime_error("no explorer spec " + name);
}

// The fitted run of a named spec on explorerTable() (seed 7, 2 threads), fitted once.
inline const vq::QuantizedTable& explorerRun(const std::string& name)
{
    static std::map<std::string, std::shared_ptr<const vq::QuantizedTable>> cache;
    auto& slot = cache[name];
    if (!slot) {
        const vq::QuantSpec& spec = explorerSpec(name);
        slot = std::make_shared<const vq::QuantizedTable>(
            fitWith(vq::quantizer(spec.method), explorerTable(), spec, 7, 2));
    }
    return *slot;
}

// QTest rows, one per explorer spec name.
inline void addExplorerRows()
{
    QTest::addColumn<QString>("run");
    for (const auto& [name, spec] : explorerSpecs())
        QTest::newRow(name.c_str()) << QString::fromStdString(name);
}

} // namespace vqtest
