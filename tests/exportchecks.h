#pragma once

// Helpers shared by the export tests (dequantized tables, patched checkpoints): typed errors that name
// a path, and progress callbacks that record or cancel. They use QtTest macros: call them from a test slot.
#include "common/error.h"
#include "common/runcontrol.h"

#include <QString>
#include <QTest>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vqtest {

// Runs fn and expects a vq::Error of that kind, naming path, whose message contains `contains`.
inline void expectError(
    const std::function<void()>& fn, vq::ErrorKind kind, const std::string& path, const char* contains = "")
{
    try {
        fn();
        QFAIL("no error thrown");
    } catch (const vq::Error& e) {
        QVERIFY2(e.kind() == kind, e.what());
        QCOMPARE(QString::fromStdString(e.path()), QString::fromStdString(path));
        QVERIFY2(std::string(e.what()).find(contains) != std::string::npos, e.what());
    }
}

// Makes control append every reported fraction to fractions (both must outlive the run); every report
// must be under stage "export".
inline void recordExportProgress(vq::RunControl& control, std::vector<double>& fractions)
{
    control.setProgressCallback([&fractions](std::string_view stage, double f) {
        QCOMPARE(QString::fromUtf8(stage.data(), static_cast<qsizetype>(stage.size())), QStringLiteral("export"));
        fractions.push_back(f);
    });
}

// Makes control count its progress reports in reports and cancel itself at report number n.
inline void cancelAtReport(vq::RunControl& control, int n, int& reports)
{
    control.setProgressCallback([&control, &reports, n](std::string_view, double) {
        if (++reports == n)
            control.cancel();
    });
}

} // namespace vqtest
