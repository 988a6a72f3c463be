//! `shardlint export`: a read-only export of one AWS account, written in the layout `shardlint
//! check` reads, by running the AWS CLI the user already has configured (profiles, SSO, roles and
//! retries stay the CLI's). Sits beside the loaders: it writes files, `load::aws_cli` reads them.
//!
//! Why a subcommand rather than a shell script: the export needs bounded parallelism, a manifest
//! that is valid JSON whatever an error message contains, per-call failure classification
//! (AccessDenied recorded and skipped, throttling retried with backoff, then recorded), batched
//! `get-metric-data` queries and a global budget for sampled records. That is fragile in bash and
//! needs `jq`; here it is tested against a fake `aws` (tests/export.rs) and runs the same on
//! every platform the binary runs on. The CLI is still what talks to AWS, so the calls made are
//! exactly the ones `--print-policy` lists, all read-only.
//!
//! Layout of `OUT/` (every file is the CLI's JSON output unchanged, except the two we write):
//!
//! ```text
//! manifest.json                                   account, regions, window, CLI version, failures
//! <region>/kinesis/<stream>.describe-stream-summary.json
//! <region>/kinesis/<stream>.list-shards.json
//! <region>/iot/<rule>.get-topic-rule.json          rules with a Kinesis action
//! <region>/lambda/list-event-source-mappings.json
//! <region>/lambda/<function>[@<qualifier>].get-function-configuration.json   once per function ARN
//! <region>/events/<bus>.<rule>.list-targets-by-rule.json                     rules targeting Kinesis
//! <region>/pipes/<pipe>.describe-pipe.json                                   pipes targeting Kinesis
//! <region>/apigateway/<api>.get-resources.json | <api>.get-integrations.json APIs integrating Kinesis
//! <region>/metrics/batch-NNNN.queries.json + batch-NNNN.get-metric-data.json
//! <region>/records/<stream>/<shard>.get-records.json   only with --sample-records
//! ```
//!
//! Sampled records are the CLI's `Records[]` as read; without `--keep-payloads` each record's
//! `Data` is replaced by `DataBytes`, its decoded size, so per-second byte peaks stay exact.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// What one export does, resolved from the command line (`cli::export`).
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Directory to write the export to; `None` only with `print_policy`.
    pub out: Option<PathBuf>,
    /// Regions to export; empty: every region enabled for the account.
    pub regions: Vec<String>,
    pub profile: Option<String>,
    /// CloudWatch metrics window ending now (`24h`, `90m`, `7d`).
    pub since: String,
    /// Records read from every open shard (reads data), when sampling.
    pub sample_records: Option<u64>,
    /// At most this many sampled records in the whole export.
    pub sample_total: u64,
    /// Keep the records' payloads (`Data`); else only keys and arrival times.
    pub keep_payloads: bool,
    /// AWS CLI processes running at once.
    pub jobs: usize,
    /// Attempts per throttled call before it is recorded as failed.
    pub max_attempts: u32,
    /// First retry delay for a throttled call, in ms (doubles each attempt).
    pub backoff_ms: u64,
    /// The AWS CLI executable.
    pub aws: PathBuf,
    pub no_progress: bool,
    /// Print the IAM policy the export needs and stop.
    pub print_policy: bool,
}

/// The exit code of an export that was written but where some calls failed (AccessDenied,
/// still throttled after retries, errors; all listed in `manifest.json`). 0 is a complete
/// export; 2 is no export (no AWS CLI, no working credentials, the output cannot be written,
/// wrong flags), as for every shardlint command. An audit in CI wants to fail on a partial
/// export by default (`shardlint export out/ && shardlint check out/`) and may accept it
/// explicitly (`[ $? -le 1 ]`), which a shared code 2 would not let it do.
pub const EXIT_PARTIAL: i32 = 1;

/// CloudWatch accepts at most 500 queries in one `GetMetricData` request.
const QUERIES_PER_CALL: usize = 500;
/// Kinesis returns at most 10,000 records per `GetRecords` call.
const RECORDS_PER_CALL: i64 = 10_000;
/// `GetRecords` calls per shard before giving up on reaching the bound (empty shards, idle
/// streams): keeps the export bounded in time.
const MAX_GET_RECORDS_CALLS: usize = 50;
/// Kinesis allows 5 `GetRecords` calls per second per shard.
const GET_RECORDS_PAUSE: Duration = Duration::from_millis(200);

/// The metrics exported per stream (stream-level), each with the statistic that answers our
/// questions: counts summed per period, ages at their maximum.
pub const STREAM_METRICS: &[(&str, &str)] = &[
    ("IncomingRecords", "Sum"),
    ("IncomingBytes", "Sum"),
    ("WriteProvisionedThroughputExceeded", "Sum"),
    ("ReadProvisionedThroughputExceeded", "Sum"),
    ("GetRecords.IteratorAgeMilliseconds", "Maximum"),
];

/// Shard-level (enhanced monitoring) metrics, exported for the ones the stream has enabled.
pub const SHARD_METRICS: &[(&str, &str)] = &[
    ("IncomingRecords", "Sum"),
    ("IncomingBytes", "Sum"),
    ("WriteProvisionedThroughputExceeded", "Sum"),
    ("ReadProvisionedThroughputExceeded", "Sum"),
    ("IteratorAgeMilliseconds", "Maximum"),
];

/// The IAM policy the export needs. Sampling records is a separate statement: it reads data.
pub fn policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ShardlintExportConfigurationAndMetrics",
                "Effect": "Allow",
                "Action": [
                    "sts:GetCallerIdentity",
                    "ec2:DescribeRegions",
                    "kinesis:ListStreams",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:ListShards",
                    "iot:ListTopicRules",
                    "iot:GetTopicRule",
                    "lambda:ListEventSourceMappings",
                    "lambda:GetFunctionConfiguration",
                    "events:ListEventBuses",
                    "events:ListRules",
                    "events:ListTargetsByRule",
                    "pipes:ListPipes",
                    "pipes:DescribePipe",
                    "apigateway:GET",
                    "cloudwatch:GetMetricData"
                ],
                "Resource": "*"
            },
            {
                "Sid": "ShardlintExportSampleRecordsOnlyWithSampleRecords",
                "Effect": "Allow",
                "Action": ["kinesis:GetShardIterator", "kinesis:GetRecords"],
                "Resource": "arn:aws:kinesis:*:*:stream/*"
            }
        ]
    })
}

/// Why a call failed, as the manifest records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    AccessDenied,
    Throttled,
    NotFound,
    Error,
}

impl FailureKind {
    fn name(self) -> &'static str {
        match self {
            FailureKind::AccessDenied => "access-denied",
            FailureKind::Throttled => "throttled",
            FailureKind::NotFound => "not-found",
            FailureKind::Error => "error",
        }
    }
    /// From the CLI's error text (`An error occurred (AccessDeniedException) when calling ...`).
    pub fn classify(stderr: &str) -> FailureKind {
        const DENIED: &[&str] = &[
            "AccessDenied",
            "UnauthorizedOperation",
            "UnrecognizedClientException",
            "is not authorized to perform",
        ];
        const THROTTLED: &[&str] = &[
            "Throttling",
            "TooManyRequests",
            "Rate exceeded",
            "RequestLimitExceeded",
            "LimitExceededException",
            "ProvisionedThroughputExceeded",
            "SlowDown",
        ];
        if DENIED.iter().any(|m| stderr.contains(m)) {
            FailureKind::AccessDenied
        } else if THROTTLED.iter().any(|m| stderr.contains(m)) {
            FailureKind::Throttled
        } else if stderr.contains("ResourceNotFound") || stderr.contains("NotFoundException") {
            FailureKind::NotFound
        } else {
            FailureKind::Error
        }
    }
}

/// One call that did not give its output.
#[derive(Clone, Debug)]
pub struct Failure {
    pub region: Option<String>,
    pub call: String,
    pub kind: FailureKind,
    pub attempts: u32,
    pub message: String,
}

/// Runs `aws`, retrying throttled calls, and remembers every failure.
struct Aws {
    bin: PathBuf,
    profile: Option<String>,
    attempts: u32,
    backoff: Duration,
    failures: Mutex<Vec<Failure>>,
    calls: AtomicUsize,
}

impl Aws {
    /// The call's stdout, or `None` after recording why not.
    fn call(&self, region: Option<&str>, args: &[&str]) -> Option<Vec<u8>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.calls.fetch_add(1, Ordering::Relaxed);
            let mut cmd = Command::new(&self.bin);
            if let Some(p) = &self.profile {
                cmd.args(["--profile", p]);
            }
            if let Some(r) = region {
                cmd.args(["--region", r]);
            }
            cmd.args(["--output", "json"]).args(args);
            let (kind, message) = match cmd.output() {
                Ok(out) if out.status.success() => return Some(out.stdout),
                Ok(out) => {
                    let text = String::from_utf8_lossy(&out.stderr).trim().to_string();
                    (FailureKind::classify(&text), text)
                }
                Err(e) => (
                    FailureKind::Error,
                    format!("cannot run `{}`: {e}", self.bin.display()),
                ),
            };
            if kind == FailureKind::Throttled && attempt < self.attempts {
                std::thread::sleep(self.backoff * 2u32.pow(attempt - 1));
                continue;
            }
            self.failures.lock().unwrap().push(Failure {
                region: region.map(str::to_string),
                call: args.join(" "),
                kind,
                attempts: attempt,
                message: last_line(&message),
            });
            return None;
        }
    }

    fn json(&self, region: Option<&str>, args: &[&str]) -> Option<Value> {
        let out = self.call(region, args)?;
        match serde_json::from_slice(&out) {
            Ok(v) => Some(v),
            Err(e) => {
                self.failures.lock().unwrap().push(Failure {
                    region: region.map(str::to_string),
                    call: args.join(" "),
                    kind: FailureKind::Error,
                    attempts: 1,
                    message: format!("the CLI's output is not JSON: {e}"),
                });
                None
            }
        }
    }
}

fn last_line(s: &str) -> String {
    let line = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(500).collect()
}

/// Runs `f` on every item with at most `jobs` at a time.
fn parallel<T: Sync>(items: &[T], jobs: usize, f: impl Fn(&T) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    f(item);
                }
            });
        }
    });
}

/// A name as a file name: AWS names are already safe; anything else is replaced.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes via a temporary file so an interrupted export leaves no half file.
fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn strings(v: &Value, pointer: &str, field: Option<&str>) -> Vec<String> {
    let Some(items) = v.pointer(pointer).and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| match field {
            Some(f) => i.get(f).and_then(Value::as_str),
            None => i.as_str(),
        })
        .map(str::to_string)
        .collect()
}

/// What one region holds, as read in the listing phase.
#[derive(Default)]
struct RegionPlan {
    streams: Vec<String>,
    rules: Vec<String>,
    functions: BTreeSet<String>,
    buses: Vec<String>,
    event_rules: Vec<(String, String)>,
    pipes: Vec<String>,
    rest_apis: Vec<String>,
    http_apis: Vec<String>,
}

/// A stream as read in the detail phase, for metrics and sampling.
struct StreamInfo {
    region: String,
    name: String,
    open_shards: Vec<String>,
    shard_metrics: Vec<String>,
}

/// `24h`, `90m`, `7d`, `3600s` to seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like `24h`, `90m` or `7d`"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" | "" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("`{s}`: the unit must be s, m, h or d")),
    };
    if secs <= 0 || secs > 63 * 86_400 {
        return Err(format!(
            "`{s}`: the window must be between 1 s and 63 days (CloudWatch keeps 1-minute data for 15 days, 5-minute data for 63)"
        ));
    }
    Ok(secs)
}

/// The metric period for a window: one minute where CloudWatch keeps it (15 days), else five.
pub fn period_for(window_s: i64) -> i64 {
    if window_s <= 15 * 86_400 { 60 } else { 300 }
}

pub fn run(args: &ExportOptions) -> Result<i32, String> {
    if args.print_policy {
        println!("{}", serde_json::to_string_pretty(&policy()).unwrap());
        return Ok(0);
    }
    let Some(out) = &args.out else {
        return Err("the output directory is missing: `shardlint export OUT_DIR`".into());
    };
    let window = parse_duration(&args.since)?;
    let aws = Aws {
        bin: args.aws.clone(),
        profile: args.profile.clone(),
        attempts: args.max_attempts.max(1),
        backoff: Duration::from_millis(args.backoff_ms),
        failures: Mutex::new(Vec::new()),
        calls: AtomicUsize::new(0),
    };
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let cli_version = Command::new(&aws.bin)
        .arg("--version")
        .output()
        .map_err(|e| {
            format!(
                "cannot run the AWS CLI (`{}`): {e}; install it or pass --aws PATH",
                aws.bin.display()
            )
        })
        .map(|o| {
            // v1 prints its version on stderr, v2 on stdout.
            let text = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&text).trim().to_string()
        })?;

    // GetCallerIdentity needs no IAM permission: when it fails, the CLI has no working
    // credentials (expired SSO session, no profile) or no network, and every other call would
    // fail the same way. Stop before thousands of calls and an export of nothing.
    let account = aws
        .json(None, &["sts", "get-caller-identity"])
        .and_then(|v| v.get("Account").and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| {
            let why = aws
                .failures
                .lock()
                .unwrap()
                .last()
                .map(|f| f.message.clone())
                .unwrap_or_default();
            format!(
                "the AWS CLI cannot identify the account (`aws sts get-caller-identity`: {why}); check its credentials (`aws sso login`, `--profile`) and try again; nothing was exported"
            )
        })?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let regions: Vec<String> = if args.regions.is_empty() {
        // Without --all-regions, DescribeRegions lists the regions enabled for the account.
        let v = aws
            .json(None, &["ec2", "describe-regions"])
            .ok_or("cannot list the account's regions (see manifest.json); pass --regions")?;
        let mut r = strings(&v, "/Regions", Some("RegionName"));
        r.sort();
        r
    } else {
        args.regions.clone()
    };

    // Window: whole minutes, ending at the last complete one.
    let end = started / 60 * 60;
    let start = end - window;
    let period = period_for(window);
    let jobs = args.jobs.max(1);
    let progress = |what: &str| {
        if !args.no_progress {
            eprintln!("shardlint export: {what}");
        }
    };

    // 1. Listings, every region and service in parallel.
    progress(&format!(
        "listing resources in {}",
        plural(regions.len(), "region", "regions")
    ));
    let plans: Vec<Mutex<RegionPlan>> = regions.iter().map(|_| Mutex::default()).collect();
    let listings: Vec<(usize, &str)> = (0..regions.len())
        .flat_map(|i| {
            [
                "kinesis", "iot", "lambda", "events", "pipes", "rest", "http",
            ]
            .map(|s| (i, s))
        })
        .collect();
    parallel(&listings, jobs, |&(ri, service)| {
        let region = regions[ri].as_str();
        let dir = out.join(region);
        let r = Some(region);
        let mut found = RegionPlan::default();
        match service {
            "kinesis" => {
                if let Some(v) = aws.json(r, &["kinesis", "list-streams"]) {
                    found.streams = strings(&v, "/StreamNames", None);
                }
            }
            "iot" => {
                if let Some(v) = aws.json(r, &["iot", "list-topic-rules"]) {
                    found.rules = strings(&v, "/rules", Some("ruleName"));
                }
            }
            "lambda" => {
                if let Some(bytes) = aws.call(r, &["lambda", "list-event-source-mappings"]) {
                    let _ = write(&dir.join("lambda/list-event-source-mappings.json"), &bytes);
                    if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                        for m in v
                            .get("EventSourceMappings")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            let source = m.get("EventSourceArn").and_then(Value::as_str);
                            if source.is_some_and(|a| a.contains(":kinesis:"))
                                && let Some(f) = m.get("FunctionArn").and_then(Value::as_str)
                            {
                                found.functions.insert(f.to_string());
                            }
                        }
                    }
                }
            }
            "events" => {
                if let Some(v) = aws.json(r, &["events", "list-event-buses"]) {
                    found.buses = strings(&v, "/EventBuses", Some("Name"));
                }
            }
            "pipes" => {
                if let Some(v) = aws.json(r, &["pipes", "list-pipes"]) {
                    for p in v
                        .get("Pipes")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if p.get("Target")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.contains(":kinesis:"))
                            && let Some(n) = p.get("Name").and_then(Value::as_str)
                        {
                            found.pipes.push(n.to_string());
                        }
                    }
                }
            }
            "rest" => {
                if let Some(v) = aws.json(r, &["apigateway", "get-rest-apis"]) {
                    found.rest_apis = strings(&v, "/items", Some("id"));
                }
            }
            _ => {
                if let Some(v) = aws.json(r, &["apigatewayv2", "get-apis"]) {
                    found.http_apis = strings(&v, "/Items", Some("ApiId"));
                }
            }
        }
        let mut plan = plans[ri].lock().unwrap();
        let p = &mut *plan;
        p.streams.extend(found.streams);
        p.rules.extend(found.rules);
        p.functions.extend(found.functions);
        p.buses.extend(found.buses);
        p.pipes.extend(found.pipes);
        p.rest_apis.extend(found.rest_apis);
        p.http_apis.extend(found.http_apis);
    });
    let mut plans: Vec<RegionPlan> = plans.into_iter().map(|m| m.into_inner().unwrap()).collect();

    // EventBridge rules per bus (a second listing level).
    let buses: Vec<(usize, String)> = plans
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.buses.iter().map(move |b| (i, b.clone())))
        .collect();
    let event_rules = Mutex::new(Vec::new());
    parallel(&buses, jobs, |(ri, bus)| {
        if let Some(v) = aws.json(
            Some(&regions[*ri]),
            &["events", "list-rules", "--event-bus-name", bus],
        ) {
            let mut er = event_rules.lock().unwrap();
            for n in strings(&v, "/Rules", Some("Name")) {
                er.push((*ri, bus.clone(), n));
            }
        }
    });
    for (ri, bus, rule) in event_rules.into_inner().unwrap() {
        plans[ri].event_rules.push((bus, rule));
    }

    // 2. Details, one call per resource, all regions in one bounded pool.
    enum Task {
        Stream(usize, String),
        Rule(usize, String),
        Function(usize, String),
        EventRule(usize, String, String),
        Pipe(usize, String),
        RestApi(usize, String),
        HttpApi(usize, String),
    }
    let mut tasks = Vec::new();
    for (ri, p) in plans.iter().enumerate() {
        tasks.extend(p.streams.iter().map(|s| Task::Stream(ri, s.clone())));
        tasks.extend(p.rules.iter().map(|s| Task::Rule(ri, s.clone())));
        tasks.extend(p.functions.iter().map(|s| Task::Function(ri, s.clone())));
        tasks.extend(
            p.event_rules
                .iter()
                .map(|(b, r)| Task::EventRule(ri, b.clone(), r.clone())),
        );
        tasks.extend(p.pipes.iter().map(|s| Task::Pipe(ri, s.clone())));
        tasks.extend(p.rest_apis.iter().map(|s| Task::RestApi(ri, s.clone())));
        tasks.extend(p.http_apis.iter().map(|s| Task::HttpApi(ri, s.clone())));
    }
    progress(&format!(
        "reading {}",
        plural(tasks.len(), "resource", "resources")
    ));
    let streams: Mutex<Vec<StreamInfo>> = Mutex::new(Vec::new());
    let written = AtomicUsize::new(0);
    let save = |path: PathBuf, bytes: &[u8]| {
        if write(&path, bytes).is_ok() {
            written.fetch_add(1, Ordering::Relaxed);
        }
    };
    parallel(&tasks, jobs, |task| match task {
        Task::Stream(ri, name) => {
            let region = regions[*ri].as_str();
            let dir = out.join(region).join("kinesis");
            let f = file_name(name);
            let mut shard_metrics = Vec::new();
            if let Some(bytes) = aws.call(
                Some(region),
                &["kinesis", "describe-stream-summary", "--stream-name", name],
            ) {
                if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                    for m in v
                        .pointer("/StreamDescriptionSummary/EnhancedMonitoring")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        shard_metrics.extend(strings(m, "/ShardLevelMetrics", None));
                    }
                }
                save(
                    dir.join(format!("{f}.describe-stream-summary.json")),
                    &bytes,
                );
            }
            let mut open_shards = Vec::new();
            if let Some(bytes) = aws.call(
                Some(region),
                &["kinesis", "list-shards", "--stream-name", name],
            ) {
                if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                    for s in v
                        .get("Shards")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let closed = s
                            .pointer("/SequenceNumberRange/EndingSequenceNumber")
                            .is_some_and(|e| !e.is_null());
                        if !closed && let Some(id) = s.get("ShardId").and_then(Value::as_str) {
                            open_shards.push(id.to_string());
                        }
                    }
                }
                save(dir.join(format!("{f}.list-shards.json")), &bytes);
            }
            streams.lock().unwrap().push(StreamInfo {
                region: region.to_string(),
                name: name.clone(),
                open_shards,
                shard_metrics,
            });
        }
        Task::Rule(ri, name) => {
            let region = regions[*ri].as_str();
            if let Some(bytes) = aws.call(
                Some(region),
                &["iot", "get-topic-rule", "--rule-name", name],
            ) && contains(&bytes, "\"kinesis\"")
            {
                save(
                    out.join(region)
                        .join("iot")
                        .join(format!("{}.get-topic-rule.json", file_name(name))),
                    &bytes,
                );
            }
        }
        Task::Function(ri, arn) => {
            let region = regions[*ri].as_str();
            // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]: one file per ARN, so
            // two aliases of one function are two files.
            let tail = arn.split(":function:").nth(1).unwrap_or(arn);
            let f = file_name(&tail.replacen(':', "@", 1));
            if let Some(bytes) = aws.call(
                Some(region),
                &[
                    "lambda",
                    "get-function-configuration",
                    "--function-name",
                    arn,
                ],
            ) {
                save(
                    out.join(region)
                        .join("lambda")
                        .join(format!("{f}.get-function-configuration.json")),
                    &bytes,
                );
            }
        }
        Task::EventRule(ri, bus, rule) => {
            let region = regions[*ri].as_str();
            if let Some(bytes) = aws.call(
                Some(region),
                &[
                    "events",
                    "list-targets-by-rule",
                    "--event-bus-name",
                    bus,
                    "--rule",
                    rule,
                ],
            ) && contains(&bytes, ":kinesis:")
            {
                save(
                    out.join(region).join("events").join(format!(
                        "{}.{}.list-targets-by-rule.json",
                        file_name(bus),
                        file_name(rule)
                    )),
                    &bytes,
                );
            }
        }
        Task::Pipe(ri, name) => {
            let region = regions[*ri].as_str();
            if let Some(bytes) = aws.call(Some(region), &["pipes", "describe-pipe", "--name", name])
            {
                save(
                    out.join(region)
                        .join("pipes")
                        .join(format!("{}.describe-pipe.json", file_name(name))),
                    &bytes,
                );
            }
        }
        Task::RestApi(ri, id) => {
            let region = regions[*ri].as_str();
            if let Some(bytes) = aws.call(
                Some(region),
                &[
                    "apigateway",
                    "get-resources",
                    "--rest-api-id",
                    id,
                    "--embed",
                    "methods",
                ],
            ) && contains(&bytes, ":kinesis:action")
            {
                save(
                    out.join(region)
                        .join("apigateway")
                        .join(format!("{}.get-resources.json", file_name(id))),
                    &bytes,
                );
            }
        }
        Task::HttpApi(ri, id) => {
            let region = regions[*ri].as_str();
            if let Some(bytes) = aws.call(
                Some(region),
                &["apigatewayv2", "get-integrations", "--api-id", id],
            ) && contains(&bytes, "Kinesis-")
            {
                save(
                    out.join(region)
                        .join("apigateway")
                        .join(format!("{}.get-integrations.json", file_name(id))),
                    &bytes,
                );
            }
        }
    });
    let mut streams = streams.into_inner().unwrap();
    streams.sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));

    // 3. Metrics: one query per (stream|shard|function, metric), batched 500 to a call.
    let mut batches: Vec<(usize, Vec<Value>)> = Vec::new();
    let mut metric_series = 0usize;
    for (ri, region) in regions.iter().enumerate() {
        let mut queries: Vec<Value> = Vec::new();
        for s in streams.iter().filter(|s| &s.region == region) {
            for (metric, stat) in STREAM_METRICS {
                queries.push(query(
                    &format!(
                        "kinesis-stream {region} {} {metric} {stat} {period}",
                        s.name
                    ),
                    "AWS/Kinesis",
                    metric,
                    &[("StreamName", &s.name)],
                    stat,
                    period,
                ));
            }
            for shard in &s.open_shards {
                for (metric, stat) in SHARD_METRICS {
                    if !s.shard_metrics.iter().any(|m| m == metric || m == "ALL") {
                        continue;
                    }
                    queries.push(query(
                        &format!(
                            "kinesis-shard {region} {} {shard} {metric} {stat} {period}",
                            s.name
                        ),
                        "AWS/Kinesis",
                        metric,
                        &[("StreamName", &s.name), ("ShardId", shard)],
                        stat,
                        period,
                    ));
                }
            }
        }
        for arn in &plans[ri].functions {
            let tail = arn.split(":function:").nth(1).unwrap_or(arn);
            let name = tail.split(':').next().unwrap_or(tail);
            let mut dims = vec![("FunctionName", name)];
            if tail.contains(':') {
                dims.push(("Resource", tail));
            }
            queries.push(query(
                &format!("lambda {region} {tail} IteratorAge Maximum {period}"),
                "AWS/Lambda",
                "IteratorAge",
                &dims,
                "Maximum",
                period,
            ));
        }
        metric_series += queries.len();
        for chunk in queries.chunks(QUERIES_PER_CALL) {
            batches.push((ri, chunk.to_vec()));
        }
    }
    progress(&format!(
        "reading {} in {}",
        plural(metric_series, "metric series", "metric series"),
        plural(
            batches.len(),
            "get-metric-data call",
            "get-metric-data calls"
        )
    ));
    let numbered: Vec<(usize, usize, Vec<Value>)> = {
        let mut per_region: BTreeMap<usize, usize> = BTreeMap::new();
        batches
            .into_iter()
            .map(|(ri, q)| {
                let n = per_region.entry(ri).or_default();
                *n += 1;
                (ri, *n, q)
            })
            .collect()
    };
    let (start_s, end_s) = (crate::observed::iso(start), crate::observed::iso(end));
    parallel(&numbered, jobs, |(ri, n, queries)| {
        let region = regions[*ri].as_str();
        let dir = out.join(region).join("metrics");
        let qpath = dir.join(format!("batch-{n:04}.queries.json"));
        if write(
            &qpath,
            serde_json::to_string_pretty(queries).unwrap().as_bytes(),
        )
        .is_err()
        {
            return;
        }
        let arg = format!("file://{}", qpath.display());
        if let Some(bytes) = aws.call(
            Some(region),
            &[
                "cloudwatch",
                "get-metric-data",
                "--metric-data-queries",
                &arg,
                "--start-time",
                &start_s,
                "--end-time",
                &end_s,
                "--scan-by",
                "TimestampAscending",
            ],
        ) {
            save(
                dir.join(format!("batch-{n:04}.get-metric-data.json")),
                &bytes,
            );
        }
    });

    // 4. Sampled records, opt-in: bounded per shard and in total.
    let mut sampled = 0i64;
    if let Some(per_shard) = args.sample_records.filter(|&n| n > 0) {
        let shards: Vec<(&StreamInfo, &String)> = streams
            .iter()
            .flat_map(|s| s.open_shards.iter().map(move |sh| (s, sh)))
            .collect();
        progress(&format!(
            "sampling up to {} from each of {}",
            plural(per_shard as usize, "record", "records"),
            plural(shards.len(), "open shard", "open shards")
        ));
        let budget = AtomicI64::new(args.sample_total as i64);
        let taken = AtomicI64::new(0);
        parallel(&shards, jobs, |(s, shard)| {
            let n = sample_shard(&aws, s, shard, per_shard as i64, &budget, start, args);
            if let Some(records) = n.filter(|r| !r.is_empty()) {
                taken.fetch_add(records.len() as i64, Ordering::Relaxed);
                let body = json!({ "Records": records });
                save(
                    out.join(&s.region)
                        .join("records")
                        .join(file_name(&s.name))
                        .join(format!("{}.get-records.json", file_name(shard))),
                    serde_json::to_string(&body).unwrap().as_bytes(),
                );
            }
        });
        sampled = taken.into_inner();
    }

    let finished = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(started);
    let failures = aws.failures.into_inner().unwrap();
    let manifest = json!({
        "version": 1,
        "tool": crate::version::long_version_line(),
        "aws_cli_version": cli_version,
        "account": account,
        "profile": args.profile,
        "regions": regions,
        "exported_at": crate::observed::iso(finished),
        "duration_s": finished - started,
        // `false`: some calls failed (listed below); the export is usable but partial.
        "complete": failures.is_empty(),
        "window": {
            "start": start_s,
            "end": end_s,
            "period_s": period,
        },
        "counts": {
            "streams": streams.len(),
            "files": written.load(Ordering::Relaxed),
            "aws_calls": aws.calls.load(Ordering::Relaxed),
            "metric_series": metric_series,
            "sampled_records": sampled,
        },
        "sampling": args.sample_records.map(|n| json!({
            "per_shard": n,
            "total": args.sample_total,
            "payloads": args.keep_payloads,
        })),
        "failures": failures.iter().map(|f| json!({
            "region": f.region,
            "call": format!("aws {}", f.call),
            "kind": f.kind.name(),
            "attempts": f.attempts,
            "message": f.message,
        })).collect::<Vec<_>>(),
    });
    write(
        &out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap().as_bytes(),
    )
    .map_err(|e| format!("{}: {e}", out.join("manifest.json").display()))?;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "shardlint export: wrote {} ({}, {}, {} sampled) to {}",
        plural(written.load(Ordering::Relaxed), "file", "files"),
        plural(streams.len(), "stream", "streams"),
        plural(metric_series, "metric series", "metric series"),
        crate::numbers::thousands(sampled as u64),
        out.display()
    );
    if failures.is_empty() {
        return Ok(0);
    }
    let _ = writeln!(
        err,
        "shardlint export: the export is partial (exit {EXIT_PARTIAL}): {} failed and the export went on without them (listed in {}):",
        plural(failures.len(), "call", "calls"),
        out.join("manifest.json").display()
    );
    for f in failures.iter().take(20) {
        let _ = writeln!(
            err,
            "  {} {}aws {}: {}",
            f.kind.name(),
            f.region
                .as_deref()
                .map(|r| format!("[{r}] "))
                .unwrap_or_default(),
            f.call,
            f.message
        );
    }
    if failures.len() > 20 {
        let _ = writeln!(err, "  ... and {} more", failures.len() - 20);
    }
    // Partial: written and usable, but CI must be able to tell it from a complete export (0)
    // and from no export at all (2). See `EXIT_PARTIAL`.
    Ok(EXIT_PARTIAL)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    crate::numbers::plural(n as u64, one, many)
}

/// One `MetricDataQuery`; the label says what the series is (`load::metrics` parses it back).
fn query(
    label: &str,
    namespace: &str,
    metric: &str,
    dims: &[(&str, &str)],
    stat: &str,
    period: i64,
) -> Value {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    json!({
        "Id": format!("m{}", NEXT.fetch_add(1, Ordering::Relaxed)),
        "Label": label,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": dims.iter().map(|(n, v)| json!({"Name": n, "Value": v})).collect::<Vec<_>>(),
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": true,
    })
}

/// Reads up to `limit` records of one shard from the window's start, within the global budget.
fn sample_shard(
    aws: &Aws,
    s: &StreamInfo,
    shard: &str,
    limit: i64,
    budget: &AtomicI64,
    start: i64,
    args: &ExportOptions,
) -> Option<Vec<Value>> {
    let region = Some(s.region.as_str());
    let ts = crate::observed::iso(start);
    let v = aws.json(
        region,
        &[
            "kinesis",
            "get-shard-iterator",
            "--stream-name",
            &s.name,
            "--shard-id",
            shard,
            "--shard-iterator-type",
            "AT_TIMESTAMP",
            "--timestamp",
            &ts,
        ],
    )?;
    let mut iterator = v.get("ShardIterator")?.as_str()?.to_string();
    let mut records = Vec::new();
    for call in 0..MAX_GET_RECORDS_CALLS {
        let want = (limit - records.len() as i64).min(RECORDS_PER_CALL);
        // Take from the global budget before reading, so the total is never exceeded.
        let granted = budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                (b > 0).then(|| b - want.min(b))
            })
            .map(|b| want.min(b))
            .unwrap_or(0);
        if granted <= 0 {
            break;
        }
        if call > 0 {
            std::thread::sleep(GET_RECORDS_PAUSE);
        }
        let limit_s = granted.to_string();
        let Some(page) = aws.json(
            region,
            &[
                "kinesis",
                "get-records",
                "--shard-iterator",
                &iterator,
                "--limit",
                &limit_s,
            ],
        ) else {
            budget.fetch_add(granted, Ordering::Relaxed);
            break;
        };
        let mut got = page
            .get("Records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // `--limit` bounds a page; never keep more than was granted whatever comes back.
        got.truncate(granted as usize);
        budget.fetch_add(granted - got.len() as i64, Ordering::Relaxed);
        let empty = got.is_empty();
        for mut r in got {
            if !args.keep_payloads
                && let Some(o) = r.as_object_mut()
                && let Some(data) = o.remove("Data")
            {
                // The size stays: a shard's 1 MiB/s limit counts data bytes.
                o.insert(
                    "DataBytes".into(),
                    json!(base64_len(data.as_str().unwrap_or(""))),
                );
            }
            records.push(r);
        }
        let caught_up = page.get("MillisBehindLatest").and_then(Value::as_i64) == Some(0);
        match page.get("NextShardIterator").and_then(Value::as_str) {
            Some(next) if !(empty && caught_up) && (records.len() as i64) < limit => {
                iterator = next.to_string()
            }
            _ => break,
        }
    }
    Some(records)
}

/// The decoded size of a base64 text, without decoding it.
fn base64_len(b64: &str) -> usize {
    let t = b64.trim_end();
    let pad = t.bytes().rev().take_while(|&c| c == b'=').count().min(2);
    (t.len() / 4 * 3 + [0, 0, 1, 2][t.len() % 4]).saturating_sub(pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_cli_errors() {
        let denied = "An error occurred (AccessDeniedException) when calling the ListPipes operation: User: arn:aws:iam::1:user/a is not authorized to perform: pipes:ListPipes";
        assert_eq!(FailureKind::classify(denied), FailureKind::AccessDenied);
        let throttled = "An error occurred (ThrottlingException) when calling the DescribeStreamSummary operation (reached max retries: 2): Rate exceeded";
        assert_eq!(FailureKind::classify(throttled), FailureKind::Throttled);
        assert_eq!(
            FailureKind::classify("An error occurred (ResourceNotFoundException)"),
            FailureKind::NotFound
        );
        assert_eq!(
            FailureKind::classify("Could not connect to the endpoint URL"),
            FailureKind::Error
        );
    }

    #[test]
    fn base64_sizes() {
        use base64::Engine as _;
        for n in 0..12 {
            let data = vec![7u8; n];
            let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
            assert_eq!(base64_len(&b64), n, "{b64}");
        }
    }

    #[test]
    fn durations_and_periods() {
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("90m"), Ok(5_400));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("64d").is_err());
        assert!(parse_duration("1w").is_err());
        assert_eq!(period_for(86_400), 60);
        assert_eq!(period_for(30 * 86_400), 300);
    }

    #[test]
    fn policy_is_read_only() {
        let p = policy().to_string();
        for verb in ["Put", "Create", "Delete", "Update", "Tag", "Invoke"] {
            assert!(
                !p.contains(&format!(":{verb}")),
                "the export's policy must be read-only: {verb}"
            );
        }
    }
}
