//! Every rule doc under `rules/` shows real output: its `## Example` section holds the input
//! (each file as "`NAME`:" followed by a code block, written to a scratch directory; or
//! "`fixtures/PATH` (excerpt):", which must appear in that file), and a `console` block whose
//! first line is `$ shardlint ...` and whose other lines are what that command prints. This test
//! runs each command (the debug binary, 80 columns, no colour) and compares. A doc without an
//! example fails. `SHARDLINT_BLESS=1 cargo test --test rule_docs` rewrites the output blocks:
//! read the diff before committing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One `## Example` section, parsed.
#[derive(Default)]
struct Example {
    /// (name, content) of each input file, written to the scratch directory.
    files: Vec<(String, String)>,
    /// (fixture path, excerpt) shown from a file under `fixtures/`.
    excerpts: Vec<(String, String)>,
    /// (command line after `$ `, expected output, line range of the output in the doc).
    runs: Vec<(String, String, std::ops::Range<usize>)>,
}

fn parse(doc: &str) -> Result<Example, String> {
    let lines: Vec<&str> = doc.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_end() == "## Example")
        .ok_or("no `## Example` section")?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut ex = Example::default();
    let mut i = start + 1;
    // The "`NAME`:" line above the next code block, if any.
    let mut named: Option<(String, bool)> = None;
    while i < end {
        let line = lines[i];
        if let Some(fence) = line.strip_prefix("```") {
            let close = lines[i + 1..end]
                .iter()
                .position(|l| l.trim_end() == "```")
                .map(|k| i + 1 + k)
                .ok_or_else(|| format!("unclosed code block at line {}", i + 1))?;
            let body = &lines[i + 1..close];
            if fence.trim() == "console" {
                let cmd = body
                    .first()
                    .and_then(|l| l.strip_prefix("$ "))
                    .ok_or_else(|| {
                        format!("console block at line {} must start with `$ `", i + 1)
                    })?;
                let output = body[1..].iter().map(|l| format!("{l}\n")).collect();
                ex.runs.push((cmd.to_string(), output, i + 2..close));
            } else if let Some((name, excerpt)) = named.take() {
                let text: String = body.iter().map(|l| format!("{l}\n")).collect();
                if excerpt {
                    ex.excerpts.push((name, text));
                } else {
                    ex.files.push((name, text));
                }
            }
            i = close + 1;
            continue;
        }
        let t = line.trim_end();
        if let Some(rest) = t.strip_prefix('`')
            && let Some((name, tail)) = rest.split_once('`')
            && (tail == ":" || tail == " (excerpt):")
        {
            named = Some((name.to_string(), tail != ":"));
        } else if !t.is_empty() {
            named = None;
        }
        i += 1;
    }
    if ex.runs.is_empty() {
        return Err(
            "the `## Example` section has no `console` block with a `$ shardlint` command".into(),
        );
    }
    Ok(ex)
}

/// Runs `cmd` (`shardlint ARGS...`) in `dir`: stdout, then stderr.
fn run(cmd: &str, dir: &Path) -> Result<String, String> {
    if cmd.contains(['"', '\'', '|', '>', '<', '$']) {
        return Err(format!(
            "`{cmd}`: write the command without quotes, pipes or redirections"
        ));
    }
    let mut words = cmd.split_whitespace();
    if words.next() != Some("shardlint") {
        return Err(format!("`{cmd}` does not start with `shardlint`"));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_shardlint"))
        .args(words)
        .current_dir(dir)
        .env("COLUMNS", "80")
        .env("NO_COLOR", "1")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .map_err(|e| format!("cannot run `{cmd}`: {e}"))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(text)
}

/// A line diff (longest common subsequence; the texts are short): `-` expected, `+` actual.
fn diff(expected: &str, actual: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        }
    }
    out
}

fn docs(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root.join("rules"))
        .expect("rules/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_rule_doc_example_shows_the_real_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("SHARDLINT_BLESS").is_some();
    let mut failures = Vec::new();
    // Output differences only: the one kind of problem blessing repairs.
    let mut mismatches = Vec::new();
    let all = docs(root);
    assert!(all.len() >= 20, "found only {} rule docs", all.len());
    for path in &all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let doc = std::fs::read_to_string(path).unwrap();
        let ex = match parse(&doc) {
            Ok(ex) => ex,
            Err(e) => {
                failures.push(format!("rules/{name}: {e}"));
                continue;
            }
        };
        for (fixture, excerpt) in &ex.excerpts {
            let text = std::fs::read_to_string(root.join(fixture)).unwrap_or_default();
            if !text.contains(excerpt.as_str()) {
                failures.push(format!(
                    "rules/{name}: the excerpt of `{fixture}` is not in that file:\n{excerpt}"
                ));
            }
        }
        let scratch = tempfile::tempdir().unwrap();
        for (file, text) in &ex.files {
            let p = scratch.path().join(file);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        // Input shown in the doc runs in the scratch directory; a command on a fixture runs
        // from the repository root, so both print relative paths.
        let mut lines: Vec<String> = doc.lines().map(str::to_string).collect();
        let mut edits = Vec::new();
        for (cmd, expected, range) in &ex.runs {
            let dir = if ex.files.is_empty() {
                root
            } else {
                scratch.path()
            };
            let actual = match run(cmd, dir) {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("rules/{name}: {e}"));
                    continue;
                }
            };
            let actual = actual.trim_end().to_string() + "\n";
            if actual.contains(&scratch.path().display().to_string())
                || actual.contains(&root.display().to_string())
            {
                failures.push(format!("rules/{name}: `{cmd}` prints an absolute path"));
            }
            if &actual != expected {
                edits.push((range.clone(), actual.clone()));
                mismatches.push(format!(
                    "rules/{name}: `{cmd}` prints something else (- doc, + real):\n{}",
                    diff(expected, &actual)
                ));
            }
        }
        if bless && !edits.is_empty() {
            // Later blocks first, so earlier ranges stay valid.
            for (range, actual) in edits.into_iter().rev() {
                lines.splice(range, actual.lines().map(str::to_string));
            }
            std::fs::write(path, lines.join("\n") + "\n").unwrap();
        }
    }
    if !bless {
        failures.extend(mismatches);
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) in rule docs (SHARDLINT_BLESS=1 rewrites output blocks; read the diff):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
