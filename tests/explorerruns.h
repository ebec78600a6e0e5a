#pragma once

// Finished runs of every codebook method on a slice of the bundled sample, as the GUI holds them
// (RunRecord with its arrays and per-token metrics), and the table they were made from with its words:
// for the codebook explorer's view tests.
#include "explorerfixtures.h"
#include "io/embeddingtable.h"
#include "run/runexecutor.h"

#include <QSignalSpy>

#include <map>
#include <memory>

namespace vqtest {

inline std::shared_ptr<const vq::EmbeddingTable> explorerEmbedding()
{
    static const std::shared_ptr<const vq::EmbeddingTable> table = [] {
        auto t = std::make_shared<vq::EmbeddingTable>();
        t->values = explorerTable();
        t->source.file = sourcePath("resources/sample/glove-20k.npy");
        t->source.checksum = vq::tableChecksum(t->values);
        t->tokens = sampleTokens(kExplorerRows);
        t->tokenSource = "glove-20k.vocab.txt";
        return t;
    }();
    return table;
}

// The finished run of a named explorer spec (see explorerSpecs), executed once per test executable.
inline std::shared_ptr<const vq::RunRecord> explorerRecord(const std::string& name)
{
    static std::map<std::string, std::shared_ptr<const vq::RunRecord>> cache;
    auto& slot = cache[name];
    if (!slot) {
        vq::RunOptions options;
        options.neighbourRecall = false;
        options.logitFidelity = false;
        vq::RunControl control;
        control.seed = 7;
        control.threads = 2;
        slot = std::make_shared<const vq::RunRecord>(
            vq::executeRun(*explorerEmbedding(), explorerSpec(name), options, control));
    }
    return slot;
}

// Waits until spy has at least count signals (false after 60 s without).
inline bool waitFor(QSignalSpy& spy, int count = 1)
{
    while (spy.count() < count)
        if (!spy.wait(60000))
            return false;
    return true;
}

} // namespace vqtest
