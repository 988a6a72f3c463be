//! Human output through miette: for every finding its code, message, a label on the exact
//! expression, related locations (possibly in other files), help and a doc link; then input
//! errors, then one summary line. No colour unless asked (the CLI decides from the TTY/NO_COLOR).

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
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
    source: Option<Window>,
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

/// Bytes of context kept on each side of a span on a long line (a minified file is one line).
const LINE_CONTEXT: usize = 240;
/// Most bytes of a span drawn; a longer span is underlined up to here.
const MAX_SPAN: usize = 2048;

/// The lines around one span, made visible, for miette: a copy of a few lines instead of the
/// whole file (miette counts lines from the start of what it is given, so the file per finding
/// made text output quadratic). Offsets given to miette are `base` + offsets in `text`; line and
/// column are the file's.
#[derive(Debug)]
struct Window {
    name: String,
    text: String,
    /// The window as in the file, and where each made-visible char ends in `raw` and `text`.
    raw: String,
    shifts: Vec<(usize, usize)>,
    base: usize,
    /// 0-based line of the first byte in the file, and its byte column (miette counts bytes).
    line: usize,
    column: usize,
}

impl Window {
    /// Byte column in the file of `local`, an offset in `text`.
    fn column_of(&self, local: usize) -> usize {
        let k = self.shifts.partition_point(|&(_, t)| t <= local);
        let raw = if k == 0 {
            local
        } else {
            local - (self.shifts[k - 1].1 - self.shifts[k - 1].0)
        };
        let raw = raw.min(self.raw.len());
        match self.raw[..raw].rfind('\n') {
            Some(nl) => raw - nl - 1,
            None => raw + self.column,
        }
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let local = SourceSpan::from((span.offset().saturating_sub(self.base), span.len()));
        let c = self.text.read_span(&local, before, after)?;
        let column = self.column_of(local.offset());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            SourceSpan::from((c.span().offset() + self.base, c.span().len())),
            c.line() + self.line,
            column,
            c.line_count(),
        )))
    }
}

/// The window around `span` and the label on it, in the window's offsets.
fn source(db: &SourceDb, span: Span, text: &str) -> (Window, LabeledSpan) {
    let f = db.get(span.file);
    let all = f.text.as_str();
    let start = db.start(span);
    let end = db.end(span);
    let first = start.line.saturating_sub(1).max(1);
    let last = (end.line + 1).min(f.line_count());
    let mut from = f.offset_of(first, 0);
    let mut to = if last < f.line_count() {
        f.offset_of(last + 1, 0)
    } else {
        all.len()
    };
    let mut span_end = span.end.min(all.len());
    if span_end - span.start > MAX_SPAN {
        span_end = floor_char(all, span.start + MAX_SPAN);
    }
    // Long lines: keep some context either side of the span only.
    if span.start - from > LINE_CONTEXT {
        from = floor_char(all, span.start - LINE_CONTEXT).max(from);
    }
    if to - span_end > LINE_CONTEXT {
        to = ceil_char(all, span_end + LINE_CONTEXT).min(to);
    }
    let raw = &all[from..to];
    let at = f.line_col(from);
    let line_start = f.offset_of(at.line, 0);
    // Made visible char for char, so columns hold; each replacement adds two bytes (a one-byte
    // control becomes a three-byte picture) or one (a two-byte C1 control).
    let mut out = String::with_capacity(raw.len());
    let mut shifts: Vec<(usize, usize)> = Vec::new();
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut added = 0;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let keep =
            c == '\n' || c == '\t' || (c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n'));
        match crate::render::visible_char(c).filter(|_| !keep) {
            Some(v) => {
                out.push(v);
                added += v.len_utf8() - c.len_utf8();
                shifts.push((i + c.len_utf8(), added));
                ends.push((i + c.len_utf8(), out.len()));
            }
            None => out.push(c),
        }
    }
    let map = |p: usize| {
        let local = p - from;
        let k = shifts.partition_point(|&(o, _)| o <= local);
        from + local + if k == 0 { 0 } else { shifts[k - 1].1 }
    };
    let (s, e) = (map(span.start), map(span_end));
    let window = Window {
        name: crate::render::visible(&f.display_name()).into_owned(),
        text: out,
        raw: raw.to_string(),
        shifts: ends,
        base: from,
        line: at.line - 1,
        column: from - line_start,
    };
    let label = LabeledSpan::new_with_span(
        Some(crate::render::visible(text).into_owned()),
        SourceSpan::from((s, e - s)),
    );
    (window, label)
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
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
            .map(|r| {
                let (window, label) = source(db, r.span, "related");
                Rendered {
                    code: String::new(),
                    message: v(&format!("{} ({})", r.message, r.path)),
                    severity: miette::Severity::Advice,
                    help: None,
                    url: None,
                    source: Some(window),
                    labels: vec![label],
                    related: Vec::new(),
                }
            })
            .collect();
        let (window, label) = source(db, f.span, &f.label);
        emit(&Rendered {
            code: rule_header(f.meta),
            message: v(&f.message),
            severity: severity(f.severity),
            help: Some(v(&f.help)),
            url: Some(f.meta.doc_url()),
            source: Some(window),
            labels: vec![label],
            related,
        });
    }
    for e in &report.errors {
        match e.span {
            Some(span) => {
                let (window, label) = source(db, span, "here");
                emit(&Rendered {
                    code: rule_header(e.meta),
                    message: v(&e.message),
                    severity: miette::Severity::Error,
                    help: e.help.as_deref().map(v),
                    url: None,
                    source: Some(window),
                    labels: vec![label],
                    related: Vec::new(),
                })
            }
            None => emit(&Rendered {
                code: rule_header(e.meta),
                message: v(&format!("{}: {}", e.file, e.message)),
                severity: miette::Severity::Error,
                help: e.help.as_deref().map(v),
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
            crate::numbers::thousands(n as u64)
        ));
    }
    out
}

/// (code, name, count) per rule that fired, most frequent first.
pub fn rule_counts(report: &Report) -> Vec<(&'static str, &'static str, usize)> {
    let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for f in &report.findings {
        *counts.entry((f.code(), f.rule())).or_default() += 1;
    }
    let mut v: Vec<_> = counts.into_iter().map(|((c, r), n)| (c, r, n)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    v
}

/// `1 file`, `2 files`, with digits grouped.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        crate::numbers::thousands(n as u64),
        if n == 1 { one } else { many }
    )
}

/// An input-derived string on one line: control characters visible.
fn v(s: &str) -> String {
    crate::render::visible(s).into_owned()
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
            crate::numbers::thousands(s.suppressed as u64)
        ));
    }
    if s.baselined > 0 {
        hidden.push(format!(
            "{} baselined",
            crate::numbers::thousands(s.baselined as u64)
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

/// `SL101 constant-partition-key`, `SL001 input-parse-error`: the header of a finding or an
/// input error.
fn rule_header(m: &crate::diagnostic::RuleMeta) -> String {
    format!("{} {}", m.code, m.name)
}
