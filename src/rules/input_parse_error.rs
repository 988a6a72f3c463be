//! SL001 input-parse-error: a file shardlint should read but cannot (syntax error, binary, empty,
//! not UTF-8). Reported by the loaders as an input error, not by a check; the run goes on and
//! exits 2.

// Declared in `diagnostic`, below the loaders that report it.
pub use crate::diagnostic::INPUT_PARSE_ERROR as META;
