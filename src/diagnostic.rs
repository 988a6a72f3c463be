//! What a run produces: findings (a rule fired on a span) and input errors (a file could not be
//! read), kept apart as tflint does. Renderers turn a [`Report`] into bytes; nothing here formats.

use serde::Serialize;

use crate::source::Span;

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// A secondary location: the variable default a constant came from, the stream a mapping reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelatedSpan {
    pub span: Span,
    pub path: String,
    pub message: String,
}

/// Where a rule belongs (the code's hundreds digit).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Group {
    Input,
    PartitionKey,
    Stream,
    Consumer,
    Samples,
    /// Observed CloudWatch metrics of an export.
    Observed,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Input => "input",
            Group::PartitionKey => "partition-key",
            Group::Stream => "stream",
            Group::Consumer => "consumer",
            Group::Samples => "samples",
            Group::Observed => "observed",
        }
    }
}

/// A rule's identity and documentation: what a finding carries so that renderers never look
/// a rule up again.
#[derive(Debug, PartialEq)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub group: Group,
    /// The user doc (`rules/<CODE>.md`), compiled in.
    pub doc: &'static str,
}

impl RuleMeta {
    pub fn doc_url(&self) -> String {
        format!(
            "https://github.com/shardlint/shardlint/blob/main/rules/{}.md",
            self.code
        )
    }
}

/// SL001 input-parse-error: the rule of every [`InputError`]. Declared here, below the loaders
/// that report it; `rules` lists it with the others.
pub static INPUT_PARSE_ERROR: RuleMeta = RuleMeta {
    code: "SL001",
    name: "input-parse-error",
    summary: "An input file could not be read or parsed",
    severity: Severity::Error,
    group: Group::Input,
    doc: include_str!("../rules/SL001.md"),
};

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule that fired, with its code, name, summary, group and doc: the one source of
    /// them.
    pub meta: &'static RuleMeta,
    /// The final severity, under the config governing the finding's file.
    pub severity: Severity,
    pub message: String,
    pub help: String,
    /// The exact expression that causes the finding.
    pub span: Span,
    /// Short text under the span in human output.
    pub label: String,
    /// Logical path of the offending value.
    pub path: String,
    pub related: Vec<RelatedSpan>,
    /// Edits that would resolve the finding, best first (`check --fix`, code actions).
    pub fixes: Vec<Fix>,
}

/// How sure a fix is, as ruff grades them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// What the author evidently meant; nothing they relied on changes (`check --fix`).
    Safe,
    /// A likely intent that needs review (`check --unsafe-fixes`).
    Unsafe,
}

/// Replace the bytes of `span` with `text` (an insertion when the span is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// One way to resolve a finding: edits in the syntax of the file they apply to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, for a code action's title and the JSON/SARIF description.
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Finding {
    /// `SL101`.
    pub fn code(&self) -> &'static str {
        self.meta.code
    }
    /// `constant-partition-key`.
    pub fn rule(&self) -> &'static str {
        self.meta.name
    }
}

/// A file that could not be read or parsed; the run goes on and exits 2.
#[derive(Clone, Debug, PartialEq)]
pub struct InputError {
    /// Its rule ([`INPUT_PARSE_ERROR`]), with the code, name and doc renderers show.
    pub meta: &'static RuleMeta,
    /// The path as given or found.
    pub file: String,
    /// Where in the file, when known (parse errors); `None` for I/O errors.
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
}

/// Counts for the summary line and JSON.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Summary {
    pub files: usize,
    pub streams: usize,
    pub topic_rules: usize,
    pub mappings: usize,
    pub functions: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub input_errors: usize,
    pub suppressed: usize,
    /// Findings accepted by the baseline (in JSON only when a baseline accepted some).
    #[serde(skip_serializing_if = "is_zero")]
    pub baselined: usize,
    /// Baseline entries that matched no finding (in JSON only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub stale_baseline: usize,
}

impl InputError {
    /// `SL001`.
    pub fn code(&self) -> &'static str {
        self.meta.code
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
