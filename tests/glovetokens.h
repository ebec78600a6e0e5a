#pragma once

// A slice of the real GloVe table with its token strings, and finished runs on it, for the per-token
// views' tests.
#include "appcontext.h"
#include "runners/runqueue.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QSignalSpy>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace vqtest {

inline std::shared_ptr<const vq::EmbeddingTable> gloveTableWithTokens(int64_t rows)
{
    auto table = std::make_shared<vq::EmbeddingTable>();
    table->values = readNpySlice(samplePath("glove-20k.npy"), rows);
    table->source.file = samplePath("glove-20k.npy");
    table->source.checksum = vq::tableChecksum(table->values);
    std::ifstream vocab(samplePath("glove-20k.vocab.txt"));
    std::string line;
    while (int64_t(table->tokens.size()) < rows && std::getline(vocab, line))
        table->tokens.push_back(line);
    table->tokenSource = "glove-20k.vocab.txt";
    return table;
}

inline vq::QuantSpec rtnSpec(int bits)
{
    return vq::QuantSpec { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } };
}

inline vq::QuantSpec pqSpec()
{
    return vq::QuantSpec { "pq", { { "d", 4 }, { "bits", 8 } } };
}

// Queues specs on the context's table and waits until all have finished (false on timeout).
inline bool runAll(vq::RunQueue& queue, const std::vector<vq::QuantSpec>& specs, std::vector<vq::RunKey>& keys)
{
    QSignalSpy finished(&queue, &vq::RunQueue::runFinished);
    for (const auto& spec : specs)
        keys.push_back(queue.enqueue(spec));
    while (finished.count() < int(specs.size()))
        if (!finished.wait(120000))
            return false;
    return true;
}

} // namespace vqtest
