//! Build script: records the git commit the binary is built from, for `--version` and SARIF's
//! `tool.driver.fullName`. Outside a git checkout (an sdist, a crate tarball) it says `unknown`;
//! `SHARDLINT_COMMIT` overrides it (release builds from a source archive).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=SHARDLINT_COMMIT");
    let commit = std::env::var("SHARDLINT_COMMIT")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            // Rebuild when HEAD moves (a commit, a checkout).
            for p in ["HEAD", "logs/HEAD"] {
                if let Some(path) = git(&["rev-parse", "--git-path", p]) {
                    println!("cargo:rerun-if-changed={path}");
                }
            }
            let hash = git(&["rev-parse", "--short=9", "HEAD"])?;
            let date = git(&["log", "-1", "--format=%cs", "HEAD"]).unwrap_or_default();
            Some(if date.is_empty() {
                hash
            } else {
                format!("{hash} {date}")
            })
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SHARDLINT_COMMIT={commit}");
}
