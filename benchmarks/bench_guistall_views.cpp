// Measures the worst GUI-thread stall of the real main window (offscreen, 1280 x 800) while a user works
// with finished runs on a generated 128256 x 2048 table (LLaMA-3.2-1B's shape, with token strings):
// selecting a run, selecting two, deselecting, selecting again, switching to every tab, the views'
// refreshes (error metric, log scale, search in the token table, trade-off metric), a preview finishing,
// and saving and opening a session with the runs. A 10 ms timer on the GUI thread records every gap
// between its ticks; an action's stall is the largest gap minus 10 ms from the moment it starts until
// its result is shown and the window has been idle for a settle time (deferred replots and layouts
// included). The target is under 100 ms for every action. Prints one JSON object: per action its
// worst stall (ms) and the CPU time the GUI thread spent from its start to the end of the settle time
// (ms; what the action costs whatever the machine's load), the idle loop's worst stall and CPU time as
// the floor to read them against, and the 1-minute load average before and after (the machine may be
// shared: on 2 cores at load 18 the idle loop alone stalls for 100 ms).
//
//   bench_guistall_views [--rows 128256] [--dim 2048] [--threads 0] [--settle-ms 600]
//
// The runs (rtn 4-bit, rtn 2-bit and a shared-codebook PQ, recall off to keep the setup short) are
// made through the window's run queue before anything is measured.
#include "appcontext.h"
#include "io/embeddingtable.h"
#include "mainwindow.h"
#include "runners/previewrunner.h"
#include "sessioncontroller.h"
#include "stats/tablestats.h"
#include "synth/synthetictable.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include "benchsupport.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr int kTickMs = 10;
// How long an action may take to show its result before the benchmark gives up on it.
constexpr double kActionTimeoutMs = 300'000;

// CPU time of the calling thread, in ms.
double threadCpuMs()
{
    timespec t {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

// Every gap between the ticks of a kTickMs timer on the GUI thread, with the time of the tick ending it.
class StallProbe {
public:
    StallProbe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(kTickMs);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const double t = now();
            m_ticks.push_back({ t, std::max(0.0, t - m_last - kTickMs) });
            m_last = t;
        });
        m_clock.start();
        m_timer.start();
    }
    double now() const { return double(m_clock.nsecsElapsed()) / 1e6; }
    // The largest stall of a tick that ended after from and at or before to.
    double worstBetween(double from, double to) const
    {
        double worst = 0;
        for (const auto& [t, stall] : m_ticks)
            if (t > from && t <= to)
                worst = std::max(worst, stall);
        return worst;
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    double m_last = 0;
    std::vector<std::pair<double, double>> m_ticks;
};

// Runs action from the event loop, waits until done() holds (at once when there is none) and the loop has
// run settleMs more, and returns the worst stall in between and the GUI thread's CPU time.
nlohmann::json measure(const std::string& name, StallProbe& probe, int settleMs, const std::function<void()>& action,
    const std::function<bool()>& done = {})
{
    QEventLoop loop;
    double start = 0;
    double cpuStart = 0;
    double doneAt = -1;
    bool started = false;
    QTimer::singleShot(50, &loop, [&] {
        start = probe.now();
        cpuStart = threadCpuMs();
        started = true;
        action();
    });
    QTimer poll;
    poll.setInterval(kTickMs);
    bool timedOut = false;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (!started)
            return;
        if (doneAt < 0 && (!done || done()))
            doneAt = probe.now();
        // An action whose result never comes ends the benchmark with a message instead of a silent wait.
        if (doneAt < 0 && probe.now() - start > kActionTimeoutMs) {
            timedOut = true;
            loop.quit();
        }
        if (doneAt >= 0 && probe.now() - doneAt >= settleMs)
            loop.quit();
    });
    poll.start();
    loop.exec();
    if (timedOut)
        throw std::runtime_error(name + ": no result after " + std::to_string(int(kActionTimeoutMs / 1000)) + " s");
    const nlohmann::json figures
        = { { "stallMs", probe.worstBetween(start, probe.now()) }, { "cpuMs", threadCpuMs() - cpuStart } };
    // Progress on stderr: the JSON comes at the end.
    if (name != "settle")
        std::cerr << name << ": " << figures.dump() << std::endl;
    return figures;
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Opening the saved session runs the helper that checks HDF5 files: the one of this build.
    if (qEnvironmentVariableIsEmpty("VQ_PROBE_PATH"))
        qputenv("VQ_PROBE_PATH", VQ_PROBE_BUILD_PATH);
    std::map<std::string, std::string> args { { "rows", "128256" }, { "dim", "2048" }, { "threads", "0" },
        { "settle-ms", "600" } };
    if (!vqbench::parseArgs(
            argc, argv, args, "bench_guistall_views [--rows N] [--dim N] [--threads N] [--settle-ms MS]"))
        return 2;
    int qtArgc = 1;
    QApplication app(qtArgc, argv);
    QApplication::setOrganizationName(QStringLiteral("vqscope-bench"));
    QApplication::setApplicationName(QStringLiteral("bench_guistall_views"));
    // Settings and autosaves of the benchmark stay out of the user's.
    QStandardPaths::setTestModeEnabled(true);
    const int settle = std::stoi(args["settle-ms"]);

    try {
        nlohmann::json out;
        out["loadBefore"] = vqbench::loadAverage();
        const int64_t rows = std::stoll(args["rows"]);
        const int64_t dim = std::stoll(args["dim"]);
        const vqbench::GeneratedTable generated = vqbench::generatedTable(rows, dim, true);

        vq::MainWindow window;
        window.resize(1280, 800);
        window.show();
        window.context()->setTable(generated.table, generated.stats);
        vq::AppContext* context = window.context();
        vq::RunQueue* queue = window.runQueue();
        queue->setThreads(std::stoi(args["threads"]));
        StallProbe probe;

        // The floor: the idle loop on this machine now.
        out["idle"] = measure("idle", probe, 2000, [] {});

        // The runs, not measured.
        vq::RunOptions options;
        options.neighbourRecall = false;
        std::vector<vq::RunKey> keys;
        {
            QEventLoop loop;
            int finished = 0;
            QObject::connect(queue, &vq::RunQueue::runFinished, &loop, [&] {
                if (++finished == 3)
                    loop.quit();
            });
            keys.push_back(queue->enqueue({ "rtn", { { "bits", 4 }, { "group", 0 }, { "mode", "sym" } } }, options));
            keys.push_back(queue->enqueue({ "rtn", { { "bits", 2 }, { "group", 0 }, { "mode", "sym" } } }, options));
            keys.push_back(queue->enqueue(
                { "pq", { { "d", 8 }, { "bits", 6 }, { "shared", true }, { "iterations", 5 } } }, options));
            loop.exec();
        }
        for (vq::RunKey key : keys)
            if (context->run(key)->record->status != vq::RunStatus::Done)
                throw std::runtime_error("a setup run did not finish: " + context->run(key)->record->error);
        context->setSelectedRuns({});
        QCoreApplication::processEvents();
        std::cerr << "setup: 3 runs done" << std::endl;

        auto* tabs = window.tabs();
        auto* runsTable = window.findChild<QTableView*>(QStringLiteral("runsTable"));
        auto* tokenPanel = window.findChild<QWidget*>(QStringLiteral("tokenErrorPanel"));
        auto* tradeoffPanel = window.findChild<QWidget*>(QStringLiteral("tradeoffPanel"));
        if (!runsTable || !tokenPanel || !tradeoffPanel)
            throw std::runtime_error("a widget of the window was not found");
        auto* metric = tokenPanel->findChild<QComboBox*>();
        auto* logScale = tokenPanel->findChild<QCheckBox*>();
        auto* search = tokenPanel->findChild<QLineEdit*>();
        auto* tradeoffMetric = tradeoffPanel->findChild<QComboBox*>();
        // Selects the table rows of keys in one step, as a click (or a Ctrl+click adding a row) does.
        const auto selectRows = [&](const QList<vq::RunKey>& selected) {
            const auto* proxy = static_cast<const QSortFilterProxyModel*>(runsTable->model());
            QItemSelection selection;
            for (vq::RunKey key : selected) {
                const QModelIndex row = proxy->mapFromSource(proxy->sourceModel()->index(context->rowOf(key), 0));
                selection.select(row, row);
            }
            runsTable->selectionModel()->select(
                selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        };

        nlohmann::json actions;
        tabs->setCurrentWidget(tokenPanel);
        actions["select a run"] = measure("select a run", probe, settle, [&] { selectRows({ keys[0] }); });
        actions["select two runs"] = measure("select two runs", probe, settle, [&] {
            selectRows({ keys[0], keys[1] });
        });
        actions["deselect"] = measure("deselect", probe, settle, [&] { selectRows({}); });
        actions["select a run again"] = measure("select a run again", probe, settle, [&] { selectRows({ keys[2] }); });
        selectRows({ keys[0], keys[2] });
        measure("settle", probe, settle, [] {});
        for (int i = 0; i < tabs->count(); ++i) {
            const std::string name = "tab " + tabs->tabText(i).toStdString();
            actions[name] = measure(name, probe, settle, [&, i] { tabs->setCurrentIndex(i); });
        }
        tabs->setCurrentWidget(tokenPanel);
        measure("settle", probe, settle, [] {});
        if (metric) {
            actions["token errors: metric MSE"]
                = measure("token errors: metric MSE", probe, settle, [&] { metric->setCurrentIndex(1); });
            actions["token errors: metric 1 - cosine"]
                = measure("token errors: metric 1 - cosine", probe, settle, [&] { metric->setCurrentIndex(2); });
            metric->setCurrentIndex(0);
        }
        if (logScale) {
            actions["token errors: log scale off"]
                = measure("token errors: log scale off", probe, settle, [&] { logScale->setChecked(false); });
            actions["token errors: log scale on"]
                = measure("token errors: log scale on", probe, settle, [&] { logScale->setChecked(true); });
        }
        if (search) {
            actions["token search 'tok12'"]
                = measure("token search 'tok12'", probe, settle, [&] { search->setText(QStringLiteral("tok12")); });
            actions["token search '#4242'"]
                = measure("token search '#4242'", probe, settle, [&] { search->setText(QStringLiteral("#4242")); });
            actions["token search cleared"] = measure("token search cleared", probe, settle, [&] { search->clear(); });
        }
        if (tradeoffMetric) {
            tabs->setCurrentWidget(tradeoffPanel);
            measure("settle", probe, settle, [] {});
            actions["trade-off: metric SNR"]
                = measure("trade-off: metric SNR", probe, settle, [&] { tradeoffMetric->setCurrentIndex(1); });
            tabs->setCurrentWidget(tokenPanel);
        }

        // A preview: its fit runs on a worker; what counts is the GUI thread while it runs and publishes.
        if (auto* preview = window.findChild<vq::PreviewRunner*>()) {
            bool finished = false;
            QObject::connect(preview, &vq::PreviewRunner::finished, [&] { finished = true; });
            actions["preview finishing"] = measure(
                "preview finishing", probe, settle,
                [&] {
                    preview->request({ "rtn", { { "bits", 3 }, { "group", 0 }, { "mode", "sym" } } }, options, 1, 0);
                },
                [&] { return finished; });
        }

        // Saving and opening a session of the three runs.
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("bench.vqproj"));
        vq::SessionController* session = window.sessionController();
        bool saved = false;
        QObject::connect(session, &vq::SessionController::saved, [&] { saved = true; });
        actions["save session"] = measure(
            "save session", probe, settle, [&] { session->saveAs(file); }, [&] { return saved; });
        bool opened = false;
        QObject::connect(session, &vq::SessionController::opened, [&] { opened = true; });
        QString openError;
        QObject::connect(session, &vq::SessionController::failed, [&](const QString&, const QString& message) {
            openError = message.isEmpty() ? QStringLiteral("cancelled") : message;
        });
        actions["open session"] = measure(
            "open session", probe, settle, [&] { session->openSession(file); },
            [&] { return opened || !openError.isEmpty(); });
        if (!openError.isEmpty())
            throw std::runtime_error("the session was not opened: " + openError.toStdString());
        if (!saved || !opened)
            throw std::runtime_error("the session was not saved and opened again");

        double worst = 0;
        double worstCpu = 0;
        for (const auto& [name, figures] : actions.items()) {
            worst = std::max(worst, figures["stallMs"].get<double>());
            worstCpu = std::max(worstCpu, figures["cpuMs"].get<double>());
        }
        out["rows"] = rows;
        out["dim"] = dim;
        out["actions"] = actions;
        out["worstStallMs"] = worst;
        out["worstCpuMs"] = worstCpu;
        out["loadAfter"] = vqbench::loadAverage();
        std::cout << out.dump(2) << std::endl;
        window.sessionController()->setDiscardQuestion(
            [](const QString&) { return vq::SessionController::Decision::Discard; });
        return worst < 100 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "bench_guistall_views: " << e.what() << '\n';
        return 1;
    }
}
