//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding, so
//! findings show up as annotations on the pull request's diff. Values are escaped the way the
//! Actions runner unescapes them (`%`, `\r`, `\n` in messages; also `:` and `,` in properties).
//! The summary line follows as plain log text.

use super::positions;
use crate::Report;
use crate::diagnostic::Severity;

/// Escapes a command's message (the part after `::`). Other control characters are made
/// visible: the runner's log is a terminal emulator too.
pub fn escape_data(s: &str) -> String {
    super::visible_except(s, &['\r', '\n'])
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn render(report: &Report) -> String {
    let db = &report.db;
    let mut out = String::new();
    for f in &report.findings {
        let (line, col, end_line, end_col) = positions(db, f.span);
        let file = db.get(f.span.file).display_name();
        let mut message = format!("{}\nhelp: {}", f.message, f.help);
        for r in &f.related {
            let p = db.start(r.span);
            message.push_str(&format!(
                "\nrelated: {} ({}:{}:{})",
                r.message,
                db.get(r.span.file).display_name(),
                p.line,
                p.column
            ));
        }
        message.push_str(&format!("\ndocs: {}", f.meta.doc_url()));
        out.push_str(&format!(
            "::{} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
            command(f.severity),
            escape_property(&file),
            escape_property(&format!("{} {}", f.meta.code, f.meta.name)),
            escape_data(&message),
        ));
    }
    for e in &report.errors {
        let mut props = format!("file={}", escape_property(&e.file));
        if let Some(span) = e.span {
            let p = db.start(span);
            props.push_str(&format!(",line={},col={}", p.line, p.column));
        }
        let title = format!("{} {}", e.meta.code, e.meta.name);
        let mut message = e.message.clone();
        if let Some(h) = &e.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::error {props},title={}::{}\n",
            escape_property(&title),
            escape_data(&message)
        ));
    }
    out.push_str(&super::human::summary_line(report));
    out.push('\n');
    out
}

/// An error of the run itself (bad configuration, unwritable output) as one `::error` line:
/// under `--format github` stderr lands in the same log and is read for commands too.
pub fn run_error(message: &str) -> String {
    format!("::error title=shardlint::{}", escape_data(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("a%b\r\nc: d, e"), "a%25b%0D%0Ac: d, e");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
