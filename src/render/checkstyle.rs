//! Checkstyle XML (`--format checkstyle`), which Jenkins (warnings-ng), reviewdog, Bitbucket and
//! many CI dashboards read: `<checkstyle><file name><error line column severity message source/>`.
//! Severities are checkstyle's own (`error`, `warning`, `info`); `source` is `shardlint.SL101`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{error_place, place, xml_escape};
use crate::Report;

/// One `<error>`: line, column, severity, message, source.
type Entry = (usize, usize, &'static str, String, String);

pub fn render(report: &Report, root: &Path) -> String {
    let db = &report.db;
    let mut files: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for f in &report.findings {
        let (file, line, column) = place(db, root, f.span);
        let mut message = format!("{} Help: {}", f.message, f.help);
        for r in &f.related {
            let (rfile, rline, rcolumn) = place(db, root, r.span);
            message.push_str(&format!(
                " Related: {} ({rfile}:{rline}:{rcolumn})",
                r.message
            ));
        }
        files.entry(file).or_default().push((
            line,
            column,
            f.severity.as_str(),
            message,
            format!("shardlint.{}", f.code()),
        ));
    }
    for e in &report.errors {
        let (file, line, column) = error_place(db, root, e);
        files.entry(file).or_default().push((
            line,
            column,
            "error",
            e.message.clone(),
            format!("shardlint.{}", e.code()),
        ));
    }
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for (file, errors) in &files {
        out.push_str(&format!("  <file name=\"{}\">\n", xml_escape(file)));
        for (line, column, severity, message, source) in errors {
            out.push_str(&format!(
                "    <error line=\"{line}\" column=\"{column}\" severity=\"{severity}\" message=\"{}\" source=\"{}\"/>\n",
                xml_escape(message),
                xml_escape(source)
            ));
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}
