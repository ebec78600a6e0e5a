// How long the codebook explorer holds the GUI thread on a 128256 x 2048 table. Its views (Codebook Usage,
// Codebooks, the Compare view's codebook page) run offscreen in tabs over one AppContext, as the main
// window holds them but without the other views (what those do on a run change is bench_guistall's to
// measure). Two runs on a generated table: a GRVQ h8 R3 kappa4 layout (256 codebooks of 16 codewords per
// stage: 98.5M codes) and an AQLM 1x16 g8 layout (one codebook of 65536 codewords shared by 256 groups:
// 32.8M codes). Their codebooks are sampled sub-vectors of the table and their codes are drawn by a seeded
// generator: fitting them takes from many minutes (GRVQ) to hours (AQLM 1x16) on this table, and what the
// GUI thread does depends on the sizes, not on the values (--fit-grvq 1 fits the GRVQ run instead). Each
// run's metrics are computed for real (per-token errors of the decode). For each interaction (select a
// run, change the codebook, click a codeword, hover, search a token, heat-map drill-down, compare
// codebooks) a 5 ms timer on the GUI thread records every gap until the result is shown; a stall is a gap
// minus 5 ms. The target: every interaction's worst stall under 100 ms. Also the GUI thread's CPU time per
// interaction (independent of the machine's load) and the wall time until the result was shown (the
// workers run at nice +10: on a loaded machine that wall time is mostly waiting for a core). The reference
// measured in the same process: the idle event loop's worst stall.
//
//   bench_guicodebooks [--rows 128256] [--dim 2048] [--threads 0] [--fit-grvq 0|1]
//
// Prints one JSON object; a line per interaction on stderr as it ends.
#include "appcontext.h"
#include "charts/codewordmapchart.h"
#include "charts/heatmapchart.h"
#include "common/halffloat.h"
#include "metrics/rowsample.h"
#include "models/codemembersmodel.h"
#include "models/codewordmodel.h"
#include "models/tokencodesmodel.h"
#include "panels/codebookspanel.h"
#include "panels/codebookusagepanel.h"
#include "quant/registry.h"
#include "run/runexecutor.h"
#include "runners/codebookrunner.h"
#include "stats/tablestats.h"
#include "synth/synthetictable.h"
#include "widgets/codebooksimilaritybox.h"

#include <QApplication>
#include <QChart>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QLineEdit>
#include <QMouseEvent>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr int kTickMs = 5;
constexpr int kSettleMs = 300;
constexpr int kTimeoutMs = 180000;

double loadAverage()
{
    double load[1] = { -1 };
    return getloadavg(load, 1) == 1 ? load[0] : -1;
}

double threadCpuMs()
{
    timespec t {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

// Runs the event loop from trigger() until done() holds, then kSettleMs more (paints, queued signals),
// recording the gaps of a kTickMs timer.
nlohmann::json measure(const std::function<void()>& trigger, const std::function<bool()>& done, const char* name)
{
    std::vector<double> stalls;
    QElapsedTimer clock;
    double last = 0;
    double doneMs = -1;
    QEventLoop loop;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(kTickMs);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const double now = double(clock.nsecsElapsed()) / 1e6;
        stalls.push_back(std::max(0.0, now - last - kTickMs));
        last = now;
        if (doneMs < 0 && done()) {
            doneMs = now;
            QTimer::singleShot(kSettleMs, &loop, &QEventLoop::quit);
        }
        if (now > kTimeoutMs)
            loop.quit();
    });
    const double cpu0 = threadCpuMs();
    clock.start();
    tick.start();
    QTimer::singleShot(0, &loop, [&] {
        const double before = double(clock.nsecsElapsed()) / 1e6;
        trigger();
        // The trigger's own time is a stall like any other.
        stalls.push_back(std::max(0.0, double(clock.nsecsElapsed()) / 1e6 - before));
        last = double(clock.nsecsElapsed()) / 1e6;
    });
    loop.exec();
    tick.stop();
    const double cpu = threadCpuMs() - cpu0;
    std::sort(stalls.begin(), stalls.end());
    std::cerr << "bench_guicodebooks: " << name << ": worst stall " << (stalls.empty() ? 0.0 : stalls.back())
              << " ms, GUI CPU " << cpu << " ms, shown after " << doneMs << " ms\n";
    return { { "worstStallMs", stalls.empty() ? 0.0 : stalls.back() },
        { "p99StallMs",
            stalls.empty() ? 0.0 : stalls[std::min(stalls.size() - 1, size_t(0.99 * double(stalls.size())))] },
        { "ticks", stalls.size() }, { "resultShownAfterMs", doneMs }, { "guiCpuMs", cpu }, { "timedOut", doneMs < 0 } };
}

// A GRVQ h8 R3 kappa4 table of seeded codes: stage s codewords are sampled sub-vectors scaled by 2^-s.
std::shared_ptr<vq::QuantizedTable> syntheticGrvq(const vq::Matrix& e)
{
    auto t = std::make_shared<vq::QuantizedTable>();
    t->spec = vq::quantizer("grvq").validate(
        vq::QuantSpec { "grvq", { { "h", 8 }, { "R", 3 }, { "kappa", 4 } } }, e.rows, e.cols);
    t->rows = e.rows;
    t->dim = e.cols;
    const int64_t k = 16, h = 8, stages = 3, groups = e.cols / h;
    vq::SplitMix64 random(11);
    vq::StoredArray books { "codebooks", "codebook", "codebooks", vq::StorageType::F16, 16, { groups, stages, k, h },
        {}, {} };
    books.floats.resize(size_t(groups * stages * k * h));
    for (int64_t p = 0; p < groups; ++p)
        for (int64_t s = 0; s < stages; ++s)
            for (int64_t c = 0; c < k; ++c) {
                const int64_t r = int64_t(random.next() % uint64_t(e.rows));
                for (int64_t j = 0; j < h; ++j)
                    books.floats[size_t(((p * stages + s) * k + c) * h + j)]
                        = vq::roundToHalf(std::ldexp(e.at(r, p * h + j), -int(s)));
            }
    vq::StoredArray codes { "codes", "codes", "codes", vq::StorageType::UInt, 4, { e.rows, groups, stages }, {}, {} };
    codes.ints.resize(size_t(e.rows * groups * stages));
    for (int32_t& c : codes.ints)
        c = int32_t(random.next() % uint64_t(k));
    t->addArray(std::move(codes));
    t->addArray(std::move(books));
    return t;
}

// An AQLM 1x16 g8 table of seeded codes: codewords are sampled sub-vectors of the normalised rows, scales
// the rows' norms in fp16.
std::shared_ptr<vq::QuantizedTable> syntheticAqlm(const vq::Matrix& e)
{
    auto t = std::make_shared<vq::QuantizedTable>();
    t->spec = vq::quantizer("aqlm").validate(
        vq::QuantSpec { "aqlm", { { "M", 1 }, { "B", 16 }, { "g", 8 } } }, e.rows, e.cols);
    t->rows = e.rows;
    t->dim = e.cols;
    const int64_t k = 65536, g = 8, groups = e.cols / g;
    vq::SplitMix64 random(7);
    vq::StoredArray books { "codebooks", "codebook", "codebooks", vq::StorageType::F16, 16, { 1, k, g }, {}, {} };
    books.floats.resize(size_t(k * g));
    std::vector<float> scales(size_t(e.rows));
    for (int64_t r = 0; r < e.rows; ++r) {
        double n = 0;
        for (int64_t j = 0; j < e.cols; ++j)
            n += double(e.at(r, j)) * e.at(r, j);
        scales[size_t(r)] = vq::roundToHalf(float(std::sqrt(n)));
    }
    for (int64_t c = 0; c < k; ++c) {
        const int64_t r = int64_t(random.next() % uint64_t(e.rows));
        const int64_t p = int64_t(random.next() % uint64_t(groups));
        for (int64_t j = 0; j < g; ++j)
            books.floats[size_t(c * g + j)]
                = vq::roundToHalf(scales[size_t(r)] > 0 ? e.at(r, p * g + j) / scales[size_t(r)] : 0.0f);
    }
    vq::StoredArray codes { "codes", "codes", "codes", vq::StorageType::UInt, 16, { e.rows, groups, 1 }, {}, {} };
    codes.ints.resize(size_t(e.rows * groups));
    for (int32_t& c : codes.ints)
        c = int32_t(random.next() % uint64_t(k));
    t->addArray(std::move(codes));
    t->addArray(std::move(books));
    t->addArray({ "scales", "scale", "row scales", vq::StorageType::F16, 16, { e.rows }, std::move(scales), {} });
    return t;
}

std::shared_ptr<vq::RunRecord> recordOf(const vq::EmbeddingTable& table, std::shared_ptr<vq::QuantizedTable> q,
    const vq::RunOptions& options, vq::RunControl& control)
{
    auto r = std::make_shared<vq::RunRecord>(vq::planRun(table, q->spec, options, control));
    std::vector<std::string> warnings;
    auto metrics = std::make_shared<vq::RunMetrics>(vq::measureQuantized(table, *q, {}, options, warnings, control));
    r->metrics = metrics->toJson();
    r->fullMetrics = std::move(metrics);
    r->bits = q->bits();
    r->table = std::move(q);
    r->status = vq::RunStatus::Done;
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    std::map<std::string, std::string> args { { "rows", "128256" }, { "dim", "2048" }, { "threads", "0" },
        { "fit-grvq", "0" } };
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || !args.count(key.substr(2))) {
            std::cerr << "usage: bench_guicodebooks [--rows N] [--dim N] [--threads N] [--fit-grvq 0|1]\n";
            return 2;
        }
        args[key.substr(2)] = argv[i + 1];
    }
    int qtArgc = 1;
    QApplication app(qtArgc, argv);
    QApplication::setOrganizationName(QStringLiteral("vqscope-bench"));
    QApplication::setApplicationName(QStringLiteral("bench_guicodebooks"));

    try {
        nlohmann::json out;
        out["loadBefore"] = loadAverage();
        QElapsedTimer clock;
        clock.start();
        vq::SyntheticSpec synth;
        synth.rows = std::stoll(args["rows"]);
        synth.dim = std::stoll(args["dim"]);
        vq::RunControl control;
        control.threads = std::stoi(args["threads"]);
        auto table = std::make_shared<vq::EmbeddingTable>();
        table->values = vq::generateSyntheticTable(synth, control);
        table->source.file = "synthetic";
        table->source.checksum = vq::tableChecksum(table->values);
        auto stats = std::make_shared<vq::TableStats>(vq::computeTableStats(table->values, control));
        vq::RunOptions options;
        options.neighbourRecall = false;
        options.logitFidelity = false;
        std::shared_ptr<vq::QuantizedTable> grvq;
        if (args["fit-grvq"] == "1") {
            const vq::QuantSpec spec { "grvq", { { "h", 8 }, { "R", 3 }, { "kappa", 4 } } };
            QElapsedTimer fitClock;
            fitClock.start();
            grvq
                = std::make_shared<vq::QuantizedTable>(vq::quantizer("grvq").fit({ table->values, {} }, spec, control));
            out["grvqFitSeconds"] = double(fitClock.elapsed()) / 1e3;
        } else {
            grvq = syntheticGrvq(table->values);
        }
        out["grvqFitted"] = args["fit-grvq"] == "1";
        auto grvqRun = recordOf(*table, grvq, options, control);
        auto aqlmRun = recordOf(*table, syntheticAqlm(table->values), options, control);
        out["prepareSeconds"] = double(clock.elapsed()) / 1e3;

        // The explorer's views as the main window holds them (tabs over one AppContext, a code or token
        // request brings the explorer forward), without the other views: what they do on a run change is
        // theirs to measure (bench_guistall).
        vq::AppContext contextObject;
        vq::AppContext* context = &contextObject;
        QTabWidget window;
        auto* usage = new vq::CodebookUsagePanel(context);
        auto* panel = new vq::CodebooksPanel(context);
        auto* similarity = new vq::CodebookSimilarityBox;
        window.addTab(usage, usage->title());
        window.addTab(panel, panel->title());
        window.addTab(similarity, QStringLiteral("Compare: codebooks"));
        QObject::connect(context, &vq::AppContext::codeRequested, &window, [&] { window.setCurrentWidget(panel); });
        QObject::connect(
            context, &vq::AppContext::tokenPathRequested, &window, [&] { window.setCurrentWidget(panel); });
        window.resize(1280, 800);
        window.show();
        context->setTable(table, stats);
        const vq::RunKey grvqKey = context->addRun(grvqRun);
        const vq::RunKey aqlmKey = context->addRun(aqlmRun);
        vq::CodebookRunner* runner = panel->runner();
        const auto idle = [&] { return !runner->isBusy(); };
        const auto mapShown = [&] { return panel->shownMap() && !runner->isBusy(); };

        QTabWidget* tabs = &window;
        const auto send = [](QWidget* w, QEvent::Type type, const QPoint& at) {
            QMouseEvent e(type, QPointF(at), w->mapToGlobal(QPointF(at)), Qt::LeftButton,
                type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(w, &e);
        };
        const auto click = [&](QWidget* w, const QPoint& at) {
            send(w, QEvent::MouseButtonPress, at);
            send(w, QEvent::MouseButtonRelease, at);
        };
        // The code a click on the most used code's centre hits: a smaller disc drawn over it wins there.
        const auto mostUsedCode = [&] {
            const std::vector<int64_t>& usage = panel->shownMap()->map.stats.usage;
            const int most = int(std::max_element(usage.begin(), usage.end()) - usage.begin());
            const QPoint at = panel->mapChart()->viewPosition(most);
            return std::make_pair(at, panel->mapChart()->codeAt(at));
        };
        nlohmann::json s = nlohmann::json::object();
        QElapsedTimer since;
        since.start();

        // The reference: the event loop with nothing to do but the probe, for 2 s.
        s["idle event loop (reference)"]
            = measure([&] { since.restart(); }, [&] { return since.elapsed() > 2000; }, "idle event loop (reference)");
        s["select the GRVQ run on the Codebook Usage tab"] = measure([&] { context->setCurrentRun(grvqKey); },
            [&] { return usage->isVisible(); }, "select the GRVQ run on the Codebook Usage tab");
        s["open the Codebooks page: map of stage 1 group 0, path of row 0 with its neighbours"] = measure(
            [&] { tabs->setCurrentWidget(panel); }, [&] { return mapShown() && panel->pathRow() == 0 && idle(); },
            "open the Codebooks page: map of stage 1 group 0, path of row 0 with its neighbours");
        s["select the AQLM run, then the GRVQ run again (cached)"] = measure(
            [&] {
                context->setCurrentRun(aqlmKey);
                context->setCurrentRun(grvqKey);
            },
            [&] { return mapShown() && idle(); }, "select the AQLM run, then the GRVQ run again (cached)");
        const int pickedGroup = int(std::min<int64_t>(100, synth.dim / 8 - 1));
        s["pick stage 2, group 100"] = measure([&] { panel->setSelection(0, 1, pickedGroup); },
            [&] { return mapShown() && panel->currentGroup() == pickedGroup; }, "pick stage 2, group 100");
        {
            const auto [at, code] = mostUsedCode();
            s["click the most used codeword: its rows listed"]
                = measure([&] { click(panel->mapChart()->viewport(), at); },
                    [&] { return panel->selectedCode() == code && idle(); },
                    "click the most used codeword: its rows listed");
        }
        {
            // The first row of the code's list: the token's path and neighbours.
            QTableView* rows = panel->membersTable();
            const QModelIndex first = rows->model()->index(0, 0);
            const qint64 row = first.data(vq::CodeMembersModel::TableRowRole).toLongLong();
            s["pick a row using the code: its path and neighbours"]
                = measure([&] { rows->setCurrentIndex(first); }, [&] { return panel->pathRow() == row && idle(); },
                    "pick a row using the code: its path and neighbours");
        }
        {
            // The token's code at stage 3 of group 5 (Codes table): the map of that codebook, the code ringed.
            QTableView* codes = panel->codesTable();
            int pick = -1;
            for (int r = 0; r < codes->model()->rowCount() && pick < 0; ++r) {
                const QModelIndex i = codes->model()->index(r, 0);
                if (i.data(vq::TokenCodesModel::StageRole).toInt() == 2
                    && i.data(vq::TokenCodesModel::GroupRole).toInt() == 5)
                    pick = r;
            }
            const QModelIndex at = codes->model()->index(std::max(pick, 0), 0);
            const int code = at.data(vq::TokenCodesModel::CodeRole).toInt();
            s["click a code of the token's path: its codebook mapped, the code ringed"]
                = measure([&] { codes->setCurrentIndex(at); },
                    [&] { return mapShown() && panel->currentGroup() == 5 && panel->selectedCode() == code && idle(); },
                    "click a code of the token's path: its codebook mapped, the code ringed");
        }
        s["select the AQLM 1x16 run: 65536 codewords over 256 groups, 32.8M codes"]
            = measure([&] { context->setCurrentRun(aqlmKey); }, [&] { return mapShown() && idle(); },
                "select the AQLM 1x16 run: 65536 codewords over 256 groups, 32.8M codes");
        {
            const auto [at, code] = mostUsedCode();
            s["click the most used of 65536 codewords: its rows listed"]
                = measure([&] { click(panel->mapChart()->viewport(), at); },
                    [&] { return panel->selectedCode() == code && idle(); },
                    "click the most used of 65536 codewords: its rows listed");
        }
        {
            // 100 mouse moves over the map, one per 10 ms: each finds the code under the mouse among 65536
            // and builds its tooltip.
            int moves = 0;
            QTimer mover;
            mover.setInterval(10);
            QObject::connect(&mover, &QTimer::timeout, [&] {
                QWidget* v = panel->mapChart()->viewport();
                send(v, QEvent::MouseMove,
                    QPoint(v->width() * (10 + moves % 80) / 100, v->height() * (20 + moves % 60) / 100));
                if (++moves >= 100)
                    mover.stop();
            });
            s["hover: 100 mouse moves over the 65536-codeword map"] = measure([&] { mover.start(); },
                [&] { return moves >= 100; }, "hover: 100 mouse moves over the 65536-codeword map");
        }
        s["sort the 65536 codewords by mean error"] = measure(
            [&] { panel->codewordTable()->sortByColumn(vq::CodewordModel::MeanErrorColumn, Qt::DescendingOrder); },
            [] { return true; }, "sort the 65536 codewords by mean error");
        s["search token #5000: its path and neighbours (reconstruction decoded block by block)"] = measure(
            [&] { panel->showTokenPath(QStringLiteral("#5000")); }, [&] { return panel->pathRow() == 5000 && idle(); },
            "search token #5000: its path and neighbours (reconstruction decoded block by block)");
        s["show the Codebook Usage tab (heat map of 256 x 1024 cells)"]
            = measure([&] { tabs->setCurrentWidget(usage); }, [] { return true; },
                "show the Codebook Usage tab (heat map of 256 x 1024 cells)");
        {
            // Heat map of the AQLM run: row of group 40, column 100 (a bucket of 64 codes).
            vq::HeatmapChart* heat = usage->heatmap();
            const QRectF plot = heat->chart()->mapToScene(heat->chart()->plotArea()).boundingRect();
            const QPoint at = heat->mapFromScene(QPointF(plot.left() + 100.5 * plot.width() / heat->columnCount(),
                plot.top() + 40.5 * plot.height() / heat->rowCount()));
            s["heat-map drill-down: click a cell, the explorer opens its code"]
                = measure([&] { click(heat->viewport(), at); },
                    [&] { return tabs->currentWidget() == panel && mapShown() && panel->currentGroup() == 40; },
                    "heat-map drill-down: click a cell, the explorer opens its code");
        }
        s["compare GRVQ with AQLM: codebook similarity of group 7 (16 against 65536 codewords)"] = measure(
            [&] {
                tabs->setCurrentWidget(similarity);
                similarity->setRuns(grvqRun, aqlmRun);
                similarity->setSelection(0, 0, 7);
            },
            [&] { return similarity->alignment() && !similarity->runner()->isBusy(); },
            "compare GRVQ with AQLM: codebook similarity of group 7 (16 against 65536 codewords)");
        out["scenarios"] = s;
        double worst = 0;
        bool timedOut = false;
        for (auto it = s.begin(); it != s.end(); ++it) {
            if (it.key().find("reference") == std::string::npos)
                worst = std::max(worst, it.value()["worstStallMs"].get<double>());
            timedOut = timedOut || it.value()["timedOut"].get<bool>();
        }
        out["worstStallMs"] = worst;
        out["idleWorstStallMs"] = s["idle event loop (reference)"]["worstStallMs"];
        out["rows"] = synth.rows;
        out["dim"] = synth.dim;
        out["loadAfter"] = loadAverage();
        std::cout << out.dump(2) << std::endl;
        return worst < 100 && !timedOut ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "bench_guicodebooks: " << e.what() << '\n';
        return 1;
    }
}
