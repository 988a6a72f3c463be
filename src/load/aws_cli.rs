//! AWS CLI JSON exports, exactly as the CLI prints them, into the model: `aws kinesis
//! describe-stream`, `describe-stream-summary` and `list-shards` (streams with their real shard
//! maps), `aws iot get-topic-rule` (and a `topicRulePayload` document), `aws lambda
//! list-event-source-mappings`, `get-event-source-mapping`, `get-function-configuration` and
//! `list-functions`. Recognised by content, never by file name.
//!
//! Conventions: `Origin.address` is `stream/<name>`, `rule/<name>`, `esm/<UUID>` or
//! `function/<name>`; `Origin.module` is the export's directory. Value paths start with the address
//! (`rule/location_to_kinesis.actions[0].kinesis.partitionKey`, `stream/s.Shards[3]`), except in list
//! outputs, where they are the JSON path in the file (`EventSourceMappings[0].BatchSize`).
//!
//! `list-shards` output carries no stream name: it is taken from the file name
//! `<stream>.list-shards.json` (the layout `scripts/export-account.sh` writes); otherwise the name
//! is unknown and `--stream NAME` must supply it.

use crate::diagnostic::InputError;
use crate::load::json_span::{self, Kind, Node, index, join};
use crate::model::{
    EventSourceMapping, Function, KinesisAction, MetricSeries, MetricSubject, Model, Origin,
    ShardRecord, SourceKind, Stream, StreamMode, TopicRule, Val, ValState,
};
use crate::source::{FileId, SourceDb, Span};

mod shard_scan;

/// Keys only our exports contain; a file that fails to parse is reported only when it has one.
const MARKERS: &[&str] = &[
    "\"StreamDescription",
    "\"Shards\"",
    "\"EventSourceMappings\"",
    "\"EventSourceArn\"",
    "\"topicRulePayload\"",
    "\"ruleArn\"",
    "\"FunctionArn\"",
    "\"MetricDataResults\"",
    "\"aws_cli_version\"",
];

/// The file-name suffix that names the stream of a `list-shards` export.
pub const LIST_SHARDS_SUFFIX: &str = ".list-shards.json";

/// How the Lambda and IoT APIs spell parameters and fixes: an export is deployed state, fixed
/// with the AWS CLI.
pub static DIALECT: crate::model::Dialect = crate::model::Dialect {
    param: |api| api.to_string(),
    key_param: "partitionKey",
    key_example: |t| format!("\"partitionKey\": \"{t}\""),
    add_destination: "add an on-failure destination with `aws lambda update-event-source-mapping --destination-config`",
    bound_retries: |address| {
        let uuid = address
            .strip_prefix("esm/")
            .filter(|u| !u.is_empty())
            .unwrap_or("<UUID>");
        format!(
            "run `aws lambda update-event-source-mapping --uuid {uuid} --maximum-retry-attempts 3 --bisect-batch-on-function-error --destination-config '{{\"OnFailure\":{{\"Destination\":\"<SQS queue, SNS topic or S3 bucket ARN>\"}}}}'`"
        )
    },
    deployed_state: true,
    interpolation: |_, expr, _| {
        (
            format!("`${{{expr}}}` is substituted before IoT sees the key"),
            "substituted",
            "write the template as IoT should see it".into(),
        )
    },
    // An export describes deployed resources: nothing to edit.
    key_literal: |_, _| None,
    setting_line: crate::model::no_setting,
    line_comment: crate::model::no_comment,
};

pub static FORMAT: json_span::Format = json_span::Format {
    markers: MARKERS,
    what: "AWS CLI export",
    help: "re-run the export; the file must be the CLI's JSON output unchanged",
};

/// `Ok(None)`: the JSON is not an export shardlint reads (skipped).
pub fn load(db: &SourceDb, file: FileId) -> Result<Option<Model>, InputError> {
    match json_span::parse_for(db, file, &[&FORMAT])? {
        Some(root) => from_root(db, file, &root),
        None => Ok(None),
    }
}

/// Reads an already parsed JSON document; `Ok(None)` when it is not an export.
pub fn from_root(
    db: &SourceDb,
    file: FileId,
    root: &json_span::Node,
) -> Result<Option<Model>, InputError> {
    let sf = db.get(file);
    let module = sf
        .path
        .parent()
        .map(crate::source::display_path)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ".".to_string());
    let file_name = sf
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ex = Export {
        db,
        file,
        module,
        file_name,
    };
    ex.read(root)
}

struct Export<'a> {
    db: &'a SourceDb,
    file: FileId,
    module: String,
    file_name: String,
}

impl Export<'_> {
    fn origin(&self, address: String, span: Span) -> Origin {
        Origin {
            kind: SourceKind::Export,
            address,
            span,
            module: self.module.clone(),
        }
    }

    fn read(&self, root: &Node) -> Result<Option<Model>, InputError> {
        let mut m = Model::default();
        let key = |k: &str| root.key_span(k).unwrap_or(root.span);
        if let Some(sd) = root.get("StreamDescription").filter(|n| n.is_map()) {
            m.streams
                .push(self.stream(sd, key("StreamDescription"), false)?);
        } else if let Some(ss) = root.get("StreamDescriptionSummary").filter(|n| n.is_map()) {
            m.streams
                .push(self.stream(ss, key("StreamDescriptionSummary"), true)?);
        } else if let Some(shards) = root
            .get("Shards")
            .filter(|n| matches!(n.kind, Kind::Seq(_)))
        {
            m.streams
                .push(self.list_shards(root, shards, key("Shards"))?);
        } else if let Some(rule) = root
            .get("rule")
            .filter(|n| n.is_map() && n.get("sql").is_some())
        {
            m.rules.push(self.rule(rule, key("rule"), None));
        } else if let Some(p) = root.get("topicRulePayload").filter(|n| n.is_map()) {
            let name = root.get("ruleName").and_then(Node::as_str);
            m.rules.push(self.rule(p, key("topicRulePayload"), name));
        } else if let Some(list) = root
            .get("EventSourceMappings")
            .filter(|n| matches!(n.kind, Kind::Seq(_)))
        {
            for (i, e) in list.items().iter().enumerate() {
                m.mappings
                    .push(self.mapping(e, &index("EventSourceMappings", i)));
            }
        } else if root.get("UUID").is_some() && root.get("EventSourceArn").is_some() {
            let uuid = root.get("UUID").and_then(Node::as_str).unwrap_or("?");
            m.mappings.push(self.mapping(root, &format!("esm/{uuid}")));
        } else if let Some(list) = root
            .get("Functions")
            .filter(|n| matches!(n.kind, Kind::Seq(_)))
        {
            for (i, f) in list.items().iter().enumerate() {
                m.functions
                    .push(self.function(f, Some(index("Functions", i))));
            }
        } else if root.get("aws_cli_version").is_some() && root.get("failures").is_some() {
            m.exports.push(manifest(root));
        } else if let Some(list) = root
            .get("MetricDataResults")
            .filter(|n| matches!(n.kind, Kind::Seq(_)))
        {
            m.metrics = self.metrics(list)?;
        } else if root.get("FunctionName").is_some() && root.get("FunctionArn").is_some() {
            m.functions.push(self.function(root, None));
        } else if let Some(c) = root
            .get("Configuration")
            .filter(|c| c.get("FunctionArn").is_some())
        {
            // `aws lambda get-function` wraps the configuration.
            m.functions.push(self.function(c, None));
        } else {
            return Ok(None);
        }
        Ok(Some(m))
    }

    /// `get-metric-data` output as `shardlint export` asks for it: each series' `Label` says what
    /// it measures (`kinesis-stream REGION STREAM METRIC STAT PERIOD`, `kinesis-shard REGION
    /// STREAM SHARD ...`, `lambda REGION FUNCTION ...`). Series with other labels are not ours and
    /// are skipped; a labelled series whose points do not parse is a located error. Pages of one
    /// series (the CLI concatenates them) are merged.
    fn metrics(&self, list: &Node) -> Result<Vec<MetricSeries>, InputError> {
        let mut out: Vec<MetricSeries> = Vec::new();
        for (i, r) in list.items().iter().enumerate() {
            let path = index("MetricDataResults", i);
            let Some(label) = r.get("Label").and_then(Node::as_str) else {
                continue;
            };
            let span = r.get("Label").map(|n| n.span).unwrap_or(r.span);
            let words: Vec<&str> = label.split(' ').collect();
            let (region, subject, rest) = match words.as_slice() {
                ["kinesis-stream", region, stream, rest @ ..] => (
                    region,
                    MetricSubject::Stream {
                        name: stream.to_string(),
                    },
                    rest,
                ),
                ["kinesis-shard", region, stream, shard, rest @ ..] => (
                    region,
                    MetricSubject::Shard {
                        stream: stream.to_string(),
                        shard: shard.to_string(),
                    },
                    rest,
                ),
                ["lambda", region, function, rest @ ..] => (
                    region,
                    MetricSubject::Function {
                        name: function.to_string(),
                    },
                    rest,
                ),
                _ => continue,
            };
            let [metric, stat, period] = rest else {
                continue;
            };
            let bad = |what: &str, span: Span| {
                json_span::input_error(
                    self.db,
                    self.file,
                    Some(span),
                    format!("metric series `{label}`: {what}"),
                    Some(FORMAT.help),
                )
            };
            let period_s: i64 = period
                .parse()
                .map_err(|_| bad("the period is not a number", span))?;
            let times = r.get("Timestamps").map(Node::items).unwrap_or_default();
            let values = r.get("Values").map(Node::items).unwrap_or_default();
            if times.len() != values.len() {
                return Err(bad(
                    &format!("{} timestamps but {} values", times.len(), values.len()),
                    r.span,
                ));
            }
            let mut points = Vec::with_capacity(times.len());
            for (t, v) in times.iter().zip(values) {
                let ts = t
                    .as_str()
                    .and_then(crate::records::timestamp::parse_rfc3339_ms)
                    .or_else(|| {
                        t.scalar_text()?
                            .parse::<f64>()
                            .ok()
                            .map(|s| (s * 1000.0) as i64)
                    })
                    .ok_or_else(|| bad("a timestamp is not a date", t.span))?;
                let val = v
                    .scalar_text()
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad("a value is not a number", v.span))?;
                points.push((ts.div_euclid(1000), val));
            }
            let region = region.to_string();
            let (metric, stat) = (metric.to_string(), stat.to_string());
            if let Some(prev) = out.iter_mut().find(|s| {
                s.region == region
                    && s.subject == subject
                    && s.metric == metric
                    && s.stat == stat
                    && s.period_s == period_s
            }) {
                prev.points.extend(points);
                continue;
            }
            out.push(MetricSeries {
                region,
                subject,
                metric,
                stat,
                period_s,
                points,
                span,
                path,
            });
        }
        for s in &mut out {
            s.points.sort_by_key(|p| p.0);
            s.points.dedup_by_key(|p| p.0);
        }
        Ok(out)
    }

    /// `describe-stream` (with shards) or `describe-stream-summary` (with `OpenShardCount`).
    fn stream(&self, sd: &Node, decl: Span, summary: bool) -> Result<Stream, InputError> {
        let name = sd.get("StreamName").and_then(Node::as_str).unwrap_or("?");
        let base = format!("stream/{name}");
        let mode = match sd.get("StreamModeDetails") {
            Some(d) => parse(
                str_at(d, "StreamMode", &join(&base, "StreamModeDetails")),
                StreamMode::parse,
            ),
            None => Val::absent(join(&base, "StreamModeDetails.StreamMode")),
        };
        let mut stream = Stream {
            origin: self.origin(base.clone(), decl),
            name: str_at(sd, "StreamName", &base),
            arn: sd
                .get("StreamARN")
                .and_then(Node::as_str)
                .map(str::to_string),
            mode,
            shard_count: Val::absent(join(&base, "Shards")),
            shards: None,
            shards_span: None,
            retention_hours: int_at(sd, "RetentionPeriodHours", &base),
            record_distribution: parse(str_at(sd, "RecordDistributionStrategy", &base), |s| {
                crate::model::RecordDistribution::parse(s)
                    .ok_or_else(|| format!("`{s}` is not a record distribution strategy"))
            }),
        };
        if summary {
            stream.shard_count = int_at(sd, "OpenShardCount", &base);
            return Ok(stream);
        }
        if let Some(list) = sd.get("Shards") {
            let partial = matches!(
                sd.get("HasMoreShards").map(|n| &n.kind),
                Some(Kind::Bool(true))
            );
            self.fill_shards(
                &mut stream,
                list,
                &base,
                partial.then_some("`HasMoreShards` is `true`"),
            )?;
        }
        Ok(stream)
    }

    fn list_shards(&self, root: &Node, list: &Node, decl: Span) -> Result<Stream, InputError> {
        let from_name = self
            .file_name
            .strip_suffix(LIST_SHARDS_SUFFIX)
            .filter(|n| !n.is_empty());
        let (name, base) = match from_name {
            Some(n) => (
                Val::known(n.to_string(), None, format!("stream/{n}")),
                format!("stream/{n}"),
            ),
            None => (
                Val::unknown(
                    format!(
                        "`list-shards` output carries no stream name; name the file `<stream>{LIST_SHARDS_SUFFIX}` or pass `--stream NAME`"
                    ),
                    Some(decl),
                    "Shards",
                ),
                format!("stream/{}", self.file_name),
            ),
        };
        let mut stream = Stream {
            origin: self.origin(base.clone(), decl),
            name,
            arn: None,
            mode: Val::absent(join(&base, "StreamModeDetails.StreamMode")),
            shard_count: Val::absent(join(&base, "Shards")),
            shards: None,
            shards_span: None,
            retention_hours: Val::absent(join(&base, "RetentionPeriodHours")),
            record_distribution: Val::absent(join(&base, "RecordDistributionStrategy")),
        };
        let partial = root.get("NextToken").is_some_and(|n| !n.is_null());
        self.fill_shards(
            &mut stream,
            list,
            &base,
            partial.then_some("`NextToken` is set"),
        )?;
        Ok(stream)
    }

    /// The shard map; a partial listing is not a map (it would show false gaps).
    fn fill_shards(
        &self,
        stream: &mut Stream,
        list: &Node,
        base: &str,
        partial: Option<&str>,
    ) -> Result<(), InputError> {
        let path = join(base, "Shards");
        stream.shards_span = Some(list.span);
        let records = self.shards(list, &path)?;
        if let Some(why) = partial {
            stream.shard_count = Val::unknown(
                format!(
                    "the export lists only part of the shards ({why}); export every page of `aws kinesis list-shards`"
                ),
                Some(list.span),
                path,
            );
            return Ok(());
        }
        let open = records.iter().filter(|s| !s.closed).count() as i64;
        stream.shard_count = Val::known(open, Some(list.span), path);
        stream.shards = Some(records);
        Ok(())
    }

    fn shards(&self, list: &Node, path: &str) -> Result<Vec<ShardRecord>, InputError> {
        let mut out = Vec::new();
        for (i, s) in list.items().iter().enumerate() {
            let sp = index(path, i);
            let id = s
                .get("ShardId")
                .and_then(Node::as_str)
                .unwrap_or("?")
                .to_string();
            let range = s
                .get("HashKeyRange")
                .filter(|r| r.is_map())
                .ok_or_else(|| {
                    json_span::input_error(
                        self.db,
                        self.file,
                        Some(s.span),
                        format!("shard `{id}` at `{sp}` has no `HashKeyRange`"),
                        Some("export the stream again with `aws kinesis list-shards`"),
                    )
                })?;
            let key = |k: &str| -> Result<u128, InputError> {
                let n = range.get(k);
                let text = n.and_then(Node::scalar_text).unwrap_or_default();
                parse_hash_key(&text).map_err(|why| {
                    json_span::input_error(
                        self.db,
                        self.file,
                        Some(n.map_or(range.span, |n| n.span)),
                        format!("`{k}` `{text}` of shard `{id}` {why}"),
                        Some("hash keys are decimal strings from 0 to 340282366920938463463374607431768211455"),
                    )
                })
            };
            let starting_hash_key = key("StartingHashKey")?;
            let ending_hash_key = key("EndingHashKey")?;
            let closed = s
                .get("SequenceNumberRange")
                .and_then(|r| r.get("EndingSequenceNumber"))
                .is_some_and(|n| !n.is_null());
            let text_of = |k: &str| s.get(k).and_then(Node::as_str).map(str::to_string);
            out.push(ShardRecord {
                shard_id: id,
                starting_hash_key,
                ending_hash_key,
                closed,
                parent: text_of("ParentShardId"),
                adjacent_parent: text_of("AdjacentParentShardId"),
                span: Some(s.span),
            });
        }
        Ok(out)
    }

    /// `get-topic-rule`'s `rule`, or a `topicRulePayload` document (no name inside).
    fn rule(&self, r: &Node, decl: Span, payload_name: Option<&str>) -> TopicRule {
        let name_text = r.get("ruleName").and_then(Node::as_str).or(payload_name);
        let base = format!("rule/{}", name_text.unwrap_or("?"));
        let name = match (r.get("ruleName"), payload_name) {
            (Some(_), _) => str_at(r, "ruleName", &base),
            (None, Some(n)) => Val::known(n.to_string(), None, join(&base, "ruleName")),
            (None, None) => Val::unknown(
                "the export does not name the rule",
                Some(decl),
                join(&base, "ruleName"),
            ),
        };
        let mut actions = Vec::new();
        for (i, a) in r
            .get("actions")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if let Some(k) = a.get("kinesis") {
                actions.push(kinesis(
                    k,
                    &join(&index(&join(&base, "actions"), i), "kinesis"),
                    false,
                ));
            }
        }
        if let Some(k) = r.get("errorAction").and_then(|e| e.get("kinesis")) {
            actions.push(kinesis(k, &join(&base, "errorAction.kinesis"), true));
        }
        TopicRule {
            origin: self.origin(base.clone(), decl),
            name,
            sql: str_at(r, "sql", &base),
            sql_version: str_at(r, "awsIotSqlVersion", &base),
            enabled: bool_at(r, "ruleDisabled", &base).map(|d| !d),
            actions,
        }
    }

    fn mapping(&self, e: &Node, base: &str) -> EventSourceMapping {
        let uuid = e.get("UUID").and_then(Node::as_str).unwrap_or("?");
        let enabled = parse(str_at(e, "State", base), |s| match s {
            "Enabled" | "Enabling" | "Creating" | "Updating" => Ok(true),
            "Disabled" | "Disabling" | "Deleting" => Ok(false),
            other => Err(format!("mapping state `{other}` is not known")),
        });
        let on_failure = match e.at("DestinationConfig.OnFailure") {
            Some(of) => str_at(
                of,
                "Destination",
                &join(base, "DestinationConfig.OnFailure"),
            ),
            None => Val::absent(join(base, "DestinationConfig.OnFailure.Destination")),
        };
        let response_types = match e.get("FunctionResponseTypes") {
            Some(n) if matches!(n.kind, Kind::Seq(_)) => Val::known(
                n.items()
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                Some(n.span),
                join(base, "FunctionResponseTypes"),
            ),
            _ => Val::absent(join(base, "FunctionResponseTypes")),
        };
        EventSourceMapping {
            source_ref: None,
            // A self-managed Kafka mapping has no source ARN, only `SelfManagedEventSource`.
            source_type_hint: crate::load::event_source::KIND_SETTINGS_CFN
                .iter()
                .find(|k| e.get(k).is_some())
                .and_then(|k| crate::load::event_source::of_setting(k)),
            function_ref: None,
            origin: self.origin(format!("esm/{uuid}"), e.span),
            source_arn: str_at(e, "EventSourceArn", base),
            function: str_at(e, "FunctionArn", base),
            batch_size: int_at(e, "BatchSize", base),
            batching_window: int_at(e, "MaximumBatchingWindowInSeconds", base),
            parallelization_factor: int_at(e, "ParallelizationFactor", base),
            starting_position: str_at(e, "StartingPosition", base),
            // Legacy outputs print 10000 / 604800 for "unbounded"; kept as written.
            max_retry_attempts: int_at(e, "MaximumRetryAttempts", base),
            max_record_age: int_at(e, "MaximumRecordAgeInSeconds", base),
            bisect_on_error: bool_at(e, "BisectBatchOnFunctionError", base),
            on_failure_destination: on_failure,
            function_response_types: response_types,
            tumbling_window: int_at(e, "TumblingWindowInSeconds", base),
            enabled,
            stream: None,
            function_idx: None,
        }
    }

    fn function(&self, f: &Node, list_path: Option<String>) -> Function {
        let name = f.get("FunctionName").and_then(Node::as_str).unwrap_or("?");
        let address = format!("function/{name}");
        let base = list_path.unwrap_or_else(|| address.clone());
        Function {
            origin: self.origin(address, f.span),
            name: str_at(f, "FunctionName", &base),
            arn: f
                .get("FunctionArn")
                .and_then(Node::as_str)
                .map(str::to_string),
            timeout: int_at(f, "Timeout", &base),
            memory_size: int_at(f, "MemorySize", &base),
        }
    }
}

/// `manifest.json` of `shardlint export`: what the export is of and what it could not read.
fn manifest(root: &Node) -> crate::model::ExportInfo {
    let text = |n: Option<&Node>| n.and_then(Node::as_str).map(str::to_string);
    crate::model::ExportInfo {
        account: text(root.get("account")),
        regions: root
            .get("regions")
            .map(|r| r.items().iter().filter_map(|i| text(Some(i))).collect())
            .unwrap_or_default(),
        exported_at: text(root.get("exported_at")),
        window_start: text(root.at("window.start")),
        window_end: text(root.at("window.end")),
        aws_cli_version: text(root.get("aws_cli_version")),
        failures: root
            .get("failures")
            .map(|f| {
                f.items()
                    .iter()
                    .map(|x| {
                        format!(
                            "{} {}",
                            text(x.get("kind")).unwrap_or_default(),
                            text(x.get("call")).unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn kinesis(k: &Node, path: &str, in_error_action: bool) -> KinesisAction {
    KinesisAction {
        path: path.to_string(),
        span: k.span,
        in_error_action,
        stream_name: str_at(k, "streamName", path),
        partition_key: str_at(k, "partitionKey", path),
        iac_interpolations: Vec::new(),
        stream: None,
        stream_ref: None,
        key_literal: None,
    }
}

pub use crate::keyspace::parse_hash_key;

/// The shard map of a `list-shards` / `describe-stream` export given as `--shard-map` (to
/// `distribute` or `simulate`): read by this loader, with the same validation `check` applies to
/// the export (hash keys, a partial listing, gaps and overlaps). `.gz` and `-` (stdin) are read
/// as sample files are. Errors name the file, line and column.
pub fn read_shard_map(path: &std::path::Path) -> Result<crate::keyspace::ShardMap, String> {
    use std::io::Read;
    let shown = crate::source::display_path(path);
    if let Some(parts) = stream_plain(path) {
        return map_of(&shown, crate::keyspace::ShardMap::from_parts(parts));
    }
    use crate::records::reader::{COPY_ALIGN, copy_pad};
    // Sized from the file up front: growing by doubling copied and faulted in a 40 MB map
    // twice. The document is `bytes[pad..]`: see `copy_pad`.
    let size = std::fs::metadata(path).map_or(0, |m| m.len().min(MAX_SHARD_MAP_BYTES + 1));
    let mut bytes = Vec::with_capacity(size as usize + COPY_ALIGN);
    bytes.resize(copy_pad(bytes.as_ptr(), 0), 0);
    let pad = bytes.len();
    crate::records::reader::open(path)
        .and_then(|r| {
            // A shard map of 100,000 shards is about 30 MB: bound what one flag can make us
            // hold.
            r.take(MAX_SHARD_MAP_BYTES + 1).read_to_end(&mut bytes)
        })
        .map_err(|e| format!("cannot read shard map `{shown}`: {e}"))?;
    if (bytes.len() - pad) as u64 > MAX_SHARD_MAP_BYTES {
        return Err(format!(
            "shard map `{shown}` is larger than {} bytes: not a `list-shards` export",
            crate::numbers::thousands(MAX_SHARD_MAP_BYTES)
        ));
    }
    // The common case, a well-formed complete export, without the span-tracking loader, which
    // holds a node per JSON value (424 MB for 100,000 shards): first the scanner that copies
    // IDs inline and parses hash keys in place (no serde, no allocation per shard, two
    // threads; it checks UTF-8 as it goes), then a plain serde pass for what it leaves
    // (escapes, field types serde converts). Anything neither takes goes to the span loader,
    // which says where the problem is.
    if let Some(ranges) = shard_scan::shard_ranges(&bytes[pad..], rayon::current_num_threads() > 1)
    {
        // The ranges own their IDs: the text goes before the map is built.
        drop(bytes);
        return map_of(&shown, crate::keyspace::ShardMap::from_ranges(ranges));
    }
    bytes.drain(..pad);
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "shard map `{shown}` is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    if let Some(records) = plain_shard_records(&text) {
        drop(text);
        return map_of(&shown, crate::keyspace::ShardMap::from_records(&records));
    }
    let mut db = SourceDb::default();
    let file = db.add(path.to_path_buf(), text);
    let located = |db: &SourceDb, e: InputError| -> String {
        match e.span {
            Some(sp) => {
                let lc = db.get(file).line_col(sp.start);
                format!("{}:{}:{}: {}", e.file, lc.line, lc.column, e.message)
            }
            None => format!("{}: {}", e.file, e.message),
        }
    };
    let not_export = || {
        format!(
            "shard map `{shown}` has no `Shards` or `StreamDescription.Shards` array: give `aws kinesis list-shards` or `describe-stream` output"
        )
    };
    let model = match load(&db, file) {
        Ok(Some(m)) => m,
        Ok(None) => return Err(not_export()),
        Err(e) => return Err(located(&db, e)),
    };
    let Some(stream) = model.streams.first() else {
        return Err(not_export());
    };
    let Some(records) = &stream.shards else {
        let why = match &stream.shard_count.state {
            crate::model::ValState::Unknown(why) => why.clone(),
            _ => "it lists no shards (a `describe-stream-summary`?)".to_string(),
        };
        return Err(format!("shard map `{shown}`: {why}"));
    };
    map_of(&shown, crate::keyspace::ShardMap::from_records(records))
}

/// The shards of a large, plain (not gzipped) regular file, streamed by the scanner (see
/// `shard_scan::stream_ranges`): a buffer of about a megabyte per thread instead of the whole
/// document (a 100,000-shard map: peak RSS 60 -> 31 MB, and no 40 MB of fresh pages for the
/// kernel to zero). `None` (stdin, gzip, a small or oversized file, a document the scanner
/// does not take, an error, a file that changed size): the caller reads it whole, the
/// ordinary way, which reports any problem where it is.
#[cfg(unix)]
fn stream_plain(path: &std::path::Path) -> Option<Vec<Vec<crate::keyspace::ShardRange>>> {
    use std::os::unix::fs::FileExt;
    if path.as_os_str() == "-" {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    let len = meta.len();
    let piece = shard_scan::PIECE_BYTES;
    if !meta.is_file() || !(2 * piece as u64..=MAX_SHARD_MAP_BYTES).contains(&len) {
        return None;
    }
    let mut magic = [0u8; 2];
    file.read_exact_at(&mut magic, 0).ok()?;
    if magic == [0x1f, 0x8b] {
        return None;
    }
    let read_at = |buf: &mut [u8], at: u64| file.read_at(buf, at).ok();
    let threads = rayon::current_num_threads() > 1;
    let ranges = shard_scan::stream_ranges(&read_at, len, piece, threads)?;
    // A file that grew while it was read: read it again, whole.
    let grown = file.read_at(&mut [0u8], len).ok()? != 0;
    (!grown).then_some(ranges)
}

#[cfg(not(unix))]
fn stream_plain(_: &std::path::Path) -> Option<Vec<Vec<crate::keyspace::ShardRange>>> {
    None
}

fn map_of(
    shown: &str,
    map: Result<crate::keyspace::ShardMap, Vec<crate::keyspace::MapProblem>>,
) -> Result<crate::keyspace::ShardMap, String> {
    map.map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!(
            "shard map `{shown}` does not cover the keyspace with its open shards: {}",
            list.join("; ")
        )
    })
}

/// The shards of a complete `list-shards` or `describe-stream` export read with plain serde, or
/// `None` when the document is anything else (another export, a partial listing, a missing or
/// malformed field, invalid JSON): the span loader then reads it and reports what it finds, so
/// both paths give one answer for every document this one accepts.
fn plain_shard_records(text: &str) -> Option<Vec<ShardRecord>> {
    use serde::Deserialize;
    use serde::de::IgnoredAny;
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Doc<'a> {
        #[serde(borrow)]
        shards: Option<Vec<Shard<'a>>>,
        stream_description: Option<Description<'a>>,
        stream_description_summary: Option<IgnoredAny>,
        next_token: Option<IgnoredAny>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Description<'a> {
        #[serde(borrow)]
        shards: Vec<Shard<'a>>,
        has_more_shards: Option<bool>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Shard<'a> {
        shard_id: String,
        parent_shard_id: Option<String>,
        adjacent_parent_shard_id: Option<String>,
        #[serde(borrow)]
        hash_key_range: Range<'a>,
        sequence_number_range: Option<Sequence>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Range<'a> {
        starting_hash_key: &'a str,
        ending_hash_key: &'a str,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Sequence {
        ending_sequence_number: Option<IgnoredAny>,
    }
    let doc: Doc = serde_json::from_str(text).ok()?;
    let shards = match (
        doc.stream_description,
        doc.stream_description_summary,
        doc.shards,
    ) {
        (Some(d), None, _) if d.has_more_shards != Some(true) => d.shards,
        (None, None, Some(s)) if doc.next_token.is_none() => s,
        _ => return None,
    };
    shards
        .into_iter()
        .map(|s| {
            Some(ShardRecord {
                starting_hash_key: crate::keyspace::parse_hash_key(
                    s.hash_key_range.starting_hash_key,
                )
                .ok()?,
                ending_hash_key: crate::keyspace::parse_hash_key(s.hash_key_range.ending_hash_key)
                    .ok()?,
                closed: s
                    .sequence_number_range
                    .is_some_and(|r| r.ending_sequence_number.is_some()),
                shard_id: s.shard_id,
                parent: s.parent_shard_id,
                adjacent_parent: s.adjacent_parent_shard_id,
                span: None,
            })
        })
        .collect()
}

/// Bytes of a `--shard-map` file read at most.
const MAX_SHARD_MAP_BYTES: u64 = 256 << 20;

/// A JSON value as a `Val<String>`: strings as written, numbers and booleans as text.
fn str_at(parent: &Node, key: &str, base: &str) -> Val<String> {
    let path = join(base, key);
    match parent.get(key) {
        None => Val::absent(path),
        Some(n) if n.is_null() => Val::absent(path),
        Some(n) => match n.scalar_text() {
            Some(s) => {
                let mut v = Val::known(s, Some(n.span), path);
                v.escapes = n.escapes;
                v
            }
            None => Val::unknown(format!("`{key}` is not a single value"), Some(n.span), path),
        },
    }
}

fn int_at(parent: &Node, key: &str, base: &str) -> Val<i64> {
    parse(str_at(parent, key, base), |s| {
        s.parse::<i64>()
            .map_err(|_| format!("`{s}` is not an integer"))
    })
}

fn bool_at(parent: &Node, key: &str, base: &str) -> Val<bool> {
    parse(str_at(parent, key, base), |s| match s {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("`{other}` is not a boolean")),
    })
}

fn parse<T>(v: Val<String>, f: impl FnOnce(&str) -> Result<T, String>) -> Val<T> {
    let state = match &v.state {
        ValState::Known(s) => match f(s) {
            Ok(x) => ValState::Known(x),
            Err(r) => ValState::Unknown(r),
        },
        ValState::Absent => ValState::Absent,
        ValState::Unknown(r) => ValState::Unknown(r.clone()),
    };
    Val {
        state,
        span: v.span,
        escapes: v.escapes,
        path: v.path,
        via: v.via,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_keys_are_128_bit_decimals() {
        assert_eq!(parse_hash_key("0"), Ok(0));
        assert_eq!(
            parse_hash_key("340282366920938463463374607431768211455"),
            Ok(u128::MAX)
        );
        assert_eq!(
            parse_hash_key("113427455640312821154458202477256070485"),
            Ok(113427455640312821154458202477256070485)
        );
        assert!(parse_hash_key("340282366920938463463374607431768211456").is_err());
        assert!(parse_hash_key("1000000000000000000000000000000000000000").is_err());
        assert!(parse_hash_key("-1").is_err());
        assert!(parse_hash_key("01").is_err());
        assert!(parse_hash_key("").is_err());
        assert!(parse_hash_key("1e5").is_err());
    }

    /// The shard records of the span loader, for comparing the plain pass with it.
    fn loaded(text: &str) -> Option<Vec<ShardRecord>> {
        let mut db = SourceDb::default();
        let file = db.add("s.json".into(), text.to_string());
        let model = load(&db, file).ok()??;
        model.streams.first()?.shards.clone()
    }

    #[test]
    fn the_plain_shard_pass_agrees_with_the_span_loader_or_leaves_the_document_to_it() {
        let max = u128::MAX.to_string();
        let shard = |id: &str, lo: &str, hi: &str, extra: &str| {
            format!(
                r#"{{"ShardId": "{id}", {extra} "HashKeyRange": {{"StartingHashKey": "{lo}", "EndingHashKey": "{hi}"}}}}"#
            )
        };
        let a = shard(
            "a",
            "0",
            "99",
            r#""SequenceNumberRange": {"StartingSequenceNumber": "1", "EndingSequenceNumber": "2"},"#,
        );
        let b = shard(
            "b",
            "0",
            "9",
            r#""ParentShardId": "a", "SequenceNumberRange": {"EndingSequenceNumber": null},"#,
        );
        let c = shard(
            "c",
            "10",
            &max,
            r#""ParentShardId": "a", "AdjacentParentShardId": "x","#,
        );
        let taken = [
            format!(r#"{{"Shards": [{a}, {b}, {c}], "NextToken": null}}"#),
            format!(r#"{{"Shards": [{b}, {c}]}}"#),
            format!(
                r#"{{"StreamDescription": {{"StreamName": "s", "Shards": [{a}, {b}, {c}], "HasMoreShards": false}}}}"#
            ),
        ];
        for doc in &taken {
            let plain = plain_shard_records(doc).expect(doc);
            let spans: Vec<ShardRecord> = loaded(doc)
                .expect(doc)
                .into_iter()
                .map(|r| ShardRecord { span: None, ..r })
                .collect();
            assert_eq!(plain, spans, "{doc}");
        }
        assert_eq!(plain_shard_records(&taken[0]).unwrap().len(), 3);
        assert!(plain_shard_records(&taken[0]).unwrap()[0].closed);
        assert!(!plain_shard_records(&taken[0]).unwrap()[1].closed);
        // Each of these has something only the span loader reports (or reads) correctly.
        let left = [
            format!("\u{feff}{{\"Shards\": [{b}, {c}]}}"),
            format!(r#"{{"Shards": [{b}, {c}], "NextToken": "abc"}}"#),
            format!(r#"{{"StreamDescription": {{"Shards": [{b}, {c}], "HasMoreShards": true}}}}"#),
            format!(r#"{{"Shards": [{b}, {c}]"#),
            format!(r#"{{"Shards": [{b}, {}]}}"#, shard("c", "10", "1e5", "")),
            format!(r#"{{"Shards": [{b}, {}]}}"#, shard("c", "10", "01", "")),
            r#"{"Shards": [{"ShardId": "a"}]}"#.to_string(),
            r#"{"Shards": [{"HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "1"}}]}"#.to_string(),
            format!(r#"{{"Shards": [{b}], "StreamDescriptionSummary": {{"OpenShardCount": 1}}}}"#),
            r#"{"Shards": [{"ShardId": "a", "HashKeyRange": {"StartingHashKey": 0, "EndingHashKey": "1"}}]}"#.to_string(),
        ];
        for doc in &left {
            assert!(plain_shard_records(doc).is_none(), "{doc}");
            assert!(scanned(doc).is_none(), "{doc}");
        }
        for doc in &taken {
            assert_eq!(scanned(doc), plain(doc), "{doc}");
        }
    }

    type Shards = Vec<(String, u128, u128, bool)>;

    /// A shard to write: ID, starting and ending hash key, closed, parent.
    type Listed = (String, u128, u128, bool, Option<String>);

    /// What the serde pass reads, as the map sees it.
    fn plain(text: &str) -> Option<Shards> {
        let records = plain_shard_records(text)?;
        Some(
            records
                .into_iter()
                .map(|r| (r.shard_id, r.starting_hash_key, r.ending_hash_key, r.closed))
                .collect(),
        )
    }

    fn owned(ranges: Vec<crate::keyspace::ShardRange>) -> Shards {
        ranges
            .into_iter()
            .map(|r| (r.shard_id.to_string(), r.start, r.end, r.closed))
            .collect()
    }

    /// What the scanner reads on one thread.
    fn scanned(text: &str) -> Option<Shards> {
        shard_scan::shard_ranges(text.as_bytes(), false).map(owned)
    }

    /// What the scanner reads of `doc`, said to be `len` bytes, streamed in pieces of about
    /// `piece` bytes through reads of at most `most` bytes each.
    fn streamed(doc: &[u8], len: u64, piece: usize, threads: bool, most: usize) -> Option<Shards> {
        let read_at = |buf: &mut [u8], at: u64| -> Option<usize> {
            let src = doc.get(usize::try_from(at).ok()?..).unwrap_or(&[]);
            let n = src.len().min(buf.len()).min(most);
            buf[..n].copy_from_slice(&src[..n]);
            Some(n)
        };
        shard_scan::stream_ranges(&read_at, len, piece, threads).map(|parts| owned(parts.concat()))
    }

    /// A shard list as JSON: `style` 0 is compact, 1 pretty-printed as the AWS CLI prints it
    /// (fields in another order, null parents), 2 with fields the map does not read (objects,
    /// arrays, numbers, literals, non-ASCII text).
    fn export(shards: &[Listed], style: u8) -> String {
        let items: Vec<String> = shards
            .iter()
            .map(|(id, lo, hi, closed, parent)| {
                let seq = if *closed {
                    r#"{"StartingSequenceNumber": "1", "EndingSequenceNumber": "2"}"#
                } else {
                    r#"{"StartingSequenceNumber": "3"}"#
                };
                let parent = parent
                    .as_ref()
                    .map_or("null".to_string(), |p| format!("\"{p}\""));
                match style {
                    0 => format!(
                        r#"{{"ShardId": "{id}", "ParentShardId": {parent}, "HashKeyRange": {{"StartingHashKey": "{lo}", "EndingHashKey": "{hi}"}}, "SequenceNumberRange": {seq}}}"#
                    ),
                    1 => format!(
                        "{{\n            \"HashKeyRange\": {{\n                \"EndingHashKey\": \"{hi}\",\n                \"StartingHashKey\": \"{lo}\"\n            }},\n            \"SequenceNumberRange\": {seq},\n            \"AdjacentParentShardId\": null,\n            \"ShardId\": \"{id}\",\n            \"ParentShardId\": {parent}\n        }}"
                    ),
                    _ => format!(
                        r#"{{"Tags": [{{"k": -1.5e-3}}, {{"v": [true, false, null, 0, 12.0E+2]}}], "ShardId": "{id}", "Note": "é ☃ }}, {{", "HashKeyRange": {{"StartingHashKey": "{lo}", "Width": {{}}, "EndingHashKey": "{hi}"}}, "SequenceNumberRange": {seq}, "AdjacentParentShardId": {parent}}}"#
                    ),
                }
            })
            .collect();
        let sep = if style == 1 { ",\n        " } else { ", " };
        format!(r#"{{"Shards": [{}], "NextToken": null}}"#, items.join(sep))
    }

    /// Even, resharded (each shard closed and split in two) and odd (cuts crowded at the
    /// start of the keyspace) maps of about `n` open shards.
    fn maps(n: u32) -> Vec<Vec<Listed>> {
        let even: Vec<_> = crate::keyspace::ShardMap::even(n)
            .shards()
            .iter()
            .map(|s| (s.shard_id.to_string(), s.start, s.end, false, None))
            .collect();
        let mut resharded = Vec::new();
        for (i, s) in even.iter().enumerate() {
            let mid = s.1 + (s.2 - s.1) / 3;
            resharded.push((s.0.clone(), s.1, s.2, true, None));
            resharded.push((
                format!("shardId-{:012}", n as usize + 2 * i),
                s.1,
                mid,
                false,
                Some(s.0.clone()),
            ));
            resharded.push((
                format!("shardId-{:012}", n as usize + 2 * i + 1),
                mid + 1,
                s.2,
                false,
                Some(s.0.clone()),
            ));
        }
        let mut cuts: Vec<u128> = (1..n as u128).map(|i| (i * i * i) << 70).collect();
        cuts.dedup();
        let mut odd = Vec::new();
        let mut lo = 0;
        for (i, c) in cuts.iter().chain([&0]).enumerate() {
            let hi = if *c == 0 { u128::MAX } else { c - 1 };
            odd.push((format!("odd-{i}"), lo, hi, false, None));
            lo = hi.wrapping_add(1);
        }
        // Open shards out of order, a closed one in between.
        odd.swap(0, 2);
        odd.insert(1, ("closed".into(), 0, u128::MAX, true, None));
        vec![even, resharded, odd]
    }

    #[test]
    fn the_scanner_reads_maps_as_the_serde_pass_does_on_one_thread_or_two() {
        for shards in maps(6) {
            for style in 0..3 {
                let doc = export(&shards, style);
                let expected = plain(&doc).expect(&doc);
                assert_eq!(scanned(&doc).as_ref(), Some(&expected), "{doc}");
                // The second thread's start guessed from every byte on: always the same answer.
                for from in 0..doc.len() {
                    let two = shard_scan::split_ranges(doc.as_bytes(), from).map(owned);
                    assert_eq!(two.as_ref(), Some(&expected), "from {from}: {doc}");
                }
                let described = format!(
                    r#"{{"StreamDescription": {{"StreamName": "s", "StreamStatus": "ACTIVE", "Shards": {}, "HasMoreShards": false, "RetentionPeriodHours": 24}}}}"#,
                    &doc[11..doc.len() - 20]
                );
                assert_eq!(scanned(&described).as_ref(), Some(&expected), "{described}");
            }
        }
    }

    #[test]
    fn a_streamed_map_reads_as_the_whole_document_does() {
        for shards in maps(40) {
            for style in 0..3 {
                let doc = export(&shards, style);
                let described = format!(
                    r#"{{"StreamDescription": {{"StreamName": "s", "StreamStatus": "ACTIVE", "Shards": {}, "HasMoreShards": false, "RetentionPeriodHours": 24}}}}"#,
                    &doc[11..doc.len() - 20]
                );
                for doc in [doc, described] {
                    let expected = plain(&doc).expect(&doc);
                    let len = doc.len() as u64;
                    for piece in [16, 97, 700, 4096, 1 << 20] {
                        for (threads, most) in [(false, usize::MAX), (true, usize::MAX), (true, 7)]
                        {
                            let got = streamed(doc.as_bytes(), len, piece, threads, most);
                            let why = format!("piece {piece}, threads {threads}, most {most}");
                            if style == 2 {
                                // `}, {` inside a string: a cut guessed there is never arrived
                                // at, and the whole-document read answers instead.
                                assert!(got.is_none() || got == Some(expected.clone()), "{why}");
                            } else {
                                assert_eq!(got.as_ref(), Some(&expected), "{why}");
                            }
                        }
                    }
                    // A document that ends before its length: refused, never read short.
                    assert_eq!(
                        streamed(doc.as_bytes(), len + 1, 97, true, usize::MAX),
                        None
                    );
                }
            }
        }
    }

    #[test]
    fn a_large_map_file_streamed_equals_the_same_map_read_whole() {
        use std::io::Write;
        let shards = &maps(6000)[1];
        let doc = export(shards, 1);
        assert!(doc.len() > 2 * shard_scan::PIECE_BYTES, "{}", doc.len());
        let dir = tempfile::tempdir().unwrap();
        let plain_path = dir.path().join("map.json");
        std::fs::write(&plain_path, &doc).unwrap();
        // Gzip is not streamed by the scanner: read whole, then scanned.
        let gz_path = dir.path().join("map.json.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(doc.as_bytes()).unwrap();
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
        assert!(stream_plain(&gz_path).is_none());
        let streamed = stream_plain(&plain_path).expect("a plain export is streamed");
        assert_eq!(owned(streamed.concat()), plain(&doc).unwrap());
        let (a, b) = (
            read_shard_map(&plain_path).unwrap(),
            read_shard_map(&gz_path).unwrap(),
        );
        assert_eq!(a.len(), 12_000);
        assert_eq!(a.shards(), b.shards());
    }

    #[test]
    fn what_the_scanner_takes_the_serde_pass_takes_alike() {
        // Every single-byte deletion, duplication and replacement of a small export (and the
        // split guessed around it): the scanner may refuse more than the serde pass, never
        // read a document differently.
        let shards = &maps(3)[1];
        let base = export(shards, 2) + &export(&shards[..1], 1)[..0];
        let docs = [base, export(shards, 1)];
        let (mut taken, mut streamed_taken) = (0, 0);
        for doc in &docs {
            let b = doc.as_bytes();
            for i in 0..b.len() {
                let mut variants = vec![
                    [&b[..i], &b[i + 1..]].concat(),
                    [&b[..=i], &b[i..]].concat(),
                ];
                for c in [
                    b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'a', b' ', 0x01, 0xc3,
                ] {
                    variants.push([&b[..i], &[c][..], &b[i + 1..]].concat());
                }
                for v in &variants {
                    // Streamed in pieces of 24 bytes, on two threads: refused, or the same.
                    let stream = streamed(v, v.len() as u64, 24, true, usize::MAX);
                    let Ok(text) = std::str::from_utf8(v) else {
                        assert_eq!(stream, None);
                        assert!(shard_scan::shard_ranges(v, false).is_none());
                        // Each thread checks its own part.
                        for from in [0, i.saturating_sub(3), i, i + 1] {
                            assert!(shard_scan::split_ranges(v, from).is_none(), "from {from}");
                        }
                        continue;
                    };
                    let one = scanned(text);
                    if let Some(one) = &one {
                        taken += 1;
                        assert_eq!(plain(text).as_ref(), Some(one), "{text}");
                    }
                    assert!(stream.is_none() || stream == one, "{text}");
                    streamed_taken += usize::from(stream.is_some());
                    for from in [i.saturating_sub(3), i, i + 1] {
                        let two = shard_scan::split_ranges(v, from).map(owned);
                        assert_eq!(two, one, "from {from}: {text}");
                    }
                }
            }
        }
        assert!(taken > 1000, "{taken}");
        // Most of what one thread takes, the streamed read takes too (not all: a cut guessed
        // inside a string is refused).
        assert!(streamed_taken * 2 > taken, "{streamed_taken} of {taken}");
    }

    /// The message of `read_shard_map` on `doc` written to a file.
    fn read_map(doc: &str) -> Result<crate::keyspace::ShardMap, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.list-shards.json");
        std::fs::write(&p, doc).unwrap();
        read_shard_map(&p).map_err(|e| e.replace(&crate::source::display_path(&p), "m.json"))
    }

    #[test]
    fn large_maps_read_as_the_span_loader_reads_them() {
        // About 1.3 MB: read in halves and scanned on two threads.
        for shards in maps(3000) {
            let doc = export(&shards, 1);
            assert!(doc.len() >= 1 << 20, "{}", doc.len());
            let records = loaded(&doc).unwrap();
            assert_eq!(
                read_map(&doc),
                Ok(crate::keyspace::ShardMap::from_records(&records).unwrap())
            );
        }
    }

    #[test]
    fn bad_maps_give_the_messages_of_the_full_readers() {
        let shards = maps(4).swap_remove(1);
        let expect_problems = |doc: &str| {
            let records = loaded(doc).unwrap();
            let problems = map_of("m.json", crate::keyspace::ShardMap::from_records(&records));
            assert!(scanned(doc).is_some(), "{doc}");
            assert_eq!(read_map(doc).unwrap_err(), problems.unwrap_err(), "{doc}");
        };
        // Gaps, overlaps, a duplicate ID, an inverted range: taken by the scanner, judged by
        // the one validation.
        let mut gap = shards.clone();
        gap[1].2 -= 5;
        let mut overlap = shards.clone();
        overlap[2].1 -= 5;
        let mut duplicate = shards.clone();
        duplicate[4].0 = duplicate[0].0.clone();
        let mut inverted = shards.clone();
        inverted.push(("x".into(), 10, 5, false, None));
        let none_open: Vec<_> = shards.iter().filter(|s| s.3).cloned().collect();
        for (i, bad) in [gap, overlap, duplicate, inverted, none_open]
            .iter()
            .enumerate()
        {
            let doc = export(bad, (i % 3) as u8);
            expect_problems(&doc);
            assert!(
                read_map(&doc)
                    .unwrap_err()
                    .starts_with("shard map `m.json` does not cover")
            );
        }
        // Bad hash keys and wrong types: left to the span loader, which says where.
        let doc = export(&shards, 1);
        let located = [
            (
                doc.replacen("\"0\"", "\"01\"", 1),
                "m.json:4:36: `StartingHashKey` `01` of shard",
            ),
            (
                doc.replacen("\"0\"", "\"x0\"", 1),
                "m.json:4:36: `StartingHashKey` `x0` of shard",
            ),
            (
                doc.replacen("\"0\"", "true", 1),
                "m.json:4:36: `StartingHashKey` `true` of shard",
            ),
            (
                doc.replacen("\"HashKeyRange\"", "\"HashKeyRanges\"", 1),
                "m.json:1:13: shard `shardId-000000000000` at `stream/m.Shards[0]` has no `HashKeyRange`",
            ),
            (
                doc.replacen("\"0\"", "\"340282366920938463463374607431768211456\"", 1),
                "m.json:4:36: `StartingHashKey` `340282366920938463463374607431768211456` of shard",
            ),
        ];
        for (doc, message) in &located {
            assert!(scanned(doc).is_none(), "{doc}");
            let e = read_map(doc).unwrap_err();
            assert!(e.starts_with(message), "{e}");
        }
        // A partial listing and the wrong export: the same messages as before.
        let partial = doc.replace("\"NextToken\": null", "\"NextToken\": \"abc\"");
        assert!(
            read_map(&partial)
                .unwrap_err()
                .contains("lists only part of the shards")
        );
        assert!(
            read_map("{\"Shards\": 3}")
                .unwrap_err()
                .contains("has no `Shards`")
        );
    }
}
