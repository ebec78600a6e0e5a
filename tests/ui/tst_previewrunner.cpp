// PreviewRunner: a seeded row sample of the real GloVe table, the preview entry published once and then
// replaced in place, a superseded job dropped, and the entry removed when the table changes.
#include "appcontext.h"
#include "metrics/rowsample.h"
#include "runners/jobtracker.h"
#include "runners/previewrunner.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QSignalSpy>
#include <QTest>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 60000;

std::string tokenName(int64_t row)
{
    return QStringLiteral("t%1").arg(row).toStdString();
}

std::shared_ptr<const EmbeddingTable> gloveTable(int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), rows);
    table->source.file = vqtest::samplePath("glove-20k.npy");
    table->source.checksum = tableChecksum(table->values);
    for (int64_t i = 0; i < rows; ++i)
        table->tokens.push_back(tokenName(i));
    return table;
}

QuantSpec rtn(int bits)
{
    return QuantSpec { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } };
}

// Several seconds on 4096 rows: still training when the next request arrives.
QuantSpec slowSpec()
{
    return QuantSpec { "aqlm",
        { { "M", 2 }, { "B", 8 }, { "g", 4 }, { "beam", 4 }, { "maxRounds", 200 }, { "tolerance", 0.0 } } };
}

} // namespace

class TestPreviewRunner : public QObject {
    Q_OBJECT
private slots:
    void sampleTableHoldsTheSampledRows()
    {
        const auto table = gloveTable(20000);
        const EmbeddingTable sample = PreviewRunner::sampleTable(*table, 4096, 7);
        const std::vector<int64_t> rows = sampleRows(20000, 4096, 7);
        QCOMPARE(sample.rows(), int64_t(4096));
        QCOMPARE(sample.dim(), int64_t(100));
        QCOMPARE(int64_t(sample.tokens.size()), int64_t(4096));
        for (size_t i : { size_t(0), size_t(1000), size_t(4095) }) {
            QCOMPARE(sample.tokens[i], tokenName(rows[i]));
            QCOMPARE(sample.values.at(int64_t(i), 17), table->values.at(rows[i], 17));
        }
        QCOMPARE(QString::fromStdString(sample.source.checksum), QString::fromStdString(tableChecksum(sample.values)));
        QVERIFY(sample.source.checksum != table->source.checksum);
        // Fewer rows than asked: all of them, in order.
        const EmbeddingTable all = PreviewRunner::sampleTable(*gloveTable(300), 4096, 7);
        QCOMPARE(all.rows(), int64_t(300));
        QCOMPARE(all.values.values, gloveTable(300)->values.values);
    }

    void publishesOnceThenReplacesInPlace()
    {
        AppContext context;
        context.setTable(gloveTable(20000), std::make_shared<TableStats>());
        PreviewRunner runner(&context);
        QSignalSpy finished(&runner, &PreviewRunner::finished);
        QSignalSpy added(&context, &AppContext::runAdded);

        RunOptions options;
        options.zipf = 1.0;
        runner.request(rtn(4), options, 11, 2);
        QVERIFY(runner.isBusy());
        QVERIFY(finished.wait(kTimeoutMs));
        const RunKey key = finished.at(0).at(1).value<RunKey>();
        QCOMPARE(runner.previewKey(), key);
        QCOMPARE(context.runCount(), 1);
        QVERIFY(context.runAt(0).preview);
        QVERIFY(!context.isModified());
        QCOMPARE(context.currentRun(), key);
        // Held: the entry's record is replaced (not modified) by the next preview.
        const std::shared_ptr<const RunRecord> firstRecord = context.run(key)->record;
        const RunRecord& first = *firstRecord;
        QCOMPARE(first.status, RunStatus::Done);
        QCOMPARE(first.provenance.rows, int64_t(4096));
        QCOMPARE(int64_t(first.fullMetrics->reconstruction.tokenMse.size()), int64_t(4096));
        QCOMPARE(QString::fromStdString(first.provenance.tokenWeights), QStringLiteral("zipf s=1 (sampled rows)"));
        QCOMPARE(first.spec.getInt("bits"), int64_t(4));

        runner.request(rtn(3), {}, 11, 2);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(1).at(1).value<RunKey>(), key);
        QCOMPARE(context.runCount(), 1);
        QCOMPARE(added.count(), 1);
        const RunRecord& second = *context.run(key)->record;
        QCOMPARE(second.spec.getInt("bits"), int64_t(3));
        // Fewer bits, more error, on the same sampled rows.
        QVERIFY(second.metrics["reconstruction"]["relMse"].get<double>()
            > first.metrics["reconstruction"]["relMse"].get<double>());
        QVERIFY(!runner.isBusy());
    }

    void newerRequestDropsTheOlder()
    {
        AppContext context;
        context.setTable(gloveTable(20000), std::make_shared<TableStats>());
        PreviewRunner runner(&context);
        QSignalSpy finished(&runner, &PreviewRunner::finished);
        QSignalSpy dropped(&runner, &PreviewRunner::dropped);
        const quint64 slow = runner.request(slowSpec(), {}, 1, 2);
        const quint64 fast = runner.request(rtn(5), {}, 1, 2);
        QVERIFY(fast > slow);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<quint64>(), fast);
        if (dropped.isEmpty())
            QVERIFY(dropped.wait(kTimeoutMs));
        QCOMPARE(dropped.at(0).at(0).value<quint64>(), slow);
        QCOMPARE(context.runCount(), 1);
        QCOMPARE(QString::fromStdString(context.runAt(0).record->spec.method), QStringLiteral("rtn"));
        // Both jobs are freed: the dropped one and the published one (no job holds itself).
        QTRY_COMPARE(Job::liveCount(), 0);
    }

    void refusedSpecFailsAndTableChangeRemovesTheEntry()
    {
        AppContext context;
        context.setTable(gloveTable(2000), std::make_shared<TableStats>());
        PreviewRunner runner(&context);
        QSignalSpy failed(&runner, &PreviewRunner::failed);
        QSignalSpy finished(&runner, &PreviewRunner::finished);
        runner.request(QuantSpec { "pq", { { "d", 7 } } }, {}, 1, 2);
        QVERIFY(failed.wait(kTimeoutMs));
        QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("'d'")));
        QCOMPARE(context.runCount(), 0);

        runner.request(rtn(4), {}, 1, 2);
        QVERIFY(finished.wait(kTimeoutMs));
        // 2000 rows: the sample is the whole table.
        QCOMPARE(context.runAt(0).record->provenance.rows, int64_t(2000));
        context.setTable(gloveTable(500), std::make_shared<TableStats>());
        QCOMPARE(context.runCount(), 0);
        QCOMPARE(runner.previewKey(), RunKey(0));
    }
};

QTEST_MAIN(TestPreviewRunner)
#include "tst_previewrunner.moc"
