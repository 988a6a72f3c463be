//! The `shardlint` binary: parses arguments, runs the library, exits with its code.

use clap::Parser;

fn main() {
    keep_freed_memory();
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

/// glibc returns the top of a thread's malloc arena to the kernel whenever more than 128 KiB
/// is free there. The engine's workers free each round's buffers and allocate them again for
/// the next round, so with two threads every round was faulted in and zeroed anew: 60,000 to
/// 180,000 page faults and a quarter of the CPU time in the kernel on 10 M keys (6,000 faults
/// with one thread). Keeping up to 64 MiB free per arena makes the next round reuse the pages;
/// peak RSS grows by a few MB (34 to 36 MB there), since only memory already touched is kept.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a malloc parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}
