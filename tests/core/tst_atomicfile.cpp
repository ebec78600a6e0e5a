#include "common/error.h"
#include "io/atomicfile.h"
#include "safetensorsfixture.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

QByteArray pattern(qsizetype n, int seed)
{
    QByteArray b(n, Qt::Uninitialized);
    uint32_t x = 2463534242u + static_cast<uint32_t>(seed);
    for (qsizetype i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = static_cast<char>(x);
    }
    return b;
}

QStringList entries(const QTemporaryDir& dir)
{
    return QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
}

mode_t currentUmask()
{
    const mode_t m = ::umask(0);
    ::umask(m);
    return m;
}

} // namespace

class TestAtomicFile : public QObject {
    Q_OBJECT
private slots:
    void replacesTheTargetOnlyOnCommit()
    {
        QTemporaryDir dir;
        const std::string target = dir.filePath(QStringLiteral("out.bin")).toStdString();
        const QByteArray old = pattern(5000, 1);
        QVERIFY(vqtest::writeAll(target, old));
        QVERIFY(::chmod(target.c_str(), 0640) == 0);

        // small writes through the buffer, one larger than the buffer, small ones again
        const QByteArray a = pattern(1000, 2), b = pattern(3 << 20, 3), c = pattern(700000, 4);
        {
            vq::AtomicFile f(target);
            QCOMPARE(QFileInfo(QString::fromStdString(f.temporaryPath())).absolutePath(), dir.path());
            for (int i = 0; i < 10; ++i)
                f.write(a.constData() + 100 * i, 100);
            f.write(b.constData(), size_t(b.size()));
            f.write(c.constData(), size_t(c.size()));
            f.write(c.constData(), size_t(c.size()));
            QCOMPARE(f.bytesWritten(), uint64_t(a.size() + b.size() + 2 * c.size()));
            QCOMPARE(vqtest::readAll(target), old); // nothing visible before commit
            QCOMPARE(entries(dir).size(), 2);
            f.commit();
            QVERIFY(!QFile::exists(QString::fromStdString(f.temporaryPath())));
        }
        QCOMPARE(vqtest::readAll(target), a + b + c + c);
        QCOMPARE(entries(dir), QStringList { QStringLiteral("out.bin") });
        struct stat st { };
        QVERIFY(::stat(target.c_str(), &st) == 0);
        QCOMPARE(st.st_mode & 07777, mode_t(0640)); // a replaced file keeps its permissions
    }

    void newFileGetsUmaskPermissions()
    {
        QTemporaryDir dir;
        const std::string target = dir.filePath(QStringLiteral("new.bin")).toStdString();
        {
            vq::AtomicFile f(target);
            f.write("abc", 3);
            f.commit();
        }
        QCOMPARE(vqtest::readAll(target), QByteArray("abc"));
        struct stat st { };
        QVERIFY(::stat(target.c_str(), &st) == 0);
        QCOMPARE(st.st_mode & 07777, mode_t(0666 & ~currentUmask()));
    }

    void abandoningLeavesTheTargetAlone()
    {
        QTemporaryDir dir;
        const std::string target = dir.filePath(QStringLiteral("keep.bin")).toStdString();
        const QByteArray old = pattern(12345, 5);
        QVERIFY(vqtest::writeAll(target, old));
        {
            vq::AtomicFile f(target);
            const QByteArray junk = pattern(2 << 20, 6);
            f.write(junk.constData(), size_t(junk.size()));
        }
        QCOMPARE(vqtest::readAll(target), old);
        QCOMPARE(entries(dir), QStringList { QStringLiteral("keep.bin") });

        // a new target that is abandoned never appears
        const std::string fresh = dir.filePath(QStringLiteral("fresh.bin")).toStdString();
        {
            vq::AtomicFile f(fresh);
            f.write("x", 1);
        }
        QCOMPARE(entries(dir), QStringList { QStringLiteral("keep.bin") });
    }

    void creatingInAnUnusableFolderFails_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<int>("error");
        QTest::newRow("missing folder") << QStringLiteral("missing") << ENOENT;
        QTest::newRow("parent is a file") << QStringLiteral("file") << ENOTDIR;
        QTest::newRow("folder refusing new files") << QStringLiteral("read-only") << EACCES;
    }
    void creatingInAnUnusableFolderFails()
    {
        QFETCH(QString, folder);
        QFETCH(int, error);
        QTemporaryDir dir;
        std::string target;
        std::string protectedFile; // an existing file in the folder that must stay as it was
        QByteArray protectedContent;
        if (folder == QStringLiteral("missing")) {
            target = dir.filePath(QStringLiteral("no/such/folder/out.bin")).toStdString();
        } else if (folder == QStringLiteral("file")) {
            const std::string file = dir.filePath(QStringLiteral("plain")).toStdString();
            QVERIFY(vqtest::writeAll(file, "plain"));
            target = file + "/out.bin";
        } else if (::geteuid() != 0) {
            const std::string locked = dir.filePath(QStringLiteral("locked")).toStdString();
            QVERIFY(::mkdir(locked.c_str(), 0755) == 0);
            protectedFile = locked + "/out.bin";
            protectedContent = pattern(4096, 7);
            QVERIFY(vqtest::writeAll(protectedFile, protectedContent));
            QVERIFY(::chmod(locked.c_str(), 0555) == 0);
            target = protectedFile;
        } else {
            // root writes into any chmod-ed folder; sysfs refuses to create files for everyone (EACCES)
            target = "/sys/vqscope-atomicfile-test.bin";
        }
        try {
            vq::AtomicFile f(target);
            QFAIL("created a file in an unusable folder");
        } catch (const vq::Error& e) {
            QCOMPARE(e.kind(), vq::ErrorKind::WriteFailed);
            QCOMPARE(e.path(), target);
            QVERIFY2(e.message().find(std::strerror(error)) != std::string::npos, e.what());
        }
        if (!protectedFile.empty()) {
            QCOMPARE(vqtest::readAll(protectedFile), protectedContent);
            QVERIFY(
                ::chmod(QFileInfo(QString::fromStdString(protectedFile)).absolutePath().toLocal8Bit().constData(), 0755)
                == 0);
        }
    }

    void failedWriteLeavesTheTargetUntouched()
    {
        // A full disk cannot be made here; a file-size limit makes write() fail the same way (EFBIG
        // instead of ENOSPC) once the temporary reaches it. Done in a child so the limit stays there.
        QTemporaryDir dir;
        const std::string target = dir.filePath(QStringLiteral("model.safetensors")).toStdString();
        const QByteArray old = pattern(100000, 8);
        QVERIFY(vqtest::writeAll(target, old));

        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            int code = 10;
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit { 256 * 1024, 256 * 1024 };
            if (::setrlimit(RLIMIT_FSIZE, &limit) == 0) {
                try {
                    vq::AtomicFile f(target);
                    const QByteArray chunk = pattern(100000, 9);
                    for (int i = 0; i < 40; ++i)
                        f.write(chunk.constData(), size_t(chunk.size()));
                    f.commit();
                    code = 1; // no error
                } catch (const vq::Error& e) {
                    const bool right = e.kind() == vq::ErrorKind::WriteFailed && e.path() == target
                        && e.message().find(std::strerror(EFBIG)) != std::string::npos;
                    code = right ? 0 : 2;
                }
            }
            ::_exit(code);
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 0);
        QCOMPARE(vqtest::readAll(target), old);
        QCOMPARE(entries(dir), QStringList { QStringLiteral("model.safetensors") });
    }

    void failedRenameLeavesTheTargetUntouched()
    {
        // The target is a folder: everything writes fine, the final rename is refused (EISDIR).
        QTemporaryDir dir;
        const std::string target = dir.filePath(QStringLiteral("taken")).toStdString();
        QVERIFY(::mkdir(target.c_str(), 0755) == 0);
        QVERIFY(vqtest::writeAll(target + "/inside", "kept"));
        {
            vq::AtomicFile f(target);
            f.write("data", 4);
            try {
                f.commit();
                QFAIL("renamed over a folder");
            } catch (const vq::Error& e) {
                QCOMPARE(e.kind(), vq::ErrorKind::WriteFailed);
                QCOMPARE(e.path(), target);
                QVERIFY2(e.message().find(std::strerror(EISDIR)) != std::string::npos, e.what());
            }
            // once failed, the file refuses more work
            QVERIFY_THROWS_EXCEPTION(vq::Error, f.write("x", 1));
            QVERIFY_THROWS_EXCEPTION(vq::Error, f.commit());
        }
        QCOMPARE(vqtest::readAll(target + "/inside"), QByteArray("kept"));
        QCOMPARE(entries(dir), QStringList { QStringLiteral("taken") });
    }
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomicfile.moc"
