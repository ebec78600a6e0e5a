// releasedInBackground and the context that keeps runs through it: whichever way a run leaves the context
// (cleared, removed, replaced, renamed then cleared), its quantized arrays are freed on the release
// thread, never on the GUI thread, exactly once; a previous table likewise.
#include "appcontext.h"
#include "runners/backgroundrelease.h"

#include <QTest>

#include <atomic>
#include <functional>
#include <thread>

using namespace vq;

namespace {

// Where and how often an object was freed.
struct FreeLog {
    std::atomic<int> frees { 0 };
    std::thread::id thread;
};

template <class T> std::shared_ptr<const T> logged(std::shared_ptr<FreeLog> log)
{
    return std::shared_ptr<const T>(new T {}, [log](const T* p) {
        log->thread = std::this_thread::get_id();
        ++log->frees;
        delete p;
    });
}

std::shared_ptr<const RunRecord> doneRun(std::shared_ptr<FreeLog> log)
{
    auto r = std::make_shared<RunRecord>();
    r->spec = { "rtn", { { "bits", 4 } } };
    r->status = RunStatus::Done;
    r->table = logged<QuantizedTable>(std::move(log));
    return r;
}

} // namespace

class TestBackgroundRelease : public QObject {
    Q_OBJECT
private slots:
    void freesOffTheCallingThreadOnce()
    {
        auto log = std::make_shared<FreeLog>();
        std::shared_ptr<const QuantizedTable> p = releasedInBackground(logged<QuantizedTable>(log));
        const QuantizedTable* object = p.get();
        QVERIFY(object);
        // Wrapping twice adds nothing: the same control block comes back.
        std::shared_ptr<const QuantizedTable> again = releasedInBackground(p);
        QVERIFY(!again.owner_before(p) && !p.owner_before(again));
        QCOMPARE(again.get(), object);
        again.reset();
        p.reset();
        waitForBackgroundReleases();
        QCOMPARE(log->frees.load(), 1);
        QVERIFY(log->thread != std::this_thread::get_id());

        QVERIFY(!releasedInBackground(std::shared_ptr<const QuantizedTable>()));
        releaseInBackground(nullptr);
        waitForBackgroundReleases();
    }

    void runsLeaveTheContext_data()
    {
        QTest::addColumn<QString>("how");
        QTest::newRow("cleared") << QStringLiteral("clear");
        QTest::newRow("removed") << QStringLiteral("remove");
        QTest::newRow("replaced") << QStringLiteral("update");
        QTest::newRow("renamed, then cleared") << QStringLiteral("rename");
        QTest::newRow("cleared while a view holds it") << QStringLiteral("held");
    }

    void runsLeaveTheContext()
    {
        QFETCH(QString, how);
        auto log = std::make_shared<FreeLog>();
        AppContext context;
        const RunKey key = context.addRun(doneRun(log));
        context.setCurrentRun(key);
        std::shared_ptr<const RunRecord> view;
        if (how == QLatin1String("clear")) {
            context.clearRuns();
        } else if (how == QLatin1String("remove")) {
            context.removeRun(key);
        } else if (how == QLatin1String("update")) {
            context.updateRun(key, doneRun(std::make_shared<FreeLog>()));
        } else if (how == QLatin1String("rename")) {
            context.renameRun(key, QStringLiteral("renamed"));
            context.clearRuns();
        } else {
            // A panel keeps the record it shows and lets it go on its next refresh.
            view = context.currentEntry()->record;
            context.clearRuns();
            QCOMPARE(log->frees.load(), 0);
            view.reset();
        }
        waitForBackgroundReleases();
        QCOMPARE(log->frees.load(), 1);
        QVERIFY(log->thread != std::this_thread::get_id());
    }

    void previousTable()
    {
        auto log = std::make_shared<FreeLog>();
        AppContext context;
        context.setTable(logged<EmbeddingTable>(log), std::make_shared<const TableStats>());
        context.setTable(std::make_shared<const EmbeddingTable>(), std::make_shared<const TableStats>());
        waitForBackgroundReleases();
        QCOMPARE(log->frees.load(), 1);
        QVERIFY(log->thread != std::this_thread::get_id());
    }
};

QTEST_GUILESS_MAIN(TestBackgroundRelease)
#include "tst_backgroundrelease.moc"
