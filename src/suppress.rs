//! Suppressions: `# shardlint:ignore SL101 -- reason` comments (HCL `#` and `//`, YAML `#`,
//! Python `#`, JavaScript/TypeScript/Java/Go `//`) on
//! the offending line or alone on the line above it, and a CloudFormation resource's
//! `Metadata: {shardlint: {ignore: [SL101]}}`. Applied after the rules: a suppressed finding is
//! removed and counted; a comment without a `-- reason` or naming no known rule is reported as
//! `invalid-suppression` (SL004); a suppression that suppresses nothing is reported as
//! `unused-suppression` (SL003), as ruff reports an unused `noqa`.
//!
//! The Metadata form does not need the CloudFormation loader: it scans every YAML/JSON template
//! for `Resources.<Id>.Metadata.shardlint.ignore` and suppresses findings in the same file whose
//! logical path is `Resources.<Id>` or below it.

use std::collections::HashSet;

use saphyr::{LoadableYamlNode, MarkedYaml, YamlData};

use crate::config::Config;
use crate::diagnostic::Finding;
use crate::rules::{self, RuleMeta};
use crate::source::{FileId, SourceDb, SourceFile, Span};

pub use crate::fix::DIRECTIVE;

/// What a suppression covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Findings starting on this 1-based line.
    Line(usize),
    /// Findings whose logical path is `Resources.<Id>` or below it.
    Resource(String),
}

/// One rule named by a suppression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// The code (`SL101`) of the rule, resolved from a code or a name.
    pub code: &'static str,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub file: FileId,
    pub scope: Scope,
    /// The whole directive (`shardlint:ignore ... -- reason`) or the Metadata `ignore` entry.
    pub span: Span,
    pub rules: Vec<Named>,
    /// Logical path for the Metadata form (`Resources.X.Metadata.shardlint.ignore`).
    pub path: String,
}

/// A problem with a suppression itself, reported as SL004.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub span: Span,
    pub path: String,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// Every suppression in `files`, and the malformed ones.
pub fn collect(db: &SourceDb, files: &[FileId]) -> (Vec<Suppression>, Vec<Invalid>) {
    let mut sups = Vec::new();
    let mut invalid = Vec::new();
    for &id in files {
        let file = db.get(id);
        if !file.text.contains("shardlint") {
            continue;
        }
        let name = file.path.to_string_lossy().to_ascii_lowercase();
        let hcl = name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".hcl");
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".template");
        let json = name.ends_with(".json");
        let slash_code = [
            ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".java", ".go",
        ]
        .iter()
        .any(|e| name.ends_with(e));
        let python = name.ends_with(".py");
        if hcl || yaml || python {
            inline(id, file, true, hcl, &mut sups, &mut invalid);
        } else if slash_code {
            inline(id, file, false, true, &mut sups, &mut invalid);
        }
        if yaml || json {
            metadata(id, file, &mut sups, &mut invalid);
        }
    }
    (sups, invalid)
}

/// `# shardlint:ignore CODE[, CODE] -- reason` comments.
fn inline(
    id: FileId,
    file: &SourceFile,
    hash: bool,
    slash: bool,
    sups: &mut Vec<Suppression>,
    invalid: &mut Vec<Invalid>,
) {
    for line_no in 1..=file.line_count() {
        let line = file.line_text(line_no);
        let Some(at) = line.find(DIRECTIVE) else {
            continue;
        };
        let before = line[..at].trim_end();
        let marker_len = if hash && before.ends_with('#') {
            1
        } else if slash && before.ends_with("//") {
            2
        } else {
            continue;
        };
        let code_before = before[..before.len() - marker_len].trim();
        // Alone on its line: it covers the next line; after code: its own line.
        let scope = if code_before.is_empty() {
            Scope::Line(line_no + 1)
        } else {
            Scope::Line(line_no)
        };
        let line_start = file.offset_of(line_no, 0);
        let directive_start = line_start + at;
        let rest_start = at + DIRECTIVE.len();
        let rest = &line[rest_start..];
        let mut span = Span::new(id, directive_start, line_start + line.trim_end().len());
        let (codes_part, reason) = match rest.find("--") {
            Some(i) => (&rest[..i], Some(rest[i + 2..].trim())),
            None => (rest, None),
        };
        let mut rules = Vec::new();
        let mut offset = 0;
        for token in codes_part.split_inclusive([' ', ',', '\t']) {
            let tok_start = offset;
            offset += token.len();
            let tok = token.trim_matches([' ', ',', '\t']);
            if tok.is_empty() {
                continue;
            }
            // A second comment on the same line (`# expect: ...`) ends the list, and the
            // directive when it has no reason.
            if tok.starts_with('#') || tok.starts_with("//") {
                if reason.is_none() {
                    let end = line_start + rest_start + tok_start;
                    let text = db_text(file, directive_start, end);
                    span = Span::new(id, directive_start, directive_start + text.trim_end().len());
                }
                break;
            }
            let s = line_start + rest_start + tok_start;
            let tok_span = Span::new(id, s, s + tok.len());
            match rules::find(tok) {
                Some(r) => rules.push(Named {
                    code: r.meta.code,
                    span: tok_span,
                }),
                None => invalid.push(Invalid {
                    span: tok_span,
                    path: String::new(),
                    message: format!("suppression names `{tok}`, which is no rule"),
                    label: "unknown rule".into(),
                    help: "name rules by code or name; `shardlint rules` lists them".into(),
                }),
            }
        }
        if rules.is_empty()
            && !invalid.iter().any(|i| {
                i.span.file == id && i.span.start >= directive_start && i.span.end <= span.end
            })
        {
            invalid.push(Invalid {
                span,
                path: String::new(),
                message: format!("`{DIRECTIVE}` names no rule"),
                label: "no rule".into(),
                help: format!(
                    "name the rules it silences and why: `{DIRECTIVE} SL101 -- <reason>`"
                ),
            });
        }
        if reason.is_none_or(str::is_empty) {
            invalid.push(Invalid {
                span,
                path: String::new(),
                message: format!(
                    "`{DIRECTIVE} {}` gives no reason",
                    rules.iter().map(|r| r.code).collect::<Vec<_>>().join(", ")
                )
                .replace(" ` gives", "` gives"),
                label: "no `-- reason`".into(),
                help: format!(
                    "say why after `--`: `{DIRECTIVE} {} -- <reason>`",
                    if rules.is_empty() {
                        "SL101".to_string()
                    } else {
                        rules.iter().map(|r| r.code).collect::<Vec<_>>().join(", ")
                    }
                ),
            });
        }
        if !rules.is_empty() {
            sups.push(Suppression {
                file: id,
                scope,
                span,
                rules,
                path: String::new(),
            });
        }
    }
}

/// `Resources.<Id>.Metadata.shardlint.ignore: [SL101, ...]` in a YAML or JSON template.
fn metadata(
    id: FileId,
    file: &SourceFile,
    sups: &mut Vec<Suppression>,
    invalid: &mut Vec<Invalid>,
) {
    let Ok(docs) = MarkedYaml::load_from_str(&file.text) else {
        return;
    };
    let Some(resources) = docs
        .first()
        .and_then(|d| d.data.as_mapping_get("Resources"))
    else {
        return;
    };
    let YamlData::Mapping(resources) = &resources.data else {
        return;
    };
    let span_of = |node: &MarkedYaml| -> Span {
        let s = &node.span.start;
        let e = &node.span.end;
        let start = file.offset_of(s.line(), s.col());
        let end = file.offset_of(e.line(), e.col()).max(start);
        // Flow scalars end where they end; a JSON string's span includes its quotes.
        Span::new(id, start, end)
    };
    for (key, res) in resources {
        let Some(logical_id) = key.data.as_str() else {
            continue;
        };
        let Some(ignore) = res
            .data
            .as_mapping_get("Metadata")
            .and_then(|m| m.data.as_mapping_get("shardlint"))
            .and_then(|m| m.data.as_mapping_get("ignore"))
        else {
            continue;
        };
        let path = format!("Resources.{logical_id}.Metadata.shardlint.ignore");
        let entries: Vec<&MarkedYaml> = match &ignore.data {
            YamlData::Sequence(items) => items.iter().collect(),
            _ => vec![ignore],
        };
        let mut named = Vec::new();
        for entry in entries {
            let span = trim_span(file, span_of(entry));
            match entry.data.as_str().and_then(rules::find) {
                Some(r) => named.push(Named {
                    code: r.meta.code,
                    span,
                }),
                None => invalid.push(Invalid {
                    span,
                    path: path.clone(),
                    message: format!(
                        "`shardlint.ignore` of `{logical_id}` names `{}`, which is no rule",
                        file.text.get(span.start..span.end).unwrap_or("?")
                    ),
                    label: "unknown rule".into(),
                    help: "name rules by code or name; `shardlint rules` lists them".into(),
                }),
            }
        }
        if !named.is_empty() {
            sups.push(Suppression {
                file: id,
                scope: Scope::Resource(logical_id.to_string()),
                span: trim_span(file, span_of(ignore)),
                rules: named,
                path,
            });
        }
    }
}

fn db_text(file: &SourceFile, start: usize, end: usize) -> &str {
    file.text.get(start..end).unwrap_or("")
}

/// saphyr's block-node spans can run to the start of the next line: trim trailing whitespace.
fn trim_span(file: &SourceFile, span: Span) -> Span {
    let text = file.text.get(span.start..span.end).unwrap_or("");
    Span::new(span.file, span.start, span.start + text.trim_end().len())
}

fn covers(db: &SourceDb, s: &Suppression, f: &Finding) -> bool {
    if f.span.file != s.file {
        return false;
    }
    match &s.scope {
        Scope::Line(line) => db.start(f.span).line == *line,
        Scope::Resource(id) => f
            .path
            .strip_prefix("Resources.")
            .and_then(|p| p.strip_prefix(id.as_str()))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '['])),
    }
}

/// Removes suppressed findings, appends SL003/SL004 findings for unused and malformed
/// suppressions in `files`, and returns the suppressed findings.
pub fn apply(
    db: &SourceDb,
    files: &[FileId],
    config: &Config,
    findings: &mut Vec<Finding>,
) -> Vec<Finding> {
    let (sups, invalid) = collect(db, files);
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut suppressed_findings = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let mut suppressed = false;
        for (si, s) in sups.iter().enumerate() {
            if !covers(db, s, &f) {
                continue;
            }
            for (ri, r) in s.rules.iter().enumerate() {
                if r.code == f.code() {
                    used.insert((si, ri));
                    suppressed = true;
                }
            }
        }
        if suppressed {
            suppressed_findings.push(f);
        } else {
            kept.push(f);
        }
    }
    *findings = kept;

    let unused_meta = &rules::unused_suppression::META;
    if config.rule_enabled(unused_meta) {
        for (si, s) in sups.iter().enumerate() {
            for (ri, r) in s.rules.iter().enumerate() {
                // A rule switched off by the config is not evidence that the comment is stale.
                let enabled =
                    rules::find(r.code).is_some_and(|rule| config.rule_enabled(rule.meta));
                if used.contains(&(si, ri)) || !enabled {
                    continue;
                }
                let rule = rules::find(r.code).map(|x| x.meta.name).unwrap_or("");
                let (message, help) = match &s.scope {
                    Scope::Line(line) => (
                        format!(
                            "suppression of `{}` ({rule}) matches no finding on line {line}",
                            r.code
                        ),
                        format!(
                            "remove `{}` from the suppression; it no longer silences anything",
                            r.code
                        ),
                    ),
                    Scope::Resource(id) => (
                        format!(
                            "`{}` ({rule}) is ignored on resource `{id}`, which has no such finding",
                            r.code
                        ),
                        format!(
                            "remove `{}` from `Metadata.shardlint.ignore` of `{id}`",
                            r.code
                        ),
                    ),
                };
                findings.push(finding(
                    unused_meta,
                    config,
                    r.span,
                    s.path.clone(),
                    message,
                    "suppresses nothing".into(),
                    help,
                ));
            }
        }
    }
    if config.rule_enabled(&rules::invalid_suppression::META) {
        for i in invalid {
            findings.push(finding(
                &rules::invalid_suppression::META,
                config,
                i.span,
                i.path,
                i.message,
                i.label,
                i.help,
            ));
        }
    }
    suppressed_findings
}

fn finding(
    meta: &'static RuleMeta,
    config: &Config,
    span: Span,
    path: String,
    message: String,
    label: String,
    help: String,
) -> Finding {
    Finding {
        meta,
        severity: config.severity_of(meta),
        message,
        help,
        span,
        label,
        path,
        related: Vec::new(),
        fixes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(name: &str, text: &str) -> (SourceDb, FileId) {
        let mut db = SourceDb::default();
        let id = db.add(name.into(), text.into());
        (db, id)
    }

    #[test]
    fn inline_forms() {
        let text = "a = 1 # shardlint:ignore SL101 -- constant on purpose\n// shardlint:ignore constant-partition-key, SL301 -- test stream\nb = 2\nc = \"#x\" # shardlint:ignore SL101\n";
        let (db, id) = db_with("main.tf", text);
        let (sups, invalid) = collect(&db, &[id]);
        assert_eq!(sups.len(), 3);
        assert_eq!(sups[0].scope, Scope::Line(1));
        assert_eq!(sups[1].scope, Scope::Line(3));
        assert_eq!(
            sups[1].rules.iter().map(|r| r.code).collect::<Vec<_>>(),
            ["SL101", "SL301"]
        );
        assert_eq!(db.text(sups[1].rules[0].span), "constant-partition-key");
        assert_eq!(invalid.len(), 1);
        assert!(
            invalid[0].message.ends_with("gives no reason"),
            "{}",
            invalid[0].message
        );
    }

    #[test]
    fn yaml_has_no_slash_comments() {
        let (db, id) = db_with("t.yaml", "a: b // shardlint:ignore SL101 -- x\n");
        assert!(collect(&db, &[id]).0.is_empty());
    }

    #[test]
    fn metadata_entries() {
        let text = "Resources:\n  Rule:\n    Type: AWS::IoT::TopicRule\n    Metadata:\n      shardlint:\n        ignore: [SL101, nope]\n    Properties: {}\n";
        let (db, id) = db_with("t.yaml", text);
        let (sups, invalid) = collect(&db, &[id]);
        assert_eq!(sups.len(), 1);
        assert_eq!(sups[0].scope, Scope::Resource("Rule".into()));
        assert_eq!(db.text(sups[0].rules[0].span), "SL101");
        assert_eq!(db.start(sups[0].rules[0].span).line, 6);
        assert_eq!(invalid.len(), 1);
        assert_eq!(db.text(invalid[0].span), "nope");
    }
}
