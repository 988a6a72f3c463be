//! The `shardlint` binary: parses arguments, runs the library, exits with its code.

use clap::Parser;

fn main() {
    let cli = match shardlint::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    std::process::exit(shardlint::cli::run(cli));
}
