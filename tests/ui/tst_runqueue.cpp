// RunQueue: runs execute in the background in queue order, publish their progress and final records to
// the AppContext, and cancel (queued or running) ends in status Cancelled. Real GloVe rows.
#include "appcontext.h"
#include "common/error.h"
#include "runners/jobtracker.h"
#include "runners/runqueue.h"
#include "runners/workerpriority.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QSignalSpy>
#include <QTest>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

using namespace vq;

namespace {

constexpr int kRunTimeoutMs = 60000;

std::shared_ptr<const EmbeddingTable> gloveTable(int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), rows);
    table->source.file = vqtest::samplePath("glove-20k.npy");
    table->source.checksum = tableChecksum(table->values);
    return table;
}

void setTable(AppContext& context, int64_t rows)
{
    context.setTable(gloveTable(rows), std::make_shared<TableStats>());
}

QuantSpec rtn(int bits)
{
    return QuantSpec { "rtn", { { "bits", bits }, { "group", 0 }, { "mode", "sym" } } };
}

// A run long enough (several seconds) for a cancel to land while it trains.
QuantSpec slowSpec()
{
    return QuantSpec { "aqlm",
        { { "M", 2 }, { "B", 8 }, { "g", 4 }, { "beam", 4 }, { "maxRounds", 200 }, { "tolerance", 0.0 } } };
}

bool waitFinished(QSignalSpy& spy, int count)
{
    while (spy.count() < count)
        if (!spy.wait(kRunTimeoutMs))
            return false;
    return true;
}

} // namespace

class TestRunQueue : public QObject {
    Q_OBJECT
private slots:
    void runsOneAndPublishesTheRecord()
    {
        AppContext context;
        setTable(context, 2000);
        RunQueue queue(&context);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        QSignalSpy busy(&queue, &RunQueue::busyChanged);
        QSignalSpy changed(&context, &AppContext::runChanged);

        const RunKey key = queue.enqueue(rtn(4));
        QCOMPARE(context.runCount(), 1);
        QCOMPARE(context.runAt(0).key, key);
        QVERIFY(context.isModified());
        // Planned before it runs: the exact budget is known at once.
        QCOMPARE(context.run(key)->record->bits.bitsPerParam(), 4.0 + 16.0 / 100.0);
        QVERIFY(queue.isBusy());

        QVERIFY(waitFinished(finished, 1));
        QCOMPARE(finished.at(0).at(0).value<RunKey>(), key);
        QCOMPARE(finished.at(0).at(1).value<RunStatus>(), RunStatus::Done);
        const RunRecord& record = *context.run(key)->record;
        QCOMPARE(record.status, RunStatus::Done);
        QVERIFY(record.table != nullptr);
        QVERIFY(record.fullMetrics != nullptr);
        QCOMPARE(int64_t(record.fullMetrics->reconstruction.tokenMse.size()), int64_t(2000));
        // RTN int4 per row on GloVe: relMSE measured 0.0245 on these rows.
        const double relMse = record.metrics["reconstruction"]["relMse"].get<double>();
        qInfo("RTN int4 relMSE %.4f", relMse);
        QVERIFY2(relMse > 0.01 && relMse < 0.06, qPrintable(QString::number(relMse)));
        QVERIFY(!queue.isBusy());
        QCOMPARE(busy.count(), 2);
        // Queued -> Running -> Done.
        QVERIFY(changed.count() >= 2);
        // The finished run's job is freed (its progress callback does not keep it alive).
        QTRY_COMPARE(Job::liveCount(), 0);
    }

    void refusedSpecAddsNothing()
    {
        AppContext context;
        setTable(context, 500);
        RunQueue queue(&context);
        QVERIFY_THROWS_EXCEPTION(Error, queue.enqueue(QuantSpec { "pq", { { "d", 7 } } }));
        QCOMPARE(context.runCount(), 0);
        QVERIFY(!queue.isBusy());

        AppContext empty;
        RunQueue noTable(&empty);
        QVERIFY_THROWS_EXCEPTION(Error, noTable.enqueue(rtn(4)));
    }

    void runsInOrderAndCancelsAQueuedRun()
    {
        AppContext context;
        setTable(context, 2000);
        RunQueue queue(&context);
        QSignalSpy started(&queue, &RunQueue::runStarted);
        QSignalSpy finished(&queue, &RunQueue::runFinished);

        const RunKey a = queue.enqueue(rtn(8));
        const RunKey b = queue.enqueue(rtn(4));
        const RunKey c = queue.enqueue(rtn(2));
        QCOMPARE(queue.pendingCount(), 2);
        queue.cancel(b);
        QCOMPARE(context.run(b)->record->status, RunStatus::Cancelled);
        context.renameRun(c, QStringLiteral("two bits"));

        QVERIFY(waitFinished(finished, 3));
        QCOMPARE(started.count(), 2);
        QCOMPARE(started.at(0).at(0).value<RunKey>(), a);
        QCOMPARE(started.at(1).at(0).value<RunKey>(), c);
        QCOMPARE(context.run(a)->record->status, RunStatus::Done);
        QCOMPARE(context.run(c)->record->status, RunStatus::Done);
        // A rename made while queued survives the final record.
        QCOMPARE(context.run(c)->record->name, std::string("two bits"));
        // Fewer bits, more error.
        const auto relMse
            = [&](RunKey k) { return context.run(k)->record->metrics["reconstruction"]["relMse"].get<double>(); };
        QVERIFY(relMse(a) < relMse(c));
    }

    void cancelsTheRunningRunAndReportsProgress()
    {
        AppContext context;
        setTable(context, 4000);
        RunQueue queue(&context);
        QSignalSpy progress(&context, &AppContext::runProgress);
        QSignalSpy finished(&queue, &RunQueue::runFinished);

        const RunKey key = queue.enqueue(slowSpec());
        const RunKey after = queue.enqueue(rtn(4));
        QVERIFY(progress.wait(kRunTimeoutMs));
        QCOMPARE(progress.at(0).at(0).value<RunKey>(), key);
        QCOMPARE(context.run(key)->record->status, RunStatus::Running);
        QVERIFY(!context.run(key)->stage.isEmpty());
        QCOMPARE(queue.runningKey(), key);

        queue.cancel(key);
        QVERIFY(queue.isCancelling(key));
        QVERIFY(waitFinished(finished, 1));
        QCOMPARE(finished.at(0).at(1).value<RunStatus>(), RunStatus::Cancelled);
        QCOMPARE(context.run(key)->record->status, RunStatus::Cancelled);
        QVERIFY(context.run(key)->stage.isEmpty());
        // The queue goes on with the next run.
        QVERIFY(waitFinished(finished, 2));
        QCOMPARE(context.run(after)->record->status, RunStatus::Done);
    }

    void cancelAllStopsEverything()
    {
        AppContext context;
        setTable(context, 4000);
        RunQueue queue(&context);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        QSignalSpy busy(&queue, &RunQueue::busyChanged);
        const RunKey a = queue.enqueue(slowSpec());
        const RunKey b = queue.enqueue(slowSpec());
        QTRY_COMPARE_WITH_TIMEOUT(context.run(a)->record->status, RunStatus::Running, kRunTimeoutMs);
        queue.cancelAll();
        QVERIFY(waitFinished(finished, 2));
        QCOMPARE(context.run(a)->record->status, RunStatus::Cancelled);
        QCOMPARE(context.run(b)->record->status, RunStatus::Cancelled);
        QVERIFY(!queue.isBusy());
        QCOMPARE(busy.last().at(0).toBool(), false);
    }

    // Done, cancelled while queued, cancelled while running: every job is freed once its run ended.
    void everyEndedRunFreesItsJob()
    {
        AppContext context;
        setTable(context, 2000);
        RunQueue queue(&context);
        QSignalSpy finished(&queue, &RunQueue::runFinished);
        QSignalSpy progress(&context, &AppContext::runProgress);
        const RunKey slow = queue.enqueue(slowSpec());
        queue.enqueue(rtn(4));
        const RunKey queued = queue.enqueue(rtn(3));
        QCOMPARE(Job::liveCount(), 3);
        queue.cancel(queued);
        QCOMPARE(Job::liveCount(), 2);
        QVERIFY(progress.wait(kRunTimeoutMs));
        queue.cancel(slow);
        QVERIFY(waitFinished(finished, 3));
        QVERIFY(!queue.isBusy());
        QTRY_COMPARE(Job::liveCount(), 0);
    }

    void workersRunBelowTheGuiThread()
    {
        const auto niceOfThisThread = [] { return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); };
        const int guiNice = niceOfThisThread();
        int workerNice = -100, childNice = -100;
        std::thread worker([&] {
            lowerCurrentThreadPriority();
            lowerCurrentThreadPriority(); // idempotent
            workerNice = niceOfThisThread();
            // OpenMP's team is created by the worker, so it inherits the worker's priority.
            std::thread child([&] { childNice = niceOfThisThread(); });
            child.join();
        });
        worker.join();
        QCOMPARE(workerNice, std::max(guiNice, 10));
        QCOMPARE(childNice, workerNice);
        QCOMPARE(niceOfThisThread(), guiNice);
    }

    void destroyingTheQueueStopsTheRun()
    {
        AppContext context;
        setTable(context, 4000);
        auto queue = std::make_unique<RunQueue>(&context);
        const RunKey key = queue->enqueue(slowSpec());
        QTRY_COMPARE_WITH_TIMEOUT(context.run(key)->record->status, RunStatus::Running, kRunTimeoutMs);
        queue.reset(); // must return (cancel + wait), not hang or crash
        QCOMPARE(context.runCount(), 1);
    }
};

QTEST_MAIN(TestRunQueue)
#include "tst_runqueue.moc"
