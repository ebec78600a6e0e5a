// vqscope: the desktop application. Opens the file given on the command line, or shows an empty
// window offering Open… and Open Sample.
#include "appcontext.h"
#include "mainwindow.h"
#include "sessioncontroller.h"
#include "vq/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>

namespace {

// The source tree's copy when running from a build tree, else the installed one.
QString findSample()
{
    for (const char* candidate : { VQ_SOURCE_SAMPLE, VQ_INSTALLED_SAMPLE }) {
        const QString path = QString::fromUtf8(candidate);
        if (QFileInfo::exists(path))
            return path;
    }
    return {};
}

// --screenshot: once the table is shown (or the window is idle when no file was given), let the charts
// lay out, grab the window, save it and quit. Makes the README's screenshots reproducible.
void scheduleScreenshot(vq::MainWindow& window, const QString& file, bool waitForTable)
{
    auto grab = [&window, file] {
        QTimer::singleShot(500, &window, [&window, file] {
            const bool ok = window.grab().save(file, "PNG");
            if (!ok)
                std::fprintf(stderr, "vqscope: could not write %s\n", qPrintable(file));
            QCoreApplication::exit(ok ? 0 : 1);
        });
    };
    if (!waitForTable) {
        grab();
        return;
    }
    QObject::connect(window.context(), &vq::AppContext::tableChanged, &window, grab);
    QObject::connect(&window, &vq::MainWindow::loadAborted, &window, [](const QString&, const QString& message) {
        std::fprintf(stderr, "vqscope: no screenshot, the load failed: %s\n", qPrintable(message));
        QCoreApplication::exit(1);
    });
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("vqscope"));
    QApplication::setApplicationName(QStringLiteral("vqscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("vqscope"));
    QApplication::setApplicationVersion(QString::fromLatin1(vq::kVersion));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Compression lab for the token-embedding tables of language models."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"),
        QStringLiteral("Checkpoint or table to open (safetensors, GGUF, HDF5, NumPy)."), QStringLiteral("[file]"));
    QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the window once the file is loaded, then quit."), QStringLiteral("png"));
    screenshotOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(screenshotOption);
    parser.process(app);

    vq::MainWindow window;
    window.setSamplePath(findSample());
    const QStringList files = parser.positionalArguments();
    const QString file = files.isEmpty() ? QString() : files.first();

    if (parser.isSet(screenshotOption)) {
        // A fixed size, whatever the saved geometry, so screenshots compare across runs.
        window.resize(1280, 800);
        scheduleScreenshot(window, parser.value(screenshotOption), !file.isEmpty());
    }
    window.show();
    if (!file.isEmpty())
        window.openFile(file);
    else if (!parser.isSet(screenshotOption))
        window.sessionController()->offerRestore();
    return app.exec();
}
