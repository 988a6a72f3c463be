//! Baselines: `check --write-baseline FILE` records today's findings; `--baseline FILE` (or
//! `baseline = "…"` in `shardlint.toml`) then hides the findings it lists, counts them, and
//! reports the entries that match nothing any more so the file shrinks. Sits after the rules and
//! suppressions, before rendering.
//!
//! A fingerprint survives unrelated edits: it hashes the rule code, the file (relative to the
//! baseline's directory, forward slashes), the finding's logical path and the offending text,
//! never a line or column. Identical fingerprints are counted, so two equal findings need two
//! entries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::diagnostic::Finding;
use crate::source::SourceDb;

/// The version written in and required of baseline files.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub code: String,
    /// Relative to the baseline file's directory.
    pub file: String,
    /// Logical path of the offending value (`aws_iot_topic_rule.x.kinesis[0].partition_key`).
    pub path: String,
    pub fingerprint: String,
    /// The finding's message when recorded, for people reading the file (not matched).
    pub message: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

/// A loaded baseline.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub path: PathBuf,
    /// The directory entries' files are relative to (absolute).
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
}

/// Absolute form of `p` without resolving symlinks (so `fixtures/x` and `./fixtures/x` agree).
pub fn absolute(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    // Drop `.` and resolve `..` lexically.
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `file` relative to `base` (both made absolute), with forward slashes; `..` where needed.
pub fn relative_to(file: &Path, base: &Path) -> String {
    let f = absolute(file);
    let b = absolute(base);
    let fc: Vec<_> = f.components().collect();
    let bc: Vec<_> = b.components().collect();
    let common = fc.iter().zip(&bc).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..bc.len() {
        parts.push("..".into());
    }
    for c in &fc[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    parts.join("/")
}

/// The fingerprint of a finding, with its file already made relative.
pub fn fingerprint(code: &str, file: &str, path: &str, value: &str) -> String {
    let mut h = Md5::new();
    for part in [code, file, path, value] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn entry(db: &SourceDb, dir: &Path, f: &Finding) -> Entry {
    let file = relative_to(&db.get(f.span.file).path, dir);
    let value = db.text(f.span).trim();
    Entry {
        code: f.code().to_string(),
        fingerprint: fingerprint(f.code(), &file, &f.path, value),
        file,
        path: f.path.clone(),
        message: f.message.clone(),
    }
}

/// The baseline text recording `findings`, for a file at `path`.
pub fn render(db: &SourceDb, path: &Path, findings: &[Finding]) -> String {
    let dir = absolute(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut entries: Vec<Entry> = findings.iter().map(|f| entry(db, &dir, f)).collect();
    entries.sort_by(|a, b| {
        (&a.file, &a.path, &a.code, &a.fingerprint).cmp(&(
            &b.file,
            &b.path,
            &b.code,
            &b.fingerprint,
        ))
    });
    let mut s = serde_json::to_string_pretty(&BaselineFile {
        version: VERSION,
        findings: entries,
    })
    .unwrap_or_default();
    s.push('\n');
    s
}

/// Reads a baseline file; the message names the file and, for bad JSON, the line and column.
pub fn load(path: &Path) -> Result<Baseline, String> {
    let shown = crate::source::display_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{shown}: cannot read the baseline: {e}"))?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{shown}:{}:{}: not a shardlint baseline: {e}",
            e.line(),
            e.column()
        )
    })?;
    if file.version != VERSION {
        return Err(format!(
            "{shown}: baseline version {} is not supported (expected {VERSION}); write it again with `--write-baseline`",
            file.version
        ));
    }
    Ok(Baseline {
        dir: absolute(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        path: path.to_path_buf(),
        entries: file.findings,
    })
}

/// Splits `findings` into the new ones (kept in place) and the baselined ones (returned), and
/// returns the entries that matched nothing.
pub fn apply(
    db: &SourceDb,
    baseline: &Baseline,
    findings: &mut Vec<Finding>,
) -> (Vec<Finding>, Vec<Entry>) {
    let mut remaining: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for e in &baseline.entries {
        remaining.entry(e.fingerprint.as_str()).or_default().push(e);
    }
    let mut baselined = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let fp = entry(db, &baseline.dir, &f).fingerprint;
        match remaining.get_mut(fp.as_str()).and_then(Vec::pop) {
            Some(_) => baselined.push(f),
            None => kept.push(f),
        }
    }
    *findings = kept;
    let mut stale: Vec<Entry> = remaining.into_values().flatten().cloned().collect();
    stale.sort_by(|a, b| (&a.file, &a.path, &a.code).cmp(&(&b.file, &b.path, &b.code)));
    (baselined, stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(relative_to(&cwd.join("a/b.tf"), &cwd), "a/b.tf".to_string());
        assert_eq!(
            relative_to(&cwd.join("a/b.tf"), &cwd.join("c")),
            "../a/b.tf"
        );
        assert_eq!(relative_to(Path::new("./a/./b.tf"), &cwd), "a/b.tf");
    }

    #[test]
    fn fingerprint_ignores_nothing_it_hashes() {
        let a = fingerprint("SL101", "main.tf", "x.y", "\"vin\"");
        assert_ne!(a, fingerprint("SL101", "main.tf", "x.y", "\"id\""));
        assert_ne!(a, fingerprint("SL102", "main.tf", "x.y", "\"vin\""));
        assert_ne!(a, fingerprint("SL101", "other.tf", "x.y", "\"vin\""));
        assert_eq!(a, fingerprint("SL101", "main.tf", "x.y", "\"vin\""));
    }
}
