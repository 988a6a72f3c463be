//! `shardlint export`: clap's flags, resolved into [`ExportOptions`]; `export::run` does the work.

use std::path::PathBuf;

use clap::Args;

use crate::export::ExportOptions;

#[derive(Args, Debug, Clone)]
#[command(after_help = "\
Runs only read-only AWS CLI calls (see --print-policy) with your configured credentials.
AccessDenied, still-throttled and failed calls are recorded in OUT_DIR/manifest.json and the
export goes on. Then: `shardlint check OUT_DIR` or `--format html`.

Exit codes:
  0  complete: every call answered
  1  partial: written and usable, but some calls failed (listed in manifest.json, \"complete\": false)
  2  nothing exported: no AWS CLI, no working credentials, output not writable, wrong flags

In CI, `shardlint export out/ && shardlint check out/` stops on a partial export;
accept one explicitly with `shardlint export out/ || [ $? -eq 1 ]`.")]
pub struct ExportArgs {
    /// Directory to write the export to (created if missing)
    #[arg(value_name = "OUT_DIR", required_unless_present = "print_policy")]
    pub out: Option<PathBuf>,
    /// Regions to export, comma-separated (default: every region enabled for the account)
    #[arg(long, value_delimiter = ',', value_name = "REGION,...")]
    pub regions: Vec<String>,
    /// AWS CLI profile
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// CloudWatch metrics window ending now: `24h`, `90m`, `7d` (1-minute periods up to 15 days)
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub since: String,
    /// Read up to N records from every open shard, starting at the window's start (reads data)
    #[arg(long, value_name = "N")]
    pub sample_records: Option<u64>,
    /// At most this many sampled records in the whole export
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub sample_total: u64,
    /// Keep the records' payloads (`Data`); by default only keys and arrival times are kept
    #[arg(long, requires = "sample_records")]
    pub keep_payloads: bool,
    /// AWS CLI processes running at once
    #[arg(long, short = 'j', default_value_t = 8, value_name = "N")]
    pub jobs: usize,
    /// Attempts per throttled call before it is recorded as failed
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub max_attempts: u32,
    /// First retry delay for a throttled call (doubles each attempt)
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub backoff_ms: u64,
    /// The AWS CLI executable
    #[arg(long, default_value = "aws", value_name = "PATH")]
    pub aws: PathBuf,
    /// No progress lines on stderr
    #[arg(long)]
    pub no_progress: bool,
    /// Print the IAM policy the export needs and exit
    #[arg(long)]
    pub print_policy: bool,
}

impl ExportArgs {
    /// The flags as the export takes them.
    pub fn resolve(&self) -> ExportOptions {
        ExportOptions {
            out: self.out.clone(),
            regions: self.regions.clone(),
            profile: self.profile.clone(),
            since: self.since.clone(),
            sample_records: self.sample_records,
            sample_total: self.sample_total,
            keep_payloads: self.keep_payloads,
            jobs: self.jobs,
            max_attempts: self.max_attempts,
            backoff_ms: self.backoff_ms,
            aws: self.aws.clone(),
            no_progress: self.no_progress,
            print_policy: self.print_policy,
        }
    }
}
