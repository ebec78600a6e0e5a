#pragma once

// Running the vqscope-cli under test (VQ_CLI_PATH, defined for tests/cli) and the sample table it
// reads, shared by the CLI tests.
#include "testutil.h"

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace vqtest {

// What one run of the CLI gave; exitCode -1 and nothing else when it timed out or crashed.
struct CliResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs the CLI with args and waits for it, at most timeoutMs milliseconds.
inline CliResult runCli(const QStringList& args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(QStringLiteral(VQ_CLI_PATH), args);
    if (!p.waitForFinished(timeoutMs))
        return {};
    if (p.exitStatus() != QProcess::NormalExit)
        return {};
    return { p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError() };
}

// The sample GloVe table shipped with the sources (resources/sample/glove-20k.npy).
inline QString cliSample()
{
    return QString::fromStdString(sourcePath("resources/sample/glove-20k.npy"));
}

} // namespace vqtest
