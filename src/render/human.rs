//! Human output through miette: for every finding its code, message, a label on the exact
//! expression, related locations (possibly in other files), help and a doc link; then input
//! errors, then one summary line. No colour unless asked (the CLI decides from the TTY/NO_COLOR).

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};

use crate::Report;
use crate::diagnostic::Severity;
use crate::source::{SourceDb, Span};

#[derive(Debug)]
struct Rendered {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|r| r as &dyn Diagnostic))
                as Box<dyn Iterator<Item = _>>
        })
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn source(db: &SourceDb, span: Span) -> NamedSource<String> {
    let f = db.get(span.file);
    NamedSource::new(f.display_name(), f.text.clone())
}

fn label(span: Span, text: &str) -> LabeledSpan {
    // miette needs at least one byte to draw an underline at the end of a file.
    LabeledSpan::new_with_span(
        Some(text.to_string()),
        SourceSpan::from((span.start, span.len())),
    )
}

/// Options the CLI resolves (colour from TTY and NO_COLOR, width from the terminal).
#[derive(Copy, Clone, Debug)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
    /// The closing summary line (`-q` drops it).
    pub summary: bool,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            width: 80,
            summary: true,
        }
    }
}

pub fn render(report: &Report, opts: HumanOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        // Never split `$${vin}` or an ARN across lines: it must stay copyable.
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        // Nor at a hyphen: UUIDs, flags and rule names stay whole.
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .without_syntax_highlighting();
    let db = &report.db;
    let mut out = String::new();
    let mut emit = |d: &Rendered| {
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    };
    for f in &report.findings {
        let related = f
            .related
            .iter()
            .map(|r| Rendered {
                code: String::new(),
                message: format!("{} ({})", r.message, r.path),
                severity: miette::Severity::Advice,
                help: None,
                url: None,
                source: Some(source(db, r.span)),
                labels: vec![label(r.span, "related")],
                related: Vec::new(),
            })
            .collect();
        let rule = crate::rules::find(f.code).map(|r| r.meta);
        emit(&Rendered {
            code: format!("{} {}", f.code, f.rule),
            message: f.message.clone(),
            severity: severity(f.severity),
            help: Some(f.help.clone()),
            url: rule.map(|m| m.doc_url()),
            source: Some(source(db, f.span)),
            labels: vec![label(f.span, &f.label)],
            related,
        });
    }
    for e in &report.errors {
        match e.span {
            Some(span) => emit(&Rendered {
                code: input_code(e.code),
                message: e.message.clone(),
                severity: miette::Severity::Error,
                help: e.help.clone(),
                url: None,
                source: Some(source(db, span)),
                labels: vec![label(span, "here")],
                related: Vec::new(),
            }),
            None => emit(&Rendered {
                code: input_code(e.code),
                message: format!("{}: {}", e.file, e.message),
                severity: miette::Severity::Error,
                help: e.help.clone(),
                url: None,
                source: None,
                labels: Vec::new(),
                related: Vec::new(),
            }),
        }
    }
    for (baseline, e) in &report.stale_baseline {
        out.push_str(&format!(
            "stale baseline entry in {}: {} at `{}` in {} no longer matches a finding ({}); `--write-baseline` drops it\n",
            crate::source::display_path(baseline),
            e.code,
            e.path,
            e.file,
            e.message
        ));
    }
    if !report.stale_baseline.is_empty() {
        out.push('\n');
    }
    if opts.summary {
        out.push_str(&summary_line(report));
        out.push('\n');
    }
    out
}

/// `--statistics`: findings per rule, most frequent first, then by code.
pub fn statistics(report: &Report) -> String {
    let mut out = String::new();
    for (code, name, n) in rule_counts(report) {
        out.push_str(&format!(
            "{:>6}  {code}  {name}\n",
            crate::rules::thousands(n as u64)
        ));
    }
    out
}

/// (code, name, count) per rule that fired, most frequent first.
pub fn rule_counts(report: &Report) -> Vec<(&'static str, &'static str, usize)> {
    let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for f in &report.findings {
        *counts.entry((f.code, f.rule)).or_default() += 1;
    }
    let mut v: Vec<_> = counts.into_iter().map(|((c, r), n)| (c, r, n)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    v
}

/// `1 file`, `2 files`, with digits grouped.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        crate::rules::thousands(n as u64),
        if n == 1 { one } else { many }
    )
}

pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut line = if s.files == 0 {
        "Nothing checked: no Terraform, CloudFormation/SAM, plan or export file was read"
            .to_string()
    } else if report.findings.is_empty() {
        format!("No findings in {}", plural(s.files, "file", "files"))
    } else {
        format!(
            "Found {} ({}, {}, {}) in {}",
            plural(report.findings.len(), "finding", "findings"),
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
            plural(s.infos, "info", "infos"),
            plural(s.files, "file", "files"),
        )
    };
    let mut hidden = Vec::new();
    if s.suppressed > 0 {
        hidden.push(format!(
            "{} suppressed",
            crate::rules::thousands(s.suppressed as u64)
        ));
    }
    if s.baselined > 0 {
        hidden.push(format!(
            "{} baselined",
            crate::rules::thousands(s.baselined as u64)
        ));
    }
    if !hidden.is_empty() {
        line.push_str(&format!(" ({})", hidden.join(", ")));
    }
    if s.stale_baseline > 0 {
        line.push_str(&format!(
            "; {} no longer {}",
            plural(s.stale_baseline, "baseline entry", "baseline entries"),
            if s.stale_baseline == 1 {
                "matches"
            } else {
                "match"
            }
        ));
    }
    if s.input_errors > 0 {
        line.push_str(&format!(
            "; {} could not be read",
            plural(s.input_errors, "input", "inputs")
        ));
    }
    line
}

/// `SL001 input-parse-error`: the same "code name" header as findings.
fn input_code(code: &str) -> String {
    match crate::rules::find(code) {
        Some(r) => format!("{} {}", r.meta.code, r.meta.name),
        None => code.to_string(),
    }
}
