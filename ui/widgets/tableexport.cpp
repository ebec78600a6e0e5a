#include "tableexport.h"

#include <QAbstractItemModel>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QStringList>
#include <QTableView>
#include <map>

namespace vq {

namespace {

QString csvField(const QString& text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n'))
        && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QStringLiteral("\""), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString csvLine(const QStringList& fields)
{
    QStringList escaped;
    escaped.reserve(fields.size());
    for (const QString& f : fields)
        escaped.append(csvField(f));
    return escaped.join(QLatin1Char(',')) + QLatin1Char('\n');
}

} // namespace

QString tableToCsv(const QAbstractItemModel& model)
{
    QString out;
    QStringList header;
    for (int c = 0; c < model.columnCount(); ++c)
        header.append(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
    out += csvLine(header);
    for (int r = 0; r < model.rowCount(); ++r) {
        QStringList fields;
        for (int c = 0; c < model.columnCount(); ++c)
            fields.append(model.data(model.index(r, c), Qt::DisplayRole).toString());
        out += csvLine(fields);
    }
    return out;
}

QString writeTableCsv(const QAbstractItemModel& model, const QString& path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return QObject::tr("%1: cannot write: %2").arg(path, file.errorString());
    const QByteArray bytes = tableToCsv(model).toUtf8();
    if (file.write(bytes) != bytes.size() || !file.commit())
        return QObject::tr("%1: cannot write: %2").arg(path, file.errorString());
    return {};
}

void exportTableInteractively(QWidget* parent, const QAbstractItemModel& model, const QString& suggestedName)
{
    QString path = QFileDialog::getSaveFileName(
        parent, QObject::tr("Export Table"), suggestedName, QObject::tr("CSV file (*.csv)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive))
        path += QStringLiteral(".csv");
    const QString error = writeTableCsv(model, path);
    if (!error.isEmpty())
        QMessageBox::warning(parent, QObject::tr("Export Table"), error);
}

void addTableExportMenu(QTableView* view, const QString& suggestedName)
{
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(view, &QWidget::customContextMenuRequested, view, [view, suggestedName](const QPoint& pos) {
        QMenu menu(view);
        menu.addAction(QObject::tr("Export as CSV…"), view, [view, suggestedName] {
            if (view->model())
                exportTableInteractively(view, *view->model(), suggestedName);
        });
        QAction* copy = menu.addAction(QObject::tr("Copy"), view, [view] {
            std::map<int, std::map<int, QString>> cells;
            const QModelIndexList selected = view->selectionModel()->selectedIndexes();
            for (const QModelIndex& index : selected)
                cells[index.row()][index.column()] = index.data(Qt::DisplayRole).toString();
            QString text;
            for (const auto& [row, columns] : cells) {
                QStringList fields;
                for (const auto& [column, value] : columns)
                    fields.append(value);
                text += csvLine(fields);
            }
            QApplication::clipboard()->setText(text);
        });
        copy->setEnabled(view->selectionModel() && view->selectionModel()->hasSelection());
        menu.exec(view->viewport()->mapToGlobal(pos));
    });
}

} // namespace vq
