#include "inspectcommand.h"

#include "common/error.h"
#include "io/embeddingloader.h"
#include "io/tensorreader.h"
#include "run/hdf5probe.h"
#include "stats/tablestats.h"
#include "terminal.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace vqcli {

namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kFirstTokens = 10;
constexpr size_t kTextTensorLimit = 40; // text output lists this many tensors; --json lists all

struct Summary {
    double min = 0;
    double median = 0;
    double max = 0;
};

Summary summarise(std::vector<double> v)
{
    if (v.empty())
        return {};
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return { v.front(), median, v.back() };
}

Json summaryJson(const Summary& s)
{
    return { { "min", s.min }, { "median", s.median }, { "max", s.max } };
}

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string s;
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? " x " : "") + std::to_string(shape[i]);
    return s.empty() ? "scalar" : s;
}

// Control characters would garble a terminal and quotes the list: show them escaped.
std::string printable(const std::string& token)
{
    std::string out;
    for (unsigned char c : token) {
        if (c == '"' || c == '\\')
            out += std::string("\\") + static_cast<char>(c);
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else
            out += static_cast<char>(c);
    }
    return out;
}

// The file and its tensors: what inspect shows even when no table can be loaded from it.
Json fileReport(const std::string& path, const vq::TensorReader& reader)
{
    Json report;
    report["file"] = path;
    report["format"] = reader.formatName();
    Json tensors = Json::array();
    for (const vq::TensorInfo& t : reader.tensors()) {
        tensors.push_back({ { "name", t.name }, { "dtype", vq::nameOf(t.dtype) }, { "storedDtype", t.dtypeName },
            { "shape", t.shape }, { "bytes", t.byteSize } });
    }
    report["tensors"] = tensors;
    return report;
}

Json buildReport(const vq::TensorReader& reader, const vq::EmbeddingCandidates& candidates,
    const vq::EmbeddingTable& table, const vq::TableStats& stats)
{
    Json report = fileReport(table.source.file, reader);
    report["embedding"] = {
        { "tensor", table.source.tensor },
        { "reason", table.source.selectionReason },
        { "candidates", candidates.names },
        { "rows", table.rows() },
        { "dim", table.dim() },
        { "storedShape", table.source.storedShape },
        { "dtype", table.source.dtype },
        { "checksum", table.source.checksum },
    };
    report["tiedHead"]
        = { { "tied", table.tiedHead ? Json(*table.tiedHead) : Json(nullptr) }, { "reason", table.tiedReason } };
    std::vector<std::string> first(table.tokens.begin(),
        table.tokens.begin() + static_cast<std::ptrdiff_t>(std::min(kFirstTokens, table.tokens.size())));
    report["tokens"] = { { "source", table.tokenSource }, { "count", table.tokens.size() }, { "first", first } };
    report["nonFinite"] = { { "nan", stats.nanCount }, { "inf", stats.infCount }, { "rows", stats.nonFiniteRows } };
    Json percentiles = Json::array();
    for (const vq::Percentile& p : stats.rowNormPercentiles)
        percentiles.push_back({ { "p", p.p }, { "value", p.value } });
    Json outliers = Json::array();
    for (int64_t d : stats.outlierDims) {
        outliers.push_back({ { "dim", d }, { "mean", stats.dimMean[static_cast<size_t>(d)] },
            { "std", stats.dimStd[static_cast<size_t>(d)] } });
    }
    report["statistics"] = {
        { "mean", stats.mean },
        { "std", stats.stddev },
        { "min", stats.minValue },
        { "max", stats.maxValue },
        { "rowNormPercentiles", percentiles },
        { "dimMean", summaryJson(summarise(stats.dimMean)) },
        { "dimStd", summaryJson(summarise(stats.dimStd)) },
        { "outlierDims", outliers },
        { "outlierRule", stats.outlierRule },
    };
    return report;
}

void printFileText(const Json& r)
{
    std::printf("File        %s (%s)\n", r["file"].get<std::string>().c_str(), r["format"].get<std::string>().c_str());
    std::printf("Tensors     %zu\n", r["tensors"].size());
    size_t nameWidth = 8, dtypeWidth = 4;
    for (const auto& t : r["tensors"]) {
        nameWidth = std::max(nameWidth, t["name"].get<std::string>().size());
        dtypeWidth = std::max(dtypeWidth, t["storedDtype"].get<std::string>().size());
    }
    nameWidth = std::min<size_t>(nameWidth, 60);
    size_t shown = 0;
    for (const auto& t : r["tensors"]) {
        if (shown++ == kTextTensorLimit) {
            std::printf("  ... and %zu more (--json lists all)\n", r["tensors"].size() - kTextTensorLimit);
            break;
        }
        std::printf("  %-*s  %-*s  %s\n", static_cast<int>(nameWidth), t["name"].get<std::string>().c_str(),
            static_cast<int>(dtypeWidth), t["storedDtype"].get<std::string>().c_str(),
            shapeText(t["shape"].get<std::vector<int64_t>>()).c_str());
    }
}

void printText(const Json& r)
{
    const auto& e = r["embedding"];
    const auto& st = r["statistics"];
    printFileText(r);
    std::printf("Embedding   %s: %lld x %lld, stored as %s\n", e["tensor"].get<std::string>().c_str(),
        e["rows"].get<long long>(), e["dim"].get<long long>(), e["dtype"].get<std::string>().c_str());
    std::printf("  picked:   %s\n", e["reason"].get<std::string>().c_str());
    std::printf("  checksum: %s\n", e["checksum"].get<std::string>().c_str());
    const auto& tied = r["tiedHead"];
    std::printf("Tied head   %s (%s)\n", tied["tied"].is_null() ? "unknown" : (tied["tied"].get<bool>() ? "yes" : "no"),
        tied["reason"].get<std::string>().c_str());
    const auto& tokens = r["tokens"];
    if (tokens["count"].get<size_t>() == 0) {
        std::printf("Tokens      none found (give a token file with --vocab)\n");
    } else {
        std::string first;
        for (const auto& t : tokens["first"])
            first += " \"" + printable(t.get<std::string>()) + "\"";
        std::printf("Tokens      %zu from %s:%s ...\n", tokens["count"].get<size_t>(),
            tokens["source"].get<std::string>().c_str(), first.c_str());
    }
    const auto& nf = r["nonFinite"];
    if (nf["nan"].get<int64_t>() + nf["inf"].get<int64_t>() == 0)
        std::printf("Non-finite  none\n");
    else
        std::printf("Non-finite  %lld NaN, %lld Inf in %lld rows\n", nf["nan"].get<long long>(),
            nf["inf"].get<long long>(), nf["rows"].get<long long>());
    std::printf("Values      mean %.6g, std %.6g, min %.6g, max %.6g\n", st["mean"].get<double>(),
        st["std"].get<double>(), st["min"].get<double>(), st["max"].get<double>());
    std::printf("Row norms  ");
    for (const auto& p : st["rowNormPercentiles"])
        std::printf(" p%g %.4g", p["p"].get<double>(), p["value"].get<double>());
    std::printf("\n");
    for (const char* key : { "dimMean", "dimStd" }) {
        const auto& s = st[key];
        std::printf("%-11s min %.4g, median %.4g, max %.4g (over dimensions)\n",
            key == std::string("dimMean") ? "Dim means" : "Dim stds", s["min"].get<double>(), s["median"].get<double>(),
            s["max"].get<double>());
    }
    const auto& outliers = st["outlierDims"];
    if (outliers.empty()) {
        std::printf("Outliers    no outlier dimensions (%s)\n", st["outlierRule"].get<std::string>().c_str());
    } else {
        std::printf(
            "Outliers    %zu dimensions (%s):\n", outliers.size(), st["outlierRule"].get<std::string>().c_str());
        for (const auto& o : outliers)
            std::printf("  dim %-6lld mean %.4g, std %.4g\n", o["dim"].get<long long>(), o["mean"].get<double>(),
                o["std"].get<double>());
    }
}

} // namespace

CommandSpec inspectCommandSpec()
{
    return {
        "inspect",
        "show a checkpoint's tensors and its embedding table's shape, tokens and statistics",
        "Lists the tensors of FILE (safetensors, sharded safetensors index or folder, GGUF, HDF5, NumPy),\n"
        "picks the token-embedding table (or the one named by --tensor) and reports its shape, stored\n"
        "dtype, whether it doubles as the output head, the token strings found, NaN/Inf counts,\n"
        "row-norm percentiles, per-dimension mean/std and outlier dimensions. Progress goes to stderr\n"
        "when it is a terminal.",
        { { "FILE", "checkpoint file or model folder" } },
        {
            { "tensor", "NAME", "use this tensor instead of the automatic pick" },
            { "vocab", "FILE", "token strings, one per line (default: found beside FILE)" },
            { "json", "", "print one JSON object instead of text" },
        },
    };
}

int runInspect(const ParsedArgs& args)
{
    const std::string& path = args.positionals.front();
    vq::RunControl control;
    const TerminalProgress progress(control);
    const InterruptGuard interrupt(control);

    vq::LoadOptions options;
    options.tensor = args.value("tensor").value_or("");
    vq::probeHdf5File(path, options.tensor, control); // libhdf5 meets an untrusted file in a helper first
    const std::unique_ptr<vq::TensorReader> reader = vq::openTensorFile(path);
    const vq::EmbeddingCandidates candidates = vq::pickEmbedding(reader->tensors());
    options.vocabFile = args.value("vocab").value_or("");
    vq::EmbeddingTable table;
    try {
        table = vq::loadEmbedding(path, options, control);
    } catch (const vq::Error& e) {
        // A file whose embedding cannot be read (an unreadable ggml type, integers) is still listed
        // tensor by tensor; the error then follows on stderr.
        if (e.kind() != vq::ErrorKind::Unsupported)
            throw;
        Json report = fileReport(path, *reader);
        report["error"] = e.message();
        if (args.flag("json"))
            std::printf("%s\n", report.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
        else
            printFileText(report);
        std::fflush(stdout);
        throw;
    }
    const vq::TableStats stats = vq::computeTableStats(table.values, control);
    const Json report = buildReport(*reader, candidates, table, stats);

    if (args.flag("json"))
        std::printf("%s\n", report.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    else
        printText(report);
    return std::fflush(stdout) == 0 ? ExitOk : ExitFailure;
}

} // namespace vqcli
