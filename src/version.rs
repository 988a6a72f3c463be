//! The version strings `--version`, SARIF's `tool.driver` and the language server print: the
//! package version and the git commit it was built from. Bottom layer.

/// Cargo features compiled in, for `--version`.
pub const FEATURES: &[&str] = &[];

/// `0.1.0 (abc123def 2026-11-30)`: the version and the git commit it was built from.
pub fn version_line() -> String {
    format!(
        "{} ({})",
        env!("CARGO_PKG_VERSION"),
        env!("SHARDLINT_COMMIT")
    )
}

/// `shardlint 0.1.0 (abc123def 2026-11-30)`, as SARIF's `tool.driver.fullName`.
pub fn long_version_line() -> String {
    format!("shardlint {}", version_line())
}
