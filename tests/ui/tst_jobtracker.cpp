// JobTracker, the job mechanism of every runner: a finished or dropped job is destroyed (nothing keeps
// it, its own progress callback included), deliveries of a job no longer tracked are dropped, progress
// is throttled per stage and step, cancel keeps the job's last delivery, and the tracker's destruction
// cancels and waits (or only waits).
#include "runners/jobtracker.h"

#include <QSemaphore>
#include <QTest>

#include <atomic>
#include <thread>

using namespace vq;

namespace {

constexpr int kTimeoutMs = 10000;

struct CountingJob : Job {
    int payload = 0;
};

} // namespace

class TestJobTracker : public QObject {
    Q_OBJECT
private slots:
    void init() { QCOMPARE(Job::liveCount(), 0); }
    void cleanup() { QTRY_COMPARE(Job::liveCount(), 0); }

    void finishedJobIsDestroyed()
    {
        QObject owner;
        JobTracker tracker(&owner);
        int progressCalls = 0;
        auto job = tracker.create<CountingJob>([&](Job&, const JobProgress&) { ++progressCalls; });
        job->payload = 42;
        const std::weak_ptr<CountingJob> weak = job;
        QCOMPARE(job->id(), quint64(1));
        QVERIFY(tracker.isTracked(1));
        QCOMPARE(Job::liveCount(), 1);

        int delivered = 0;
        tracker.start(std::move(job), [&tracker, &delivered](Job& j) {
            // The progress callback lives in the job: it must not keep the job alive.
            j.control().report("work", 0.5);
            j.control().report("work", 1.0);
            tracker.finish(j, [&delivered](Job& ended) { delivered = static_cast<CountingJob&>(ended).payload; });
        });
        QTRY_COMPARE(delivered, 42);
        QVERIFY(!tracker.isTracked(1));
        QCOMPARE(tracker.count(), 0);
        tracker.waitForDone();
        QVERIFY(weak.expired());
        QCOMPARE(Job::liveCount(), 0);
        QCOMPARE(progressCalls, 2); // a new stage, then its end
    }

    void droppedJobDeliversNothing()
    {
        QObject owner;
        JobTracker tracker(&owner);
        QSemaphore go;
        auto job = tracker.create<Job>();
        const std::weak_ptr<Job> weak = job;
        const quint64 id = job->id();
        int posted = 0;
        int finished = 0;
        int dropped = 0;
        tracker.start(job, [&](Job& j) {
            go.acquire();
            tracker.post(j, [&](Job&) { ++posted; });
            tracker.finish(
                j, [&](Job&) { ++finished; }, [&] { ++dropped; });
        });
        job.reset();
        tracker.drop(id);
        QVERIFY(!tracker.isTracked(id));
        go.release();
        QTRY_COMPARE(dropped, 1);
        QCoreApplication::processEvents();
        QCOMPARE(posted, 0);
        QCOMPARE(finished, 0);
        tracker.waitForDone();
        QVERIFY(weak.expired());
    }

    void cancelKeepsTheLastDelivery()
    {
        QObject owner;
        JobTracker tracker(&owner);
        QSemaphore go;
        auto job = tracker.create<Job>();
        const quint64 id = job->id();
        bool sawCancel = false;
        bool finished = false;
        tracker.start(job, [&](Job& j) {
            go.acquire();
            tracker.finish(j, [&](Job& ended) {
                sawCancel = ended.isCancelled();
                finished = true;
            });
        });
        job.reset();
        tracker.cancel(id);
        QVERIFY(tracker.isTracked(id));
        go.release();
        QTRY_VERIFY(finished);
        QVERIFY(sawCancel);
    }

    // Many reports of one stage arrive as a few; every new stage or step, and each stage's end, arrive.
    void progressIsThrottledPerStageAndStep()
    {
        QObject owner;
        JobTracker tracker(&owner, std::chrono::milliseconds(1000));
        QList<JobProgress> seen;
        auto job = tracker.create<Job>([&](Job&, const JobProgress& p) { seen.append(p); });
        bool done = false;
        tracker.start(job, [&](Job& j) {
            for (int i = 0; i < 10000; ++i)
                j.control().report("fit", i / 10000.0);
            j.control().report("fit", 1.0);
            j.control().report("metrics", 0.0);
            j.setStep(1);
            j.control().report("metrics", 0.5);
            tracker.finish(j, [&](Job&) { done = true; });
        });
        job.reset();
        QTRY_VERIFY(done);
        QCoreApplication::processEvents();
        // fit at 0 (new stage), fit at 1 (its end), metrics (new stage), metrics step 1 (new step); the
        // deliveries that were already queued when the job ended still arrive in order before its finish.
        QCOMPARE(seen.size(), 4);
        QCOMPARE(seen[0].stage, QStringLiteral("fit"));
        QCOMPARE(seen[0].fraction, 0.0);
        QCOMPARE(seen[1].fraction, 1.0);
        QVERIFY(seen[1].stageSeconds >= seen[0].stageSeconds);
        QCOMPARE(seen[2].stage, QStringLiteral("metrics"));
        QCOMPARE(seen[2].step, 0);
        QCOMPARE(seen[3].step, 1);
        QCOMPARE(seen[3].fraction, 0.5);
    }

    // Progress reported from many threads at once (as OpenMP teams do) is throttled safely.
    void progressFromManyThreads()
    {
        QObject owner;
        JobTracker tracker(&owner, std::chrono::milliseconds(1000));
        int seen = 0;
        auto job = tracker.create<Job>([&](Job&, const JobProgress&) { ++seen; });
        bool done = false;
        tracker.start(job, [&](Job& j) {
            std::vector<std::thread> threads;
            for (int t = 0; t < 4; ++t)
                threads.emplace_back([&j] {
                    for (int i = 0; i < 5000; ++i)
                        j.control().report("encode", 0.25);
                });
            for (std::thread& t : threads)
                t.join();
            tracker.finish(j, [&](Job&) { done = true; });
        });
        job.reset();
        QTRY_VERIFY(done);
        QCOMPARE(seen, 1);
    }

    void ids()
    {
        QObject owner;
        JobTracker tracker(&owner);
        auto a = tracker.create<Job>();
        auto b = tracker.create<Job>();
        QCOMPARE(a->id() + 1, b->id());
        QCOMPARE(tracker.lastId(), b->id());
        QCOMPARE(tracker.find<Job>(a->id()), a);
        tracker.dropAll();
        QCOMPARE(tracker.count(), 0);
        QVERIFY(a->isCancelled() && b->isCancelled());
    }

    void destructionCancelsAndWaits_data()
    {
        QTest::addColumn<bool>("cancelOnDestroy");
        QTest::newRow("cancels") << true;
        QTest::newRow("lets it finish") << false;
    }

    void destructionCancelsAndWaits()
    {
        QFETCH(bool, cancelOnDestroy);
        std::atomic<bool> ran { false };
        std::atomic<bool> sawCancel { false };
        std::weak_ptr<Job> weak;
        {
            QObject owner;
            JobTracker tracker(&owner);
            tracker.setCancelOnDestroy(cancelOnDestroy);
            auto job = tracker.create<Job>();
            weak = job;
            QSemaphore started;
            tracker.start(job, [&](Job& j) {
                started.release();
                // Runs until cancelled, or for a while.
                for (int i = 0; i < 50 && !j.isCancelled(); ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                sawCancel = j.isCancelled();
                ran = true;
            });
            job.reset();
            started.acquire();
        }
        QVERIFY(ran);
        QCOMPARE(bool(sawCancel), cancelOnDestroy);
        QVERIFY(weak.expired());
    }
};

QTEST_MAIN(TestJobTracker)
#include "tst_jobtracker.moc"
