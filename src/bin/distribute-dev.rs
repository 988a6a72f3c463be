//! TEMPORARY: runs `shardlint distribute` until the lead adds the subcommand to the main CLI.
//! Remove after merging.

use clap::Parser;

#[derive(Parser)]
#[command(name = "distribute-dev")]
struct Cli {
    #[command(flatten)]
    args: shardlint::distribution::DistributeArgs,
}

fn main() {
    let cli = Cli::parse();
    let code = match shardlint::distribution::run(&cli.args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    };
    std::process::exit(code);
}
