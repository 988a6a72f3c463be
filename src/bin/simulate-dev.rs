//! TEMPORARY: runs `shardlint simulate` on its own until the lead mounts `SimulateArgs` as a
//! subcommand of the main CLI. Delete when `shardlint simulate` exists.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "simulate-dev",
    about = "shardlint simulate (development entry point)"
)]
struct Cli {
    #[command(flatten)]
    args: shardlint::simulate::SimulateArgs,
}

fn main() {
    let cli = Cli::parse();
    let code = match shardlint::simulate::run(&cli.args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    };
    std::process::exit(code);
}
